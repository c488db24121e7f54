"""The wallet's answers for the bot: the customer's own payments, balances and the current rates."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from okpay.core.hooks import ActionLink, ActionResult
from okpay.core.money import format_money

from . import selectors
from .choices import TransactionKind
from .models import Transaction


def _line(row: Transaction, language: str) -> str:
    amount = format_money(row.amount_minor, row.currency, language)
    return f"{timezone.localtime(row.created_at):%Y-%m-%d %H:%M} · {row.counterparty} · {amount}"


def recent_payments(user, language) -> ActionResult:
    rows = selectors.transactions_for_user(user=user, kind=TransactionKind.PAYMENT, limit=5)
    if not rows:
        return ActionResult(text=_("You have no payments yet."))
    return ActionResult(
        text=_("Your latest payments:"),
        items=[_line(row, language) for row in rows],
        links=[ActionLink(_("Transaction history"), reverse("wallet:transactions"))],
    )


def balances(user, language) -> ActionResult:
    accounts = selectors.balances_for(user=user)
    items = [
        format_money(a.available_balance, a.currency, language)
        + (f" ({_('on hold')}: {format_money(a.pending_out, a.currency, language)})" if a.pending_out else "")
        for a in accounts
    ]
    return ActionResult(
        text=_("Your available balances:") if items else _("You have no balance yet."),
        items=items,
        links=[ActionLink(_("My Account"), reverse("wallet:home"))],
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
