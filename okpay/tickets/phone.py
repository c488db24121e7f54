"""Phone hours and callback slots: the one owner of "when do we phone customers".

The hours are the published ones: the active phone contact channels of the help center (their
`opens_at` / `closes_at`, China time — okpay/helpcenter/content/channels.json, editable in the admin),
the same rows the contact page shows with their numbers. The days are the business days of the
business calendar named by the setting `OKPAY_CALLBACK_CALENDAR` (public holidays off, make-up working
days on: okpay.core.business_calendar). A callback is booked for a slot of `OKPAY_CALLBACK_SLOT_MINUTES`
inside those hours, at least `OKPAY_CALLBACK_LEAD_MINUTES` ahead, up to `OKPAY_CALLBACK_DAYS` business
days ahead. The contact page, the callback form's validation and the bot's answer all read this module.

Phone numbers are NFKC-normalised, checked against an allow-list of characters and validated with
`phonenumbers` (a number without a country code is taken as mainland China's); stored in E.164.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import phonenumbers
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from okpay.core import business_calendar
from okpay.core.business_calendar import BusinessCalendar

from .errors import TicketError

PHONE_CHARACTERS = re.compile(r"^\+?[0-9][0-9 ()\-]{4,24}$")
DEFAULT_REGION = "CN"


class CallbackRefused(TicketError):
    """A slot or number the callback form does not accept (400); nothing is stored."""

    status = 400


@dataclass(frozen=True)
class PhoneHours:
    """The published numbers and the callback hours: `calendar` has the phone hours as its working
    hours and the business calendar's days."""

    numbers: tuple[str, ...]
    calendar: BusinessCalendar

    @property
    def opens(self) -> time:
        return self.calendar.opens

    @property
    def closes(self) -> time:
        return self.calendar.closes

    def hours_text(self) -> str:
        return _("%(opens)s–%(closes)s China time on business days") % {
            "opens": self.opens.strftime("%H:%M"),
            "closes": self.closes.strftime("%H:%M"),
        }


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def slot_minutes() -> int:
    return _setting("OKPAY_CALLBACK_SLOT_MINUTES", 30)


def phone_hours() -> PhoneHours | None:
    """The phone hours, or None when no active phone channel publishes hours (then no callbacks)."""
    from okpay.helpcenter.choices import ChannelKind
    from okpay.helpcenter.selectors import contact_channels

    channels = list(contact_channels().filter(kind=ChannelKind.PHONE))
    with_hours = [c for c in channels if c.opens_at is not None and c.closes_at is not None]
    if not with_hours:
        return None
    first = with_hours[0]
    assert first.opens_at is not None and first.closes_at is not None  # filtered above
    base = business_calendar.calendar(getattr(settings, "OKPAY_CALLBACK_CALENDAR", None))
    return PhoneHours(
        numbers=tuple(c.value for c in channels if c.value),
        calendar=dataclasses.replace(base, name="phone", opens=first.opens_at, closes=first.closes_at),
    )


def _step() -> timedelta:
    return timedelta(minutes=slot_minutes())


def slots(*, now: datetime | None = None, hours: PhoneHours | None = None) -> list[tuple[datetime, datetime]]:
    """The bookable slots (start, end), in the phone calendar's zone, soonest first."""
    hours = hours or phone_hours()
    if hours is None:
        return []
    cal = hours.calendar
    now = now or timezone.now()
    earliest = now + timedelta(minutes=_setting("OKPAY_CALLBACK_LEAD_MINUTES", 30))
    result: list[tuple[datetime, datetime]] = []
    day = cal.local(now).date()
    for _index in range(_setting("OKPAY_CALLBACK_DAYS", 3)):
        day = cal.next_business_day(day)
        start = cal._at(day, hours.opens)
        end_of_day = cal._at(day, hours.closes)
        while start + _step() <= end_of_day:
            if start >= earliest:
                result.append((start, start + _step()))
            start += _step()
        day += timedelta(days=1)
    return result


def slot_check(start: datetime, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The slot starting at `start` (aware), or CallbackRefused saying why not: in the past, on a
    weekend or public holiday, outside the phone hours, too far ahead, or not one of the offered
    times."""
    hours = phone_hours()
    if hours is None:
        raise CallbackRefused("callback_unavailable", _("Callbacks are not available at the moment."))
    now = now or timezone.now()
    cal = hours.calendar
    local = cal.local(start)
    if start <= now:
        raise CallbackRefused(
            "callback_past", _("This time has already passed. Please choose one of the times offered.")
        )
    if not cal.is_business_day(local.date()):
        raise CallbackRefused(
            "callback_closed_day",
            _(
                "We do not call back on %(day)s: it is a weekend day or a public holiday in China. "
                "Please choose a business day."
            ),
            day=date_format(local.date(), "DATE_FORMAT"),
        )
    if (
        not (hours.opens <= local.time() and (local + _step()).time() <= hours.closes)
        or (local + _step()).date() != local.date()
    ):
        raise CallbackRefused(
            "callback_outside_hours",
            _(
                "We call back between %(opens)s and %(closes)s China time. "
                "Please choose a time inside these hours."
            ),
            opens=hours.opens.strftime("%H:%M"),
            closes=hours.closes.strftime("%H:%M"),
        )
    offered = dict(slots(now=now, hours=hours))
    if start not in offered:
        last: date | None = max((s.date() for s in offered), default=None)
        if last is not None and local.date() > last:
            raise CallbackRefused(
                "callback_too_far",
                _("Callbacks can be booked up to %(days)s business days ahead."),
                days=_setting("OKPAY_CALLBACK_DAYS", 3),
            )
        raise CallbackRefused(
            "callback_not_offered",
            _("Please choose one of the times offered (they are %(minutes)s minutes apart)."),
            minutes=slot_minutes(),
        )
    return start, offered[start]


def slot_label(start: datetime, end: datetime, zone=None) -> str:
    """ "3 Dec 2026, 10:00–10:30" in `zone` (the current time zone by default)."""
    zone = zone or timezone.get_current_timezone()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return f"{date_format(local_start, 'DATE_FORMAT')} {time_format(local_start, 'H:i')}–" + time_format(
        local_end, "H:i"
    )


def phone_number_clean(raw: str) -> str:
    """The number in E.164 (+8613800138000), or CallbackRefused."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    refused = CallbackRefused(
        "phone_invalid",
        _("Please enter a phone number we can call, such as 138 0013 8000 or +852 9123 4567."),
    )
    if not PHONE_CHARACTERS.match(text):
        raise refused
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise refused from None
    if not phonenumbers.is_valid_number(number):
        raise refused
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- reads ----------------------------------------------------------------------------------------------


def callback_queue():
    """Open callbacks (requested, or waiting for their one retry), the one due soonest first."""
    from .choices import OPEN_CALLBACK_STATES
    from .models import Callback

    return (
        Callback.objects.filter(state__in=OPEN_CALLBACK_STATES)
        .select_related("ticket", "ticket__assignee")
        .prefetch_related("attempts__agent")
        .order_by("due_at", "id")
    )
