"""Reply-time policies of questions (data/reply_times.json): for each priority — and a topic's
override — the first-reply, next-reply and resolution targets, each counted around the clock
("24x7") or in the working hours of a named business calendar ("business", okpay.core.business_calendar),
and when the assignee is warned. Pure functions over the data; `clocks` applies them to a question.

The file is read again when it changes; the setting OKPAY_TICKET_REPLY_TIMES_FILE points at another
one (the tests use this). A malformed file is ImproperlyConfigured, and the system check
okpay.E021 says so at start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from okpay.core import business_calendar

from .choices import TicketPriority, TicketTopic

DATA = Path(__file__).resolve().parent / "data" / "reply_times.json"

FIRST_REPLY, NEXT_REPLY, RESOLUTION = "first_reply", "next_reply", "resolution"
TARGETS = (FIRST_REPLY, NEXT_REPLY, RESOLUTION)
CLOCKS = ("24x7", "business")
# the order a breach raises a question's priority in (one step; urgent stays urgent)
PRIORITY_ORDER = (TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT)

Clock = Literal["24x7", "business"]


@dataclass(frozen=True)
class Target:
    """One target: `hours` on its clock; a business clock counts the working hours of `calendar`."""

    name: str
    hours: float
    clock: Clock = "24x7"
    calendar: str | None = None
    warn_fraction: float = 0.25

    @property
    def seconds(self) -> float:
        return self.hours * 3600

    @property
    def warn_after_seconds(self) -> float:
        """Running time after which the assignee is warned (when `warn_fraction` of it is left)."""
        return self.seconds * (1 - self.warn_fraction)

    def add(self, moment: datetime, seconds: float) -> datetime:
        """`seconds` of this clock's running time after `moment` (negative: before it, counted in
        wall-clock time — only ever used to keep a missed target missed by as much)."""
        if seconds < 0 or self.clock == "24x7":
            return moment + timedelta(seconds=seconds)
        return business_calendar.add_business_hours(moment, timedelta(seconds=seconds), using=self.calendar)

    def between(self, start: datetime, end: datetime) -> float:
        """This clock's running time from `start` to `end`, in seconds (negative when end is earlier)."""
        if self.clock == "24x7":
            return (end - start).total_seconds()
        return business_calendar.business_seconds_between(start, end, using=self.calendar)

    def due(self, start: datetime) -> datetime:
        return self.add(start, self.seconds)

    def warn_at(self, start: datetime) -> datetime:
        return self.add(start, self.warn_after_seconds)


# --- the data -----------------------------------------------------------------------------------------


def _fail(path: Path, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Reply-time policy {path}: {message}")


def _target(path: Path, where: str, raw: Any, *, calendar: str, fraction: float) -> dict:
    if not isinstance(raw, dict) or set(raw) - {"hours", "clock", "calendar"}:
        raise _fail(path, f"{where} is {{'hours': …, 'clock': '24x7' | 'business', 'calendar'?: name}}.")
    hours, clock = raw.get("hours"), raw.get("clock", "24x7")
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 366:
        raise _fail(path, f"{where}: hours must be a number above 0.")
    if clock not in CLOCKS:
        raise _fail(path, f"{where}: clock must be one of {CLOCKS}.")
    name = raw.get("calendar", calendar)
    if clock == "business":
        business_calendar.calendar(name)  # an unknown calendar is ImproperlyConfigured
    return {
        "hours": hours,
        "clock": clock,
        "calendar": name if clock == "business" else None,
        "warn": fraction,
    }


def _validate(path: Path, raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise _fail(path, "expected a JSON object.")
    unknown = set(raw) - {"_comment", "calendar", "warn_before", "priorities", "topics"}
    if unknown:
        raise _fail(path, f"unknown keys {sorted(unknown)}.")
    calendar = raw.get("calendar") or next(iter(getattr(settings, "OKPAY_BUSINESS_CALENDARS", {}) or {}), "")
    warn = raw.get("warn_before", {"fraction": 0.25})
    fraction = warn.get("fraction") if isinstance(warn, dict) and set(warn) == {"fraction"} else None
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
        raise _fail(path, "warn_before is {'fraction': f} with 0 ≤ f < 1 (the share of a target left).")
    priorities = raw.get("priorities")
    if not isinstance(priorities, dict) or set(priorities) != set(TicketPriority.values):
        raise _fail(path, f"priorities must name exactly {sorted(TicketPriority.values)}.")
    table: dict[str, dict[str, dict]] = {}
    for priority, targets in priorities.items():
        if not isinstance(targets, dict) or set(targets) != set(TARGETS):
            raise _fail(path, f"priority {priority!r} must give exactly {list(TARGETS)}.")
        table[priority] = {
            name: _target(path, f"{priority}.{name}", targets[name], calendar=calendar, fraction=fraction)
            for name in TARGETS
        }
    topics = raw.get("topics", {})
    if not isinstance(topics, dict) or set(topics) - set(TicketTopic.values):
        raise _fail(path, f"topics may name only {sorted(TicketTopic.values)}.")
    overrides: dict[str, dict] = {}
    for topic, spec in topics.items():
        if not isinstance(spec, dict) or set(spec) - {"priority", "targets", "priorities"}:
            raise _fail(path, f"topic {topic!r} is {{'priority'?, 'targets'?, 'priorities'?}}.")
        if "priority" in spec and spec["priority"] not in TicketPriority.values:
            raise _fail(path, f"topic {topic!r}: unknown priority {spec['priority']!r}.")
        every = spec.get("targets", {})
        by_priority = spec.get("priorities", {})
        if not isinstance(every, dict) or set(every) - set(TARGETS):
            raise _fail(path, f"topic {topic!r}: targets may name only {list(TARGETS)}.")
        if not isinstance(by_priority, dict) or set(by_priority) - set(TicketPriority.values):
            raise _fail(path, f"topic {topic!r}: priorities may name only {sorted(TicketPriority.values)}.")
        overrides[topic] = {
            "priority": spec.get("priority", TicketPriority.NORMAL),
            "targets": {
                name: _target(path, f"{topic}.{name}", value, calendar=calendar, fraction=fraction)
                for name, value in every.items()
            },
            "priorities": {},
        }
        for priority, targets in by_priority.items():
            if not isinstance(targets, dict) or set(targets) - set(TARGETS):
                raise _fail(path, f"topic {topic!r}, priority {priority!r}: only {list(TARGETS)}.")
            overrides[topic]["priorities"][priority] = {
                name: _target(path, f"{topic}.{priority}.{name}", value, calendar=calendar, fraction=fraction)
                for name, value in targets.items()
            }
    return {"priorities": table, "topics": overrides}


@lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int, size: int) -> dict:  # an edited file is read again
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _fail(path, str(error)) from error
    return _validate(path, raw)


def data_file() -> Path:
    return Path(getattr(settings, "OKPAY_TICKET_REPLY_TIMES_FILE", None) or DATA)


def rules() -> dict:
    """The validated policy: {"priorities": {priority: {target: spec}}, "topics": {topic: override}}."""
    path = data_file()
    try:
        stat = path.stat()
    except OSError as error:
        raise _fail(path, str(error)) from error
    return _read(path, stat.st_mtime_ns, stat.st_size)


def target(name: str, *, priority: str, topic: str = "") -> Target:
    """The `name` target (first_reply, next_reply, resolution) of a question of this priority and
    topic: the topic's override for the priority, else the topic's override for every priority, else
    the priority's."""
    policy = rules()
    override = policy["topics"].get(topic, {})
    spec = (
        override.get("priorities", {}).get(priority, {}).get(name)
        or override.get("targets", {}).get(name)
        or policy["priorities"][TicketPriority(priority)][name]
    )
    return Target(
        name=name,
        hours=spec["hours"],
        clock=spec["clock"],
        calendar=spec["calendar"],
        warn_fraction=spec["warn"],
    )


def priority_for(topic: str) -> str:
    """The priority a new question on `topic` starts with."""
    return rules()["topics"].get(topic, {}).get("priority", TicketPriority.NORMAL)


def priority_raised(priority: str) -> str:
    """One step up (a missed target); urgent stays urgent."""
    index = PRIORITY_ORDER.index(TicketPriority(priority))
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]
