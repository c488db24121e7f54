"""What the wallet plugs into core's extension points (okpay.core.hooks)."""

from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from . import bot_actions
from .audit_labels import AUDIT_LABELS


def _demo_wallet():
    from .demo import wallet_demo_load

    return wallet_demo_load()


def _api_router():
    from .api import router

    return router


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="customers",
        title=_("Customers (360)"),
        url_name="console:customers",
        permission=roles.is_staff,
    ),
    order=10,
)
hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="reviews",
        title=_("Compliance review queue"),
        url_name="console:reviews",
        permission=roles.can_decide_reviews,
    ),
    order=20,
)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("wallet", _demo_wallet), order=20)
for key in ("recent_payments", "balances", "exchange_rate", "international_status", "topup_status", "limits"):
    hooks.register(hooks.BOT_ACTIONS, hooks.BotAction(key, getattr(bot_actions, key)))
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
hooks.register(hooks.API_ROUTERS, _api_router, order=30)


def _fx_refresh_schedule():
    from .tasks import fx_refresh_schedule

    return "queued the next exchange-rate refresh" if fx_refresh_schedule() else None


def _wallet_sweep_schedule():
    from .tasks import wallet_sweep_schedule

    return "queued the next wallet sweep (due deadlines, expired holds)" if wallet_sweep_schedule() else None


hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("exchange-rate refresh", _fx_refresh_schedule))
hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("wallet sweep", _wallet_sweep_schedule))
