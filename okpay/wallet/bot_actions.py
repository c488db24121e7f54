"""The wallet's answers for the bot (hooks.BOT_ACTIONS), from the signed-in customer's own account:
balances (available and held), recent payments and their state, international transfers (state, review
deadline, payout, the cancel window with a link to the page that cancels), top-ups, limits and the
verification level, and the current rates.

The engine calls a handler inside the customer's language and time zone, so every date below reads as
the customer's own; amounts are formatted in the question's language. Every link goes to the exact page
(the transaction, the transfer) rather than a general one."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from okpay.core.hooks import ActionLink, ActionResult
from okpay.core.money import format_money

from . import selectors
from .choices import TransactionKind, TransactionStatus, TransferStatus
from .models import InternationalTransfer, Transaction

LISTED = 5  # items in one answer
LINKED = 3  # buttons in one answer


def _topup_links() -> list[ActionLink]:
    """The demo's top-up page, where it exists: an installation outside demo mode has no top-up page
    (money does not come in from a card or bank yet), so no button promises one."""
    return [ActionLink(_("Top up (demo)"), reverse("wallet:topup"))] if settings.DEMO_MODE else []


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _money(amount_minor: int, currency: str, language: str) -> str:
    return format_money(amount_minor, currency, language)


def _line(row: Transaction, language: str) -> str:
    amount = _money(abs(row.amount_minor), row.currency, language)
    line = f"{_when(row.created_at)} · {row.counterparty or row.get_kind_display()} · {amount}"
    return f"{line} · {row.get_status_display()}"


def _transaction_link(row: Transaction) -> ActionLink:
    label = _("%(what)s, %(time)s") % {"what": row.get_kind_display(), "time": _when(row.created_at)}
    return ActionLink(label, reverse("wallet:transaction", args=[row.pk]))


def recent_payments(user, language) -> ActionResult:
    """ "My recent payments" / "did my payment go through": the latest payments with their state, each
    linking to its own page."""
    rows = selectors.transactions_for_user(user=user, kind=TransactionKind.PAYMENT, limit=LISTED)
    if not rows:
        return ActionResult(
            text=_("You have made no payments with OKPay yet."),
            links=[ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
        )
    pending = [
        row for row in rows if row.status in (TransactionStatus.PENDING, TransactionStatus.UNDER_REVIEW)
    ]
    text = _("Your latest payments and their state:")
    if pending:
        text += " " + _(
            "A pending payment is only set aside: it is taken when the merchant completes it, or released."
        )
    return ActionResult(
        text=text,
        items=[_line(row, language) for row in rows],
        links=[_transaction_link(row) for row in rows[:LINKED]]
        + [ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
    )


def balances(user, language) -> ActionResult:
    """ "What is my balance": per currency, what is available and what is held (pending withdrawals,
    transfers in review, dispute holds)."""
    accounts = [a for a in selectors.balances_for(user=user) if a.posted_balance or a.pending_out]
    if not accounts:
        return ActionResult(
            text=_("Your balance is 0: you have no money in any currency yet."),
            links=_topup_links(),
        )
    items = []
    for account in accounts:
        line = _("%(currency)s: %(available)s available") % {
            "currency": account.currency,
            "available": _money(account.available_balance, account.currency, language),
        }
        if account.pending_out:
            line += " · " + _("%(held)s on hold") % {
                "held": _money(account.pending_out, account.currency, language)
            }
        items.append(line)
    text = _("Your balances:")
    if any(account.pending_out for account in accounts):
        text += " " + _(
            "Money on hold is set aside for a withdrawal, a transfer in review or a dispute; it is taken "
            "or released when that finishes."
        )
    return ActionResult(
        text=text,
        items=items,
        links=[
            ActionLink(_("My Account"), reverse("wallet:home")),
            ActionLink(_("Transaction history"), reverse("wallet:transactions")),
        ],
    )


def _clause_separator() -> str:
    """ "; " between two clauses of one sentence — "；" in Chinese."""
    return pgettext("between two clauses", "; ")


def _window(label_left, label_unlimited, left_minor, limit_minor, language) -> str:
    if limit_minor is None:  # no limit at this level: not "no limit left of no limit"
        return str(label_unlimited)
    return label_left % {"left": _eur(left_minor, language), "limit": _eur(limit_minor, language)}


def _transfer_next(transfer: InternationalTransfer, now) -> str:
    status = transfer.status
    if status == TransferStatus.UNDER_REVIEW:
        text = _(
            "our compliance team reviews it by %(deadline)s; if it is not approved by then it is cancelled"
        )
        text %= {"deadline": _when(transfer.review_deadline or transfer.created_at)}
        if now < transfer.cancel_until:
            text += _clause_separator() + _("you can cancel it until %(time)s") % {
                "time": _when(transfer.cancel_until)
            }
        return text
    if status == TransferStatus.PENDING:
        if now < transfer.cancel_until:
            return _(
                "you can cancel it until %(time)s; then it is paid out, and usually reaches the recipient's "
                "bank 1–2 business days later"
            ) % {"time": _when(transfer.cancel_until)}
        return _("it is being paid out and usually reaches the recipient's bank within 1–2 business days")
    if status == TransferStatus.PAID:
        return _("paid out on %(time)s; it usually reaches the recipient's bank within 1–2 business days") % {
            "time": _when(transfer.paid_at or transfer.created_at)
        }
    if status == TransferStatus.REJECTED:
        return _("our compliance team did not approve it; the money is back in your balance")
    if status == TransferStatus.BLOCKED:
        return _("refused by screening; no money left your balance")
    return _("the money is back in your balance")


def international_status(user, language) -> ActionResult:
    """ "Where is my international transfer": the recent transfers, those still running first, each
    with its state and what happens next and when, and a link to its page (which has the cancel button
    while the cancel window is open)."""
    from .international.actions import transfer_cancellable

    rows = list(
        InternationalTransfer.objects.filter(user=user)
        .select_related("quote")
        .order_by("-created_at", "-pk")[:20]
    )
    if not rows:
        return ActionResult(
            text=_("You have not sent any international transfers."),
            links=[ActionLink(_("Send an international transfer"), reverse("international:new"))],
        )
    running = [t for t in rows if t.status in (TransferStatus.UNDER_REVIEW, TransferStatus.PENDING)]
    listed = (running + [t for t in rows if t not in running])[:LISTED]
    now = timezone.now()
    items = []
    for transfer in listed:
        quote = transfer.quote
        amount = _money(quote.source_amount_minor, quote.from_currency, language)
        target = _money(quote.target_amount_minor, quote.to_currency, language)
        items.append(
            f"INT-{transfer.pk} · {_when(transfer.created_at)} · {amount} → {target} · "
            f"{transfer.recipient_name} · {transfer.get_status_display()}: {_transfer_next(transfer, now)}"
        )
    links = []
    for transfer in listed[:LINKED]:
        url = reverse("international:detail", args=[transfer.pk])
        if transfer_cancellable(transfer=transfer, actor=user, now=now):
            label = _("Cancel INT-%(number)s (until %(time)s)") % {
                "number": transfer.pk,
                "time": date_format(timezone.localtime(transfer.cancel_until), "TIME_FORMAT"),
            }
        else:
            label = _("See INT-%(number)s") % {"number": transfer.pk}
        links.append(ActionLink(label, url))
    if len(running) == 1:
        text = _("Your international transfers (1 still running):")
    elif running:
        text = _("Your international transfers (%(count)d still running):") % {"count": len(running)}
    else:
        text = _("Your international transfers (none still running):")
    return ActionResult(text=text, items=items, links=links)


def topup_status(user, language) -> ActionResult:
    """ "Where is my top-up": the latest top-ups with their state, then the balances they went to."""
    rows = selectors.transactions_for_user(user=user, kind=TransactionKind.TOPUP, limit=LISTED)
    if not rows:
        return ActionResult(text=_("You have not topped up yet."), links=_topup_links())
    pending = [row for row in rows if row.status == TransactionStatus.PENDING]
    text = _("Your latest top-ups:")
    if pending:
        text += " " + _(
            "A pending top-up is waiting for your bank to confirm; it is credited automatically once it "
            "does. Please don't top up again meanwhile."
        )
    return ActionResult(
        text=text,
        items=[_line(row, language) for row in rows],
        links=[_transaction_link(row) for row in rows[:LINKED]] + _topup_links(),
    )


def _eur(amount_minor: int | None, language: str) -> str:
    return _("no limit") if amount_minor is None else _money(amount_minor, "EUR", language)


def limits(user, language) -> ActionResult:
    """ "What are my limits / my verification level": the level, its international transfer limits in
    EUR equivalent with what is left of each rolling window, and what the next level needs."""
    from .international.limits import limits_remaining

    left = limits_remaining(user=user)
    text = _("Your verification level is L%(level)d.") % {"level": left["level"]}
    if not left["international"]:
        items = [_("International transfers: not available at this level")]
    else:
        text += " " + _("What you can still send abroad (EUR equivalent):")
        items = [
            _("Per transfer: %(amount)s") % {"amount": _eur(left["per_transfer"], language)},
            _window(
                _("Last 24 hours: %(left)s left of %(limit)s"),
                _("Last 24 hours: no limit"),
                left["day_left"],
                left["day_limit"],
                language,
            ),
            _window(
                _("Last 30 days: %(left)s left of %(limit)s"),
                _("Last 30 days: no limit"),
                left["month_left"],
                left["month_limit"],
                language,
            ),
        ]
    if left["level"] == 0:
        text += " " + _(
            "International transfers start at L1; upgrading your level online isn't available yet."
        )
    elif left["level"] == 1:
        text += " " + _("Upgrading your level online isn't available yet.")
    return ActionResult(
        text=text,
        items=items,
        links=[
            ActionLink(_("My Account"), reverse("wallet:home")),
            ActionLink(_("Send an international transfer"), reverse("international:new")),
        ],
    )


def exchange_rate(user, language) -> ActionResult:
    from .fx import cross_rate, latest_rate_set

    rate_set = latest_rate_set()
    if rate_set is None:
        return ActionResult(text=_("Exchange rates are not available right now. Please try again later."))
    items = [
        f"1 CNY = {cross_rate(rate_set, 'CNY', code):.4f} {code}"
        for code in ("USD", "EUR", "HKD", "GBP", "JPY")
    ]
    return ActionResult(
        text=_("Reference rates of the European Central Bank on %(date)s (we add 0.5%% when converting):")
        % {"date": rate_set.as_of.isoformat()},
        items=items,
        links=[ActionLink(_("Get a quote"), reverse("international:new"))],
    )
