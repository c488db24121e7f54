"""System checks that make production refuse unsafe state (run by `okpay serve` and `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError


@register(deploy=True)
def demo_users_absent(app_configs, **kwargs):
    if settings.DEMO_MODE:
        return []
    from django.contrib.auth import get_user_model

    from .demo import DEMO_EMAILS

    try:
        present = list(get_user_model().objects.filter(email__in=DEMO_EMAILS).values_list("email", flat=True))
    except DatabaseError:
        return []  # no database yet: nothing to refuse
    if present:
        return [
            Error(
                f"Demo accounts exist outside demo mode: {', '.join(sorted(present))}.",
                hint="Delete them (okpay shell) before serving in production.",
                id="okpay.E001",
            )
        ]
    return []


@register(deploy=True)
def secret_key_not_default(app_configs, **kwargs):
    if not settings.DEMO_MODE and settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY:
        return [Error("OKPAY_SECRET_KEY is the embedded default.", id="okpay.E002")]
    return []
