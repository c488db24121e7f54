"""Business days and business hours: one calendar for deadlines, arrival estimates and reply-time targets.

A `BusinessCalendar` says which days are business days (its *rule*) and which hours of such a day are
working hours, in its time zone. The named calendars are the setting `OKPAY_BUSINESS_CALENDARS`;
`calendar(name)` builds one (the first entry is the default). Rules:

- ``"china"``: China's official schedule from the ``chinese-calendar`` package — statutory holidays
  are off, the make-up working days (调休, a Saturday or Sunday worked in exchange) are on — extended
  and overridden by the data file `okpay/core/data/business_days.json`. A year neither covers is
  counted Monday–Friday without holidays (never an error): `coverage_ends()` says up to which year the
  data is official, and the system check okpay.W001 warns when that end is near.
- ``"weekdays"``: Monday–Friday, no holidays.

Every moment is an aware datetime, counted in the calendar's zone whatever zone it was given in;
results are in the calendar's zone. The module functions take ``using=`` (a calendar or its name;
the default calendar when omitted) and call the calendar's methods of the same name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DATA_FILE",
    "BusinessCalendar",
    "CalendarData",
    "add_business_days",
    "add_business_hours",
    "business_days_between",
    "business_seconds_between",
    "calendar",
    "coverage_ends",
    "is_business_day",
    "load_data",
    "next_business_moment",
]

Rule = Literal["china", "weekdays"]
RULES: tuple[Rule, ...] = ("china", "weekdays")

#: Holidays and make-up working days added by operators (docs/architecture.md "Business calendar").
DATA_FILE = Path(__file__).resolve().parent / "data" / "business_days.json"

# The years the installed chinese-calendar has data for; outside them it raises NotImplementedError.
_PACKAGE_FIRST_YEAR: int = min(chinese_calendar.holidays).year
_PACKAGE_LAST_YEAR: int = max(chinese_calendar.holidays).year

# Enough for any real calendar (the longest run of non-business days is about 10); a calendar whose
# data made every day a holiday would otherwise loop for ever.
_MAX_DAYS_SEARCHED = 366


@dataclass(frozen=True)
class CalendarData:
    """The data file's contents: days off, days on, and the years it gives in full."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()


@lru_cache(maxsize=8)
def _read_data(path: Path, mtime_ns: int, size: int) -> CalendarData:  # an edited file is read again
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImproperlyConfigured(f"Business calendar data {path}: {error}") from error
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"Business calendar data {path}: expected a JSON object.")
    unknown = set(raw) - {"source", "years", "holidays", "workdays"}
    if unknown:
        raise ImproperlyConfigured(f"Business calendar data {path}: unknown keys {sorted(unknown)}.")
    try:
        holidays = frozenset(date.fromisoformat(value) for value in raw.get("holidays", []))
        workdays = frozenset(date.fromisoformat(value) for value in raw.get("workdays", []))
        years = frozenset(int(value) for value in raw.get("years", []))
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"Business calendar data {path}: dates are 'YYYY-MM-DD' strings, years integers ({error})."
        ) from error
    both = holidays & workdays
    if both:
        listed = ", ".join(sorted(day.isoformat() for day in both))
        raise ImproperlyConfigured(f"Business calendar data {path}: both a holiday and a workday: {listed}.")
    return CalendarData(holidays=holidays, workdays=workdays, years=years)


def load_data(path: Path | str = DATA_FILE) -> CalendarData:
    """Read a business-days JSON file (cached until the file changes). A missing file is no data."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return CalendarData()
    return _read_data(path, stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days (`rule` and `data`) and the working hours of each, in `time_zone`.

    `opens`–`closes` are the working hours of every business day, a make-up Saturday included: business
    hours (reply-time targets) are those hours on business days, so "china" with 09:00–18:00 is Monday to
    Friday 09:00–18:00 less the holidays, plus the make-up days.
    """

    name: str
    rule: Rule = "china"
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    opens: time = time(9)
    closes: time = time(18)
    data: CalendarData = CalendarData()

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ImproperlyConfigured(f"Business calendar {self.name!r}: rule must be one of {RULES}.")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None or not self.opens < self.closes:
            raise ImproperlyConfigured(
                f"Business calendar {self.name!r}: working hours must open before they close."
            )

    # --- days ---------------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """`moment` in the calendar's zone; a naive datetime is refused (its zone would be a guess)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("A business-calendar moment must be an aware datetime.")
        return moment.astimezone(self.time_zone)

    def _day(self, day: date) -> date:
        return self.local(day).date() if isinstance(day, datetime) else day

    def is_business_day(self, day: date) -> bool:
        """Whether `day` (a date, or an aware datetime taken in the calendar's zone) is a business day."""
        day = self._day(day)
        if self.rule == "weekdays":
            return day.weekday() < 5
        if day in self.data.workdays:
            return True
        if day in self.data.holidays:
            return False
        if _PACKAGE_FIRST_YEAR <= day.year <= _PACKAGE_LAST_YEAR:
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:  # pragma: no cover - the bounds above are the package's own
                pass
        return day.weekday() < 5  # a year without official data: Monday–Friday

    def is_official(self, day: date) -> bool:
        """Whether `day`'s year has official data (so `is_business_day` is not the weekdays fallback)."""
        year = self._day(day).year
        return (
            self.rule == "weekdays"
            or _PACKAGE_FIRST_YEAR <= year <= _PACKAGE_LAST_YEAR
            or year in self.data.years
        )

    def coverage_ends(self) -> int | None:
        """The last year with official data (the package's, extended by the data file's complete
        `years` that follow it); None for the "weekdays" rule, which needs none."""
        if self.rule == "weekdays":
            return None
        last = _PACKAGE_LAST_YEAR
        while last + 1 in self.data.years:
            last += 1
        return last

    def _business_days_from(self, day: date, step: int = 1) -> Iterator[date]:
        """Business days from `day` (included) on, forwards (step 1) or backwards (step -1)."""
        gap = 0
        while True:
            if self.is_business_day(day):
                gap = 0
                yield day
            else:
                gap += 1
                if gap > _MAX_DAYS_SEARCHED:
                    raise ImproperlyConfigured(
                        f"Business calendar {self.name!r} has no business day in a year."
                    )
            day += timedelta(days=step)

    def next_business_day(self, day: date) -> date:
        """`day` if it is a business day, else the next one."""
        return next(self._business_days_from(self._day(day)))

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same local time `days` business days later. A moment on a non-business day counts from
        the next business day (so 0 days moves it there). `days` ≥ 0."""
        if days < 0:
            raise ValueError("add_business_days counts forwards: days must be ≥ 0.")
        local = self.local(moment)
        business_days = self._business_days_from(local.date())
        for _ in range(days + 1):
            day = next(business_days)
        return self._at(day, local.time())

    def business_days_between(self, start: datetime | date, end: datetime | date) -> int:
        """Business days d with start's day ≤ d < end's day (negative when end is earlier), so that
        ``business_days_between(m, add_business_days(m, n)) == n`` for every moment m."""
        first, last = self._day(start), self._day(end)
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        count = sum(
            1 for offset in range((last - first).days) if self.is_business_day(first + timedelta(offset))
        )
        return sign * count

    # --- hours --------------------------------------------------------------------------------

    def _at(self, day: date, at: time) -> datetime:
        """`day` at the wall-clock time `at` in the calendar's zone (normalised through UTC, so a time
        skipped by a daylight-saving change lands on the real instant after it)."""
        return datetime.combine(day, at, tzinfo=self.time_zone).astimezone(UTC).astimezone(self.time_zone)

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working-hours windows (start, end) that end after `moment`, in order; the first may
        start at `moment` itself."""
        local = self.local(moment)
        for day in self._business_days_from(local.date()):
            start, end = self._at(day, self.opens), self._at(day, self.closes)
            if end <= local:
                continue
            yield max(start, local), end

    def next_business_moment(self, moment: datetime) -> datetime:
        """`moment` if it is within working hours on a business day, else the next opening."""
        start, _end = next(self._windows_from(moment))
        return start

    def add_business_hours(self, moment: datetime, hours: float | timedelta) -> datetime:
        """The moment after `hours` of working time from `moment` (an SLA due time). Work that ends
        exactly at closing time ends then, not at the next opening. `hours` ≥ 0."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("add_business_hours counts forwards: hours must be ≥ 0.")
        for start, end in self._windows_from(moment):
            available = end.astimezone(UTC) - start.astimezone(UTC)
            if remaining <= available:
                return (start.astimezone(UTC) + remaining).astimezone(self.time_zone)
            remaining -= available
        raise AssertionError("unreachable: _windows_from never ends")  # pragma: no cover

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time between two moments (negative when `end` is earlier): the running
        time of an SLA clock."""
        if end < start:
            return -self.business_seconds_between(end, start)
        total = timedelta(0)
        for window_start, window_end in self._windows_from(start):
            if window_start >= end:
                break
            total += min(window_end, end).astimezone(UTC) - window_start.astimezone(UTC)
        return total.total_seconds()


# --- the named calendars --------------------------------------------------------------------------


def _parse_time(name: str, value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"Business calendar {name!r}: {value!r} is not a time (HH:MM).") from error


def _build(name: str, spec: Mapping[str, Any]) -> BusinessCalendar:
    unknown = set(spec) - {"rule", "time_zone", "hours", "data_file"}
    if unknown:
        raise ImproperlyConfigured(f"Business calendar {name!r}: unknown keys {sorted(unknown)}.")
    rule = spec.get("rule", "china")
    try:
        zone = ZoneInfo(spec.get("time_zone", "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"Business calendar {name!r}: unknown time zone.") from error
    try:
        opens, closes = spec.get("hours", ("09:00", "18:00"))
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(f"Business calendar {name!r}: hours is (opens, closes).") from error
    data = load_data(spec.get("data_file", DATA_FILE)) if rule == "china" else CalendarData()
    return BusinessCalendar(
        name=name,
        rule=rule,
        time_zone=zone,
        opens=_parse_time(name, opens),
        closes=_parse_time(name, closes),
        data=data,
    )


def calendar(name: str | None = None) -> BusinessCalendar:
    """The calendar `name` from `OKPAY_BUSINESS_CALENDARS` (the first one when None).
    An unknown name or a malformed entry raises ImproperlyConfigured."""
    specs: Mapping[str, Mapping[str, Any]] = getattr(settings, "OKPAY_BUSINESS_CALENDARS", {})
    if not specs:
        raise ImproperlyConfigured("OKPAY_BUSINESS_CALENDARS names no calendar.")
    if name is None:
        name = next(iter(specs))
    if name not in specs:
        raise ImproperlyConfigured(f"No business calendar {name!r} in OKPAY_BUSINESS_CALENDARS.")
    return _build(name, specs[name])


def _resolve(using: BusinessCalendar | str | None) -> BusinessCalendar:
    return using if isinstance(using, BusinessCalendar) else calendar(using)


def is_business_day(day: date, *, using: BusinessCalendar | str | None = None) -> bool:
    return _resolve(using).is_business_day(day)


def add_business_days(
    moment: datetime, days: int, *, using: BusinessCalendar | str | None = None
) -> datetime:
    return _resolve(using).add_business_days(moment, days)


def business_days_between(
    start: datetime | date, end: datetime | date, *, using: BusinessCalendar | str | None = None
) -> int:
    return _resolve(using).business_days_between(start, end)


def add_business_hours(
    moment: datetime, hours: float | timedelta, *, using: BusinessCalendar | str | None = None
) -> datetime:
    return _resolve(using).add_business_hours(moment, hours)


def business_seconds_between(
    start: datetime, end: datetime, *, using: BusinessCalendar | str | None = None
) -> float:
    return _resolve(using).business_seconds_between(start, end)


def next_business_moment(moment: datetime, *, using: BusinessCalendar | str | None = None) -> datetime:
    return _resolve(using).next_business_moment(moment)


def coverage_ends(using: BusinessCalendar | str | None = None) -> int | None:
    """The last year with official holiday data for the calendar (None for a "weekdays" one)."""
    return _resolve(using).coverage_ends()
