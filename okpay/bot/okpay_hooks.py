"""What the answer bot plugs into core's extension points (okpay.core.hooks)."""

from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _train_if_missing():
    """A new installation's first model: the shipped one (okpay/bot/shipped.py) when it was trained on
    the data this code ships, active at once; otherwise the first training is queued for the worker
    (≈ 3 min on two cores) and until it is active the bot hands every question to a person."""
    from django.conf import settings

    from .models import BotModelVersion
    from .shipped import shipped_activate, shipped_problem
    from .tasks import bot_train_enqueue_once

    if not settings.OKPAY_BOT_TRAIN_ON_DEMO or BotModelVersion.objects.filter(is_active=True).exists():
        return None
    if (version := shipped_activate()) is not None:  # it checks the shipped model itself
        return f"answer bot: the shipped model {version.version} is active"
    problem = shipped_problem() or "no shipped model"  # (only now: hashing 31 MB is not free)
    if not bot_train_enqueue_once():
        return "answer bot: a training is already queued or running"
    return f"answer bot: {problem}; first training queued for the worker (about 3 minutes)"


def _training_resume():
    from .tasks import bot_training_resume

    return bot_training_resume()


def _api_router():
    from .api import router

    return router


def _warm_up():
    from .engine import warm_up

    warm_up()


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="bot",
        title=_("Answer bot: conversations"),
        url_name="console:bot_turns",
        permission=roles.is_staff,
    ),
    order=30,
)
hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="bot_models",
        title=_("Answer bot: corrections and versions"),
        url_name="console:bot_models",
        permission=roles.is_supervisor,
    ),
    order=31,
)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("bot", _train_if_missing), order=30)
hooks.register(hooks.API_ROUTERS, _api_router, order=40)
hooks.register(hooks.WARM_UPS, _warm_up, order=20)
hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("bot training resume", _training_resume))
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
