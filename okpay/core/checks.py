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


@register()
def rate_limits_well_formed(app_configs, **kwargs):
    """Every OKPAY_RATE_LIMITS entry is (hits ≥ 1, window ≥ 1 second)."""
    errors = []
    for policy, value in getattr(settings, "OKPAY_RATE_LIMITS", {}).items():
        try:
            limit, window_seconds = value
            well_formed = int(limit) >= 1 and int(window_seconds) >= 1
        except (TypeError, ValueError):
            well_formed = False
        if not well_formed:
            errors.append(
                Error(
                    f"OKPAY_RATE_LIMITS[{policy!r}] must be (hits, window in seconds), both at least 1.",
                    id="okpay.E010",
                )
            )
    return errors
