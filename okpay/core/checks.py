"""System checks that make production refuse unsafe state (run by `okpay serve` and `check --deploy`), and
note (okpay.I001) and then warn (okpay.W001) when the business calendar's official holiday data runs
out."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Warning, register
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


#: How long before the end of the official holiday data okpay.W001 starts warning.
BUSINESS_CALENDAR_WARNING_DAYS = 60


@register(deploy=True)  # not on every command: `check --deploy`, and `okpay serve` in production
def business_calendars_covered(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    """Every OKPAY_BUSINESS_CALENDARS entry builds (okpay.E011), and a "china" one has official holiday
    data for at least BUSINESS_CALENDAR_WARNING_DAYS more days (okpay.I001 in those last days, okpay.W001
    once today is past the data): past its data, a year is counted Monday–Friday without holidays."""
    from datetime import date, timedelta

    from django.core.exceptions import ImproperlyConfigured
    from django.utils import timezone

    from . import business_calendar

    messages: list[CheckMessage] = []
    for name in getattr(settings, "OKPAY_BUSINESS_CALENDARS", {}):
        try:
            cal = business_calendar.calendar(name)
        except ImproperlyConfigured as error:
            messages.append(Error(str(error), id="okpay.E011"))
            continue
        last_year = cal.coverage_ends()
        if last_year is None:
            continue
        today = timezone.now().astimezone(cal.time_zone).date()
        end = date(last_year, 12, 31)
        if end - today <= timedelta(days=BUSINESS_CALENDAR_WARNING_DAYS):
            # a notice while the data still covers today (the next year's schedule is usually published
            # in November), a warning — which fails `check --deploy --fail-level WARNING` — once it no
            # longer does
            level = Warning if today > end else Info
            messages.append(
                level(
                    f"Business calendar {name!r} has China's official holidays only through {last_year}; "
                    f"from {last_year + 1} on it counts Monday–Friday without holidays or make-up days.",
                    hint=(
                        f"When the State Council publishes the {last_year + 1} schedule, upgrade "
                        "chinese-calendar or add the year to okpay/core/data/business_days.json "
                        "(or the calendar's data_file; docs/architecture.md 'Business calendar')."
                    ),
                    id="okpay.W001" if today > end else "okpay.I001",
                )
            )
    return messages
