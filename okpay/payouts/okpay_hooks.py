"""What payouts plug into core's extension points: audit labels, the payout sweep's schedule and the
console's withdrawal queue."""

from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from . import bot_actions
from .audit_labels import AUDIT_LABELS

hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)


def _demo_payouts():
    from .demo import payouts_demo_load

    return payouts_demo_load()


hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("payouts", _demo_payouts), order=25)
hooks.register(hooks.BOT_ACTIONS, hooks.BotAction("withdrawal_status", bot_actions.withdrawal_status))
hooks.register(hooks.BOT_ACTIONS, hooks.BotAction("withdraw_start", bot_actions.withdraw_start))


def _transaction_links(row, user) -> list[tuple[str, str]]:
    """A withdrawal's history row links to its status page (timeline, cancel while it is possible)."""
    from django.urls import reverse

    from .models import Withdrawal

    reference = getattr(row, "reference", "") or ""
    if not reference.startswith("withdrawal:") or not reference[11:].isdigit():
        return []
    withdrawal_id = int(reference[11:])
    user_id = getattr(user, "pk", None)
    if user_id is None or not Withdrawal.objects.filter(pk=withdrawal_id, user_id=user_id).exists():
        return []
    return [(str(_("Withdrawal status")), reverse("payouts:withdrawal", args=[withdrawal_id]))]


hooks.register(hooks.TRANSACTION_LINKS, _transaction_links)


def _sweep_schedule():
    from .tasks import payout_sweep_schedule

    return payout_sweep_schedule()


hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("payout sweep", _sweep_schedule))


def _api_router():
    from .api import router

    return router


hooks.register(hooks.API_ROUTERS, _api_router, order=55)


def _withdrawal_api_router():
    from .withdrawal_api import router

    return router


hooks.register(hooks.API_ROUTERS, _withdrawal_api_router, order=56)


def _withdrawal_queue_status() -> str:
    from django.utils.translation import gettext

    from .selectors_staff import queue_summary

    return gettext("%(review)s to review · %(pay)s to pay") % queue_summary()


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="withdrawals",
        title=_("Withdrawals"),
        url_name="console:withdrawals",
        permission=roles.is_staff,
        status=_withdrawal_queue_status,
    ),
    order=25,
)


def _customer_panel_context(customer, viewer) -> dict:
    from .models import PayoutDestination, Withdrawal

    return {
        "withdrawals": Withdrawal.objects.filter(user=customer).select_related("destination")[:10],
        "destinations": PayoutDestination.objects.filter(user=customer).order_by("-created_at")[:10],
    }


hooks.register(
    hooks.CUSTOMER_PANELS,
    hooks.CustomerPanel(
        key="withdrawals",
        title=_("Withdrawals and payout destinations"),
        template="payouts/_customer_panel.html",
        context=_customer_panel_context,
        permission=roles.is_staff,
    ),
)
