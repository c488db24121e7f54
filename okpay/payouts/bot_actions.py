"""The payouts' answers for the bot (hooks.BOT_ACTIONS): where the customer's own withdrawals are."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from okpay.core.hooks import ActionLink, ActionResult
from okpay.core.money import format_money

from .choices import OPEN_STATUSES, WithdrawalStatus
from .models import PayoutDestination, Withdrawal


def _next_step(withdrawal: Withdrawal) -> str:
    arrival = date_format(timezone.localtime(withdrawal.estimated_arrival), "DATETIME_FORMAT")
    status = withdrawal.status
    if status == WithdrawalStatus.UNDER_REVIEW:
        return _("we are reviewing it and email you the decision; you can still cancel it")
    if status == WithdrawalStatus.REQUESTED:
        return _("it is waiting to be sent; you can still cancel it; expected by %(time)s") % {
            "time": arrival
        }
    if status == WithdrawalStatus.PROCESSING:
        return _("it is on its way; expected by %(time)s") % {"time": arrival}
    if status == WithdrawalStatus.PAID:
        return _("paid out on %(time)s") % {
            "time": date_format(timezone.localtime(withdrawal.paid_at), "DATETIME_FORMAT")
        }
    if status == WithdrawalStatus.FAILED:
        return _("it failed (%(reason)s); the amount and the fee are back in your balance") % {
            "reason": withdrawal.get_failure_code_display()
        }
    return _("the amount and the fee are back in your balance")


def withdrawal_status(user, language) -> ActionResult:
    """The customer's open withdrawals (else the latest three): state, what happens next and when."""
    rows = list(
        Withdrawal.objects.filter(user=user, status__in=OPEN_STATUSES).select_related("destination")[:5]
    ) or list(Withdrawal.objects.filter(user=user).select_related("destination")[:3])
    if not rows:
        return ActionResult(text=_("You have no withdrawals yet."))
    items = [
        f"{w.reference} · {format_money(w.amount_minor, w.currency, language)} → {w.destination.masked} · "
        f"{w.get_status_display()}: {_next_step(w)}"
        for w in rows
    ]
    return ActionResult(
        text=_("Your withdrawals:"),
        items=items,
        links=[ActionLink(w.reference, reverse("payouts:withdrawal", args=[w.pk])) for w in rows[:3]]
        + [ActionLink(_("Withdraw"), reverse("payouts:withdraw"))],
    )


def withdraw_start(user, language) -> ActionResult:
    """ "How do I withdraw" for a signed-in customer: the flow itself, and where the money can go."""
    destinations = PayoutDestination.objects.filter(user=user, removed_at__isnull=True).count()
    if not destinations:
        return ActionResult(
            text=_("First add where the money should go (a bank account, debit card or e-wallet):"),
            links=[ActionLink(_("Add a destination"), reverse("payouts:destination_new"))],
        )
    return ActionResult(
        text=_("You can withdraw now to one of your %(count)s destinations:") % {"count": destinations},
        links=[
            ActionLink(_("Withdraw"), reverse("payouts:withdraw")),
            ActionLink(_("Payout destinations"), reverse("payouts:destinations")),
        ],
    )
