"""What accounts plugs into core's extension points (okpay.core.hooks)."""

from okpay.core import hooks

from . import bot_actions
from .audit_labels import AUDIT_LABELS


def _demo_users() -> str:
    from okpay.core.demo import DEMO_PASSWORD, DEMO_USERS

    from .actions import demo_user_ensure

    created = 0
    for email, role, name, language in DEMO_USERS:
        _user, was_created = demo_user_ensure(
            email=email, password=DEMO_PASSWORD, role=role, full_name=name, language=language
        )
        created += was_created
    return f"demo users: {created} created, {len(DEMO_USERS) - created} already there"


def _api_router():
    from .api import router

    return router


hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("users", _demo_users), order=0)
for _key in ("reset_password", "lost_device", "lost_card", "account_takeover", "secure_account"):
    hooks.register(hooks.BOT_ACTIONS, hooks.BotAction(_key, getattr(bot_actions, _key)))
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
hooks.register(hooks.API_ROUTERS, _api_router, order=10)
