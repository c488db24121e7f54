"""Questions reports (issue 15 item 5): first-reply and resolution times against the reply-time targets
(policy.py), missed targets and CSAT, per agent, group and channel, for a period, with a daily series.
docs/reports.md says how each figure is counted.

Every figure is about the **questions created in the period** (one index range on created_at, so the
report stays fast at a million questions), counted by the database in a few aggregate queries — never
a loop over rows in Python. Medians and the 90th percentile are PostgreSQL's `percentile_cont`; on
SQLite (the tests, a laptop) the same aggregate is a registered function of the connection.

Periods are whole days in the service time zone (Asia/Shanghai): the last 7, 30 or 90 days (today
included) or from one date to another, at most MAX_DAYS days."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core.errors import DomainError, PermissionDenied

from . import policy
from .choices import SupportGroup, TicketChannel, TicketPriority
from .models import Ticket, TicketRating

SERVICE_ZONE = ZoneInfo("Asia/Shanghai")  # the service's days: the published hours are China time
PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)
SATISFIED = 4  # a rating of 4 or 5 of 5 counts as satisfied
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReportPeriodInvalid(DomainError):
    status = 400


# --- the period ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # included
    preset: int | None = None  # 7, 30, 90, or None for chosen dates

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=SERVICE_ZONE)

    @property
    def end(self) -> datetime:  # exclusive: the next day's midnight
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=SERVICE_ZONE)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]

    def query(self) -> dict[str, str]:
        """The parameters that choose this period again (links, the CSV export)."""
        if self.preset is not None:
            return {"days": str(self.preset)}
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def service_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), SERVICE_ZONE).date()


def _date(raw: str) -> date | None:
    text = raw.strip()
    if not DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def period_parse(data, *, now: datetime | None = None) -> Period:
    """The period a page's parameters choose: `days` (7, 30, 90; default 30) or `from` and `to`
    (YYYY-MM-DD, both days included, in the service time zone). Bad input raises ReportPeriodInvalid
    with a message for the person."""
    today = service_today(now)
    raw_from, raw_to = str(data.get("from") or "")[:40], str(data.get("to") or "")[:40]
    if raw_from.strip() or raw_to.strip():
        first, last = _date(raw_from), _date(raw_to)
        if first is None or last is None:
            raise ReportPeriodInvalid(
                "bad_date", _("Enter both dates as YYYY-MM-DD, for example 2026-11-01.")
            )
        if first < EARLIEST or last > today:
            raise ReportPeriodInvalid(
                "date_out_of_range",
                _("Choose dates from %(earliest)s to today (%(today)s)."),
                earliest=EARLIEST.isoformat(),
                today=today.isoformat(),
            )
        if first > last:
            raise ReportPeriodInvalid("dates_reversed", _("The first date must not be after the last date."))
        if (last - first).days + 1 > MAX_DAYS:
            raise ReportPeriodInvalid(
                "period_too_long", _("Choose a period of at most %(days)s days."), days=MAX_DAYS
            )
        return Period(first, last)
    raw_days = str(data.get("days") or "").strip()
    if not raw_days:
        days = DEFAULT_DAYS
    elif raw_days in {str(d) for d in PRESETS}:
        days = int(raw_days)
    else:
        raise ReportPeriodInvalid("bad_preset", _("Choose the last 7, 30 or 90 days, or two dates."))
    return Period(today - timedelta(days=days - 1), today, preset=days)


# --- aggregates ---------------------------------------------------------------------------------------


class SecondsBetween(Func):
    """`end - start` in seconds (a float; NULL when either is NULL)."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra_context):  # SQLite (julianday: days as a float)
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"((julianday({end}) - julianday({start})) * 86400.0)", [*end_params, *start_params]

    def as_postgresql(self, compiler, connection, **extra_context):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::float8", [*end_params, *start_params]


class _SqlitePercentile:
    """percentile_cont for SQLite: linear interpolation between the closest ranks; NULLs ignored."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        self.fraction = float(fraction)
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over `values` (the tests' reference as well as SQLite's)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Percentile(Aggregate):
    """The continuous percentile (`fraction` 0–1) of a numeric expression; NULLs are left out."""

    name = "Percentile"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction is between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # SQLite
        raw = connection.connection
        if raw is not None and getattr(connection, "_okpay_percentile_on", None) is not raw:
            raw.create_aggregate("okpay_percentile", 2, _SqlitePercentile)
            connection._okpay_percentile_on = raw  # once per database connection
        sql, params = compiler.compile(self.source_expressions[0])
        return f"okpay_percentile({sql}, {self.fraction!r})", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {sql})", params


def first_reply_within_target() -> Q:
    """The first reply came within its target. A round-the-clock target (all of today's first-reply
    targets) is checked exactly: first reply ≤ created + the target of the question's priority and
    topic. A business-hours target cannot be counted in SQL; there the sweep's mark decides: the reply
    clock was not marked missed before the first reply."""
    rules = policy.rules()
    overridden: dict[str, set[str]] = {p: set() for p in TicketPriority.values}
    branches: list[tuple[Q, policy.Target]] = []
    for topic, spec in rules["topics"].items():
        for priority in TicketPriority.values:
            if (
                policy.FIRST_REPLY in spec["priorities"].get(priority, {})
                or policy.FIRST_REPLY in spec["targets"]
            ):
                overridden[priority].add(topic)
                branches.append(
                    (
                        Q(priority=priority, topic=topic),
                        policy.target(policy.FIRST_REPLY, priority=priority, topic=topic),
                    )
                )
    for priority in TicketPriority.values:
        where = Q(priority=priority)
        if overridden[priority]:
            where &= ~Q(topic__in=sorted(overridden[priority]))
        branches.append((where, policy.target(policy.FIRST_REPLY, priority=priority)))
    within = Q(pk__in=[])
    for where, goal in branches:
        if goal.clock == "24x7":
            met = Q(first_responded_at__lte=F("created_at") + timedelta(seconds=goal.seconds))
        else:
            met = Q(reply_breached_at__isnull=True) | Q(reply_breached_at__gt=F("first_responded_at"))
        within |= where & met
    return Q(first_responded_at__isnull=False) & within


def _figures(*, ratings: bool = True) -> dict:
    first_reply = SecondsBetween("first_responded_at", "created_at")
    resolution = SecondsBetween("solved_at", "created_at")
    figures = {
        "created": Count("id"),
        "solved": Count("id", filter=Q(solved_at__isnull=False)),
        "replied": Count("id", filter=Q(first_responded_at__isnull=False)),
        "reply_within": Count("id", filter=first_reply_within_target()),
        "first_reply_median": Percentile(first_reply, 0.5),
        "first_reply_p90": Percentile(first_reply, 0.9),
        "resolution_median": Percentile(resolution, 0.5),
        "resolved_within": Count(
            "id", filter=Q(solved_at__isnull=False, resolution_breached_at__isnull=True)
        ),
        "reply_breaches": Count("id", filter=Q(reply_breached_at__isnull=False)),
        "resolution_breaches": Count("id", filter=Q(resolution_breached_at__isnull=False)),
    }
    if ratings:
        figures["rated"] = Count("rating__id")
        figures["satisfied"] = Count("rating__id", filter=Q(rating__score__gte=SATISFIED))
    return figures


# --- the report ---------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


@dataclass
class Row:
    key: str
    label: str
    created: int = 0
    solved: int = 0
    replied: int = 0
    reply_within: int = 0
    first_reply_median: int | None = None  # seconds
    first_reply_p90: int | None = None
    resolution_median: int | None = None
    resolved_within: int = 0
    reply_breaches: int = 0
    resolution_breaches: int = 0
    rated: int = 0
    satisfied: int = 0

    @classmethod
    def of(cls, key: str, label: str, values: dict) -> Row:
        row = cls(key=key, label=label)
        row.fill(values)
        return row

    def fill(self, values: dict) -> None:
        for name in ("created", "solved", "replied", "reply_within", "resolved_within"):
            setattr(self, name, values.get(name) or 0)
        for name in ("reply_breaches", "resolution_breaches"):
            setattr(self, name, values.get(name) or 0)
        for name in ("first_reply_median", "first_reply_p90", "resolution_median"):
            setattr(self, name, _seconds(values.get(name)))
        if "rated" in values:
            self.rated, self.satisfied = values["rated"] or 0, values["satisfied"] or 0

    @property
    def reply_within_share(self) -> float | None:
        """% of first replies within target (of the questions with a first reply)."""
        return _share(self.reply_within, self.replied)

    @property
    def resolved_within_share(self) -> float | None:
        """% of solved questions whose resolution target was not missed."""
        return _share(self.resolved_within, self.solved)

    @property
    def breaches(self) -> int:
        return self.reply_breaches + self.resolution_breaches

    @property
    def csat_share(self) -> float | None:
        """% satisfied (4–5 of 5) of the rated questions."""
        return _share(self.satisfied, self.rated)


@dataclass
class Day:
    day: date
    created: int = 0
    solved: int = 0
    reply_breaches: int = 0
    resolution_breaches: int = 0

    @property
    def breaches(self) -> int:
        return self.reply_breaches + self.resolution_breaches


@dataclass
class Report:
    period: Period
    totals: Row
    agents: list[Row] = field(default_factory=list)
    groups: list[Row] = field(default_factory=list)
    channels: list[Row] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    all_agents: bool = True  # False: an agent's view (their own row only)


def cohort(period: Period) -> QuerySet[Ticket]:
    """The questions a report is about: created in the period."""
    return Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end)


def _by(questions: QuerySet[Ticket], key: str, *, ratings: bool = True) -> dict:
    return {
        values[key]: values
        for values in questions.order_by().values(key).annotate(**_figures(ratings=ratings))
    }


def _agent_rows(questions: QuerySet[Ticket], period: Period, *, only=None) -> list[Row]:
    """Per assignee (the questions assigned to them now); CSAT by the agent the rating was given to
    (TicketRating.agent: who handled the question when the customer rated it)."""
    if only is not None:
        questions = questions.filter(assignee=only)
    figures = _by(questions, "assignee", ratings=False)
    ratings_qs = TicketRating.objects.filter(
        ticket__created_at__gte=period.start, ticket__created_at__lt=period.end
    )
    if only is not None:
        ratings_qs = ratings_qs.filter(agent=only)
    csat = {
        values["agent"]: values
        for values in ratings_qs.order_by()
        .values("agent")
        .annotate(rated=Count("id"), satisfied=Count("id", filter=Q(score__gte=SATISFIED)))
    }
    ids = set(figures) | set(csat)
    if only is not None:
        ids.add(only.pk)
    people = get_user_model().objects.in_bulk([pk for pk in ids if pk is not None])
    rows = []
    for pk in ids:
        if pk is None:
            label = str(_("Unassigned"))
        elif pk in people:
            label = people[pk].display_name
        else:
            continue
        row = Row.of(str(pk or ""), label, figures.get(pk, {}))
        rating: dict = dict(csat.get(pk, {}))
        row.rated, row.satisfied = rating.get("rated", 0), rating.get("satisfied", 0)
        rows.append(row)
    return sorted(rows, key=lambda row: (row.key == "", row.label.lower(), row.key))


def _choice_rows(questions: QuerySet[Ticket], key: str, choices) -> list[Row]:
    figures = _by(questions, key)
    return [Row.of(value, str(label), figures.get(value, {})) for value, label in choices]


def _per_day(questions: QuerySet[Ticket], moment: str) -> dict[date, int]:
    return {
        values["day"]: values["n"]
        for values in questions.filter(**{f"{moment}__isnull": False})
        .order_by()
        .annotate(day=TruncDate(moment, tzinfo=SERVICE_ZONE))
        .values("day")
        .annotate(n=Count("id"))
    }


def ticket_report(*, period: Period, viewer) -> Report:
    """The report for `viewer`: staff only. A supervisor sees every agent; an agent the team's figures
    (totals, groups, channels) and their own row."""
    if not roles.is_staff(viewer):
        raise PermissionDenied()
    questions = cohort(period)
    every = roles.is_supervisor(viewer)
    totals = Row.of("", str(_("All questions")), questions.order_by().aggregate(**_figures()))
    days = {day: Day(day) for day in period.day_list()}
    for attribute, moment in (
        ("created", "created_at"),
        ("solved", "solved_at"),
        ("reply_breaches", "reply_breached_at"),
        ("resolution_breaches", "resolution_breached_at"),
    ):
        for day, n in _per_day(questions, moment).items():
            if day in days:
                setattr(days[day], attribute, n)
    return Report(
        period=period,
        totals=totals,
        agents=_agent_rows(questions, period, only=None if every else viewer),
        groups=_choice_rows(questions, "group", SupportGroup.choices),
        channels=_choice_rows(questions, "channel", TicketChannel.choices),
        days=list(days.values()),
        all_agents=every,
    )
