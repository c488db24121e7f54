"""The disputes' answers for the bot (hooks.BOT_ACTIONS), from the signed-in customer's own payments
and disputes: the likely duplicate payment, payments the customer may not recognise, refunds, where
to start, and the state and next deadline of each dispute. Every link goes to the dispute flows
(`/account/disputes/contact/<payment>/`, `…/open/<payment>/?reason=unauthorized`, `…/<number>/`).

Text is English in gettext; the engine calls a handler inside `translation.override(language)`, and
each handler also sets the language and the customer's time zone itself, so dates read as the
customer's own (as in emails and notices)."""

import zoneinfo
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import wraps

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from okpay.core.hooks import ActionLink, ActionResult
from okpay.core.money import format_money
from okpay.wallet.models import Payment

from . import actions, policy, selectors
from .choices import FINISHED_STATUSES, Reason
from .models import Dispute

DUPLICATE_WINDOW = timedelta(hours=24)  # two payments this close: the same amount to the same merchant
RECENT_DAYS = 30  # "recent payments" in a list
LISTED = 5  # items in one answer
LINKED = 3  # buttons in one answer


def _zone(user) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(user.time_zone) if getattr(user, "time_zone", "") else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _as_customer(handler: Callable[[object, str], ActionResult]) -> Callable[[object, str], ActionResult]:
    """Run the handler in the customer's language (the question's) and time zone."""

    @wraps(handler)
    def wrapped(user, language: str) -> ActionResult:
        with translation.override(language), timezone.override(_zone(user)):
            return handler(user, language)

    return wrapped


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _money(amount_minor: int, currency: str, language: str) -> str:
    return format_money(amount_minor, currency, language)


def _line(payment: Payment, language: str) -> str:
    line = f"{payment.merchant.display_name} · {_money(payment.amount_minor, payment.currency, language)} · "
    line += _when(payment.created_at)
    if payment.refunded_minor:
        line += " · " + _("%(amount)s refunded") % {
            "amount": _money(payment.refunded_minor, payment.currency, language)
        }
    return line


def _no_payments(days: int) -> ActionResult:
    return ActionResult(
        text=_("You have made no payments to merchants in the last %(days)d days.") % {"days": days},
        links=[ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
    )


def _disputable_payments(user) -> list[Payment]:
    """The customer's payments still inside the filing window, newest first."""
    since = timezone.now() - timedelta(days=policy.rules()["filing_window_days"])
    return list(
        Payment.objects.filter(customer=user, created_at__gte=since)
        .select_related("merchant")
        .order_by("-created_at", "-pk")[:500]
    )


def _disputes_by_payment(user, payments: Iterable[Payment]) -> dict[int, Dispute]:
    ids = [payment.pk for payment in payments]
    return {d.payment_id: d for d in Dispute.objects.filter(customer=user, payment_id__in=ids)}


def _payment_link(
    payment: Payment, disputes: dict[int, Dispute], *, unauthorised: bool = False, several: bool = True
) -> ActionLink:
    """The one next step on a payment: its dispute if there is one (or opening it once the merchant
    had their chance), else contacting the merchant — or, for a payment the customer did not make,
    opening the dispute at once."""
    which = {"merchant": payment.merchant.display_name, "time": _when(payment.created_at)}
    dispute = disputes.get(payment.pk)
    if dispute is not None:
        if actions.may_open(dispute):
            return ActionLink(
                _("Open a dispute: %(merchant)s, %(time)s") % which if several else _("Open a dispute"),
                reverse("disputes:open", args=[payment.pk]),
            )
        return ActionLink(
            _("See your dispute %(number)s") % {"number": dispute.number},
            reverse("disputes:detail", args=[dispute.number]),
        )
    if unauthorised:
        return ActionLink(
            _("Report an unauthorised payment: %(merchant)s, %(time)s") % which
            if several
            else _("Report an unauthorised payment"),
            reverse("disputes:open", args=[payment.pk]) + f"?reason={Reason.UNAUTHORIZED}",
        )
    return ActionLink(
        _("Contact the merchant: %(merchant)s, %(time)s") % which if several else _("Contact the merchant"),
        reverse("disputes:contact", args=[payment.pk]),
    )


def duplicate_pairs(payments: Iterable[Payment]) -> list[tuple[Payment, Payment]]:
    """(first, second) for each payment made within DUPLICATE_WINDOW after another one of the same
    amount and currency to the same merchant; newest pair first. A payment refunded in full is no
    longer a double charge."""
    ordered = sorted(
        (p for p in payments if p.refunded_minor < p.amount_minor), key=lambda p: (p.created_at, p.pk)
    )
    last_seen: dict[tuple, Payment] = {}
    pairs = []
    for payment in ordered:
        key = (payment.merchant_id, payment.amount_minor, payment.currency)
        earlier = last_seen.get(key)
        if earlier is not None and payment.created_at - earlier.created_at <= DUPLICATE_WINDOW:
            pairs.append((earlier, payment))
        last_seen[key] = payment
    return pairs[::-1]


@_as_customer
def charged_twice(user, language: str) -> ActionResult:
    """ "I was charged twice": the pair of payments that looks like a duplicate, with the merchant,
    the amount and both times, and a button on the second payment."""
    payments = _disputable_payments(user)
    pairs = duplicate_pairs(payments)
    days = policy.rules()["merchant_answer_business_days"]
    if not pairs:
        recent = payments[:LISTED]
        if not recent:
            return _no_payments(policy.rules()["filing_window_days"])
        return ActionResult(
            text=_(
                "I found no two payments of the same amount to the same merchant within 24 hours. "
                "Your latest payments:"
            ),
            items=[_line(p, language) for p in recent],
            links=[ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
        )
    disputes = _disputes_by_payment(user, [second for _first, second in pairs])
    items = [
        _("%(merchant)s · %(amount)s · paid at %(first)s and again at %(second)s")
        % {
            "merchant": second.merchant.display_name,
            "amount": _money(second.amount_minor, second.currency, language),
            "first": _when(first.created_at),
            "second": _when(second.created_at),
        }
        for first, second in pairs[:LISTED]
    ]
    if len(pairs) == 1:
        text = _("This looks like a double charge: the same amount to the same merchant within 24 hours.")
    else:
        text = _("These look like double charges: the same amount to the same merchant within 24 hours.")
    text += " " + _(
        "If you meant to pay once, ask the merchant to refund the second payment. If they refuse or do "
        "not answer within %(days)d business days, you can open a dispute on it."
    ) % {"days": days}
    several = len(pairs) > 1
    return ActionResult(
        text=text,
        items=items,
        links=[_payment_link(second, disputes, several=several) for _first, second in pairs[:LINKED]],
    )


def _first_payments_to_merchant(user, payments: list[Payment]) -> list[Payment]:
    """Of `payments`, those to a merchant the customer had never paid before."""
    earliest: dict[int, int] = {}
    for merchant_id, payment_id in (
        Payment.objects.filter(customer=user, merchant_id__in={p.merchant_id for p in payments})
        .order_by("created_at", "pk")
        .values_list("merchant_id", "pk")
    ):
        earliest.setdefault(merchant_id, payment_id)
    return [p for p in payments if earliest.get(p.merchant_id) == p.pk]


@_as_customer
def unrecognised_payment(user, language: str) -> ActionResult:
    """ "I don't recognise this payment": the recent payments, those to a merchant never paid before
    first, each with "Report an unauthorised payment" (the dispute opens at once, in the urgent queue,
    and offers to sign out every other session)."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    payments = [p for p in _disputable_payments(user) if p.created_at >= since]
    if not payments:
        return _no_payments(RECENT_DAYS)
    new_merchants = _first_payments_to_merchant(user, payments)
    listed = (new_merchants + [p for p in payments if p not in new_merchants])[:LISTED]
    if new_merchants:
        text = _(
            "Your payments of the last %(days)d days, first those to merchants you had not paid before:"
        ) % {"days": RECENT_DAYS}
    else:
        text = _("Your payments of the last %(days)d days:") % {"days": RECENT_DAYS}
    text += " " + _(
        "If you did not make one of them, report it: the dispute opens at once, we treat it as urgent, "
        "and you can sign out every other session."
    )
    disputes = _disputes_by_payment(user, listed)
    return ActionResult(
        text=text,
        items=[_line(p, language) for p in listed],
        links=[_payment_link(p, disputes, unauthorised=True) for p in listed[:LINKED]]
        + [ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
    )


@_as_customer
def refund_missing(user, language: str) -> ActionResult:
    """ "My refund isn't showing": refunds reach the OKPay balance; the recent refunded payments,
    then the payments without a refund, each with a way to ask the merchant."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    payments = [p for p in _disputable_payments(user) if p.created_at >= since]
    if not payments:
        return _no_payments(RECENT_DAYS)
    refunded = [p for p in payments if p.refunded_minor]
    not_refunded = [p for p in payments if not p.refunded_minor]
    listed = (refunded + not_refunded)[:LISTED]
    disputes = _disputes_by_payment(user, not_refunded[:LINKED])
    text = _(
        "Refunds go back to your OKPay balance in the payment's currency, never to a bank card. "
        "Your payments of the last %(days)d days:"
    ) % {"days": RECENT_DAYS}
    if not_refunded:
        text += " " + _(
            "If a merchant promised a refund that is not here, ask them; if they refuse or do not answer "
            "within %(days)d business days, you can open a dispute."
        ) % {"days": policy.rules()["merchant_answer_business_days"]}
    return ActionResult(
        text=text,
        items=[_line(p, language) for p in listed],
        links=[_payment_link(p, disputes) for p in not_refunded[:LINKED]]
        + [ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
    )


@_as_customer
def dispute_start(user, language: str) -> ActionResult:
    """ "How do I open a dispute / contact the merchant / get a refund": the recent payments, each with
    its next step (contact the merchant, open the dispute, or see it)."""
    payments = _disputable_payments(user)[:LISTED]
    if not payments:
        return _no_payments(policy.rules()["filing_window_days"])
    disputes = _disputes_by_payment(user, payments)
    links = [_payment_link(p, disputes) for p in payments[:LINKED]]
    if Dispute.objects.filter(customer=user).exists():
        links.append(ActionLink(_("Your disputes"), reverse("disputes:list")))
    return ActionResult(
        text=_("Your latest payments. Choose the one with the problem:"),
        items=[_line(p, language) for p in payments],
        links=links,
    )


def _dispute_line(dispute: Dispute, language: str) -> str:
    from .views import next_deadline

    amount = _money(dispute.amount_minor or dispute.payment.amount_minor, dispute.currency, language)
    line = f"{dispute.number} · {dispute.merchant.display_name} · {amount} · {dispute.get_status_display()}"
    deadline = next_deadline(dispute, "customer")
    when = deadline[1] if deadline is not None else None
    if deadline is not None and isinstance(when, datetime):
        what = deadline[0]
        line += " · " + _("next deadline: %(what)s, %(date)s") % {"what": what, "date": _when(when)}
    return line


@_as_customer
def dispute_status(user, language: str) -> ActionResult:
    """ "What's happening with my dispute": the customer's own disputes, those still running first,
    each with its state and next deadline, and a link to each."""
    disputes = list(selectors.disputes_of_customer(user=user)[:50])
    if not disputes:
        return ActionResult(
            text=_(
                "You have no disputes. To start one, open the payment from your transactions and choose "
                "“Contact the merchant”."
            ),
            links=[ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
        )
    running = [d for d in disputes if d.status not in FINISHED_STATUSES]
    listed = (running + [d for d in disputes if d.status in FINISHED_STATUSES])[:LISTED]
    if len(disputes) == 1:
        text = _("Your dispute:")
    else:
        text = _("Your disputes (%(running)d still open):") % {"running": len(running)}
    return ActionResult(
        text=text,
        items=[_dispute_line(d, language) for d in listed],
        links=[ActionLink(d.number, reverse("disputes:detail", args=[d.number])) for d in listed[:LINKED]]
        + ([ActionLink(_("All your disputes"), reverse("disputes:list"))] if len(disputes) > 1 else []),
    )
