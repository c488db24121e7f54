"""Reads for the console's dispute review (staff only; the console's views check the role first): the
review queue and its counts, every dispute for look-up (keyset pages), one dispute's evidence by
side, the internal notes, the merchant's dispute rate, the review deadline as a badge, and the
disputes of one customer for the customer 360.

Queries stay on indexes with 100,000 disputes: the queue reads the partial index
`dispute_review_queue` (urgent, review_due_at, id) of the statuses that need OKPay, the look-up
reads `dispute_created` (created_at, id) one page at a time, a customer's disputes
`dispute_customer` / `dispute_merchant`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from okpay.core import business_calendar
from okpay.wallet.models import Payment

from .choices import REVIEW_QUEUE_STATUSES, DisputeStatus, Party
from .models import Dispute, DisputeEvent, DisputeNote, Evidence

# the queue's filters, in the order of its tabs; "every" is the look-up of all disputes in every state
QUEUE_SHOWS = ("review", "mine", "unassigned", "appeals", "urgent")
SHOWS = (*QUEUE_SHOWS, "every")
RATE_WINDOW_DAYS = 90


def _queue_filter(show: str, user) -> Q:
    condition = Q(status__in=REVIEW_QUEUE_STATUSES)
    if show == "mine":
        condition &= Q(assigned_to=user)
    elif show == "unassigned":
        condition &= Q(assigned_to__isnull=True)
    elif show == "appeals":
        condition &= Q(status=DisputeStatus.APPEALED)
    elif show == "urgent":
        condition &= Q(is_urgent=True)
    return condition


def review_queue(*, user, show: str = "review") -> QuerySet[Dispute]:
    """Disputes that need OKPay (merchant responded, under review, appealed): urgent (unauthorised
    payments) first, then the soonest review deadline. `show`: one of QUEUE_SHOWS."""
    return (
        Dispute.objects.filter(_queue_filter(show if show in QUEUE_SHOWS else "review", user))
        .select_related("customer", "merchant", "assigned_to")
        .order_by("-is_urgent", "review_due_at", "id")
    )


def queue_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """How many disputes each queue filter shows, and how many of the queue are past their review
    deadline ("overdue"): one query on the queue's partial index."""
    now = now or timezone.now()
    return Dispute.objects.filter(status__in=REVIEW_QUEUE_STATUSES).aggregate(
        review=Count("id"),
        mine=Count("id", filter=Q(assigned_to=user)),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        appeals=Count("id", filter=Q(status=DisputeStatus.APPEALED)),
        urgent=Count("id", filter=Q(is_urgent=True)),
        overdue=Count("id", filter=Q(review_due_at__lt=now)),
    )


def queue_summary(*, now: datetime | None = None) -> dict[str, int]:
    """The console home's line: disputes to review, of them urgent and past the review deadline."""
    return Dispute.objects.filter(status__in=REVIEW_QUEUE_STATUSES).aggregate(
        review=Count("id"),
        urgent=Count("id", filter=Q(is_urgent=True)),
        overdue=Count("id", filter=Q(review_due_at__lt=now or timezone.now())),
    )


def _lookup_filter(query: str) -> Q | None:
    """A dispute number (D-XXXXXXX) or the email address of its customer or merchant; None: nothing
    found for the query."""
    query = query.strip()[:254]
    if not query:
        return Q()
    if "@" in query:
        ids = list(get_user_model().objects.filter(email=query.lower()).values_list("pk", flat=True)[:1])
        return (Q(customer_id=ids[0]) | Q(merchant_id=ids[0])) if ids else None
    return Q(number=query.upper())


@dataclass(frozen=True)
class LookupPage:
    rows: list[Dispute]
    next_before: int | None  # the id to pass as `before` for the next page


def disputes_lookup(
    *, query: str = "", status: str = "", before: int | None = None, limit: int = 50
) -> LookupPage:
    """Every dispute, newest first, `limit` at a time (keyset: `before` is the id of the last row of
    the previous page), optionally of one status or matching a number or email."""
    condition = _lookup_filter(query)
    if condition is None:
        return LookupPage(rows=[], next_before=None)
    rows = Dispute.objects.filter(condition)
    if status in DisputeStatus.values:
        rows = rows.filter(status=status)
    if before is not None:
        last = Dispute.objects.filter(pk=before).values_list("created_at", flat=True).first()
        if last is not None:
            rows = rows.filter(Q(created_at__lt=last) | Q(created_at=last, id__lt=before))
    page = list(
        rows.select_related("customer", "merchant", "assigned_to").order_by("-created_at", "-id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    return LookupPage(rows=page, next_before=page[-1].pk if more and page else None)


@dataclass(frozen=True)
class Deadline:
    text: str
    tone: str  # "danger" (overdue), "warn" (due today or tomorrow) or ""
    due_at: datetime


DaysBetween = Callable[[datetime, datetime], int]


def business_days_counter() -> DaysBetween:
    """`business_calendar.business_days_between` for a page of badges: the calendar resolved once and
    each day asked once (the holiday look-up costs ~0.1 ms a day; a queue page asks ~1,000 days)."""
    calendar = business_calendar.calendar()
    is_business_day: Callable[[date], bool] = cache(calendar.is_business_day)

    def between(start: datetime, end: datetime) -> int:
        first, last = calendar.local(start).date(), calendar.local(end).date()
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        return sign * sum(
            1 for offset in range((last - first).days) if is_business_day(first + timedelta(offset))
        )

    return between


def review_deadline(
    dispute: Dispute, *, now: datetime | None = None, days_between: DaysBetween | None = None
) -> Deadline | None:
    """The review deadline as a badge, counted in business days on the business calendar: overdue
    (by how many business days), due today, or how many business days are left. `days_between`:
    one `business_days_counter()` for every row of a page."""
    due = dispute.review_due_at
    if due is None or dispute.status not in REVIEW_QUEUE_STATUSES:
        return None
    now = now or timezone.now()
    days_between = days_between or business_calendar.business_days_between
    if now > due:
        days = days_between(due, now)
        text = (
            ngettext(
                "Overdue by %(n)d business day",
                "Overdue by %(n)d business days",
                days,
            )
            % {"n": days}
            if days
            else _("Overdue")
        )
        return Deadline(text=text, tone="danger", due_at=due)
    days = days_between(now, due)
    if days <= 0:
        return Deadline(text=_("Due today"), tone="warn", due_at=due)
    text = ngettext("%(n)d business day left", "%(n)d business days left", days) % {"n": days}
    return Deadline(text=text, tone="warn" if days == 1 else "", due_at=due)


def dispute_for_staff(*, number: str) -> Dispute | None:
    return (
        Dispute.objects.select_related("payment", "customer", "merchant", "assigned_to", "decided_by")
        .filter(number=number[:12])
        .first()
    )


def evidence_by_party(dispute: Dispute) -> dict[str, list[Evidence]]:
    """Every file of the dispute (those attached to messages too), oldest first, by the side that
    submitted it: customer, merchant, okpay."""
    sides: dict[str, list[Evidence]] = {Party.CUSTOMER: [], Party.MERCHANT: [], Party.OKPAY: []}
    for item in dispute.evidence.select_related("uploaded_by").order_by("created_at", "pk"):
        sides.setdefault(item.party, []).append(item)
    return sides


STATEMENT_CODES = ("merchant_refused", "merchant_contested", "appealed", "withdrawn")


def statements_by_party(dispute: Dispute) -> dict[str, list[DisputeEvent]]:
    """What each side wrote with a step (the merchant's refusal and contest statement, an appeal's
    reason), from the dispute's events (all of them, also those a folded timeline leaves out)."""
    sides: dict[str, list[DisputeEvent]] = {Party.CUSTOMER: [], Party.MERCHANT: []}
    events = dispute.events.filter(code__in=STATEMENT_CODES).exclude(reason="").order_by("created_at", "pk")
    for event in events:
        if event.party in sides:
            sides[event.party].append(event)
    return sides


def internal_notes(dispute: Dispute) -> list[DisputeNote]:
    return list(dispute.internal_notes.select_related("author").order_by("created_at", "pk"))


@dataclass(frozen=True)
class DisputeRate:
    disputes: int
    payments: int
    days: int
    percent: Decimal | None  # None without payments in the window


def merchant_dispute_rate(
    *, merchant, now: datetime | None = None, days: int = RATE_WINDOW_DAYS
) -> DisputeRate:
    """Disputes opened on the merchant's payments of the last `days` days ÷ those payments (a
    conversation that never became a dispute does not count)."""
    since = (now or timezone.now()) - timedelta(days=days)
    payments = Payment.objects.filter(merchant=merchant, created_at__gte=since).count()
    disputes = Dispute.objects.filter(
        merchant=merchant, opened_at__isnull=False, payment__created_at__gte=since
    ).count()
    percent = (Decimal(disputes) * 100 / Decimal(payments)).quantize(Decimal("0.1")) if payments else None
    return DisputeRate(disputes=disputes, payments=payments, days=days, percent=percent)


def disputes_of_user(*, user, limit: int = 10) -> dict[str, list[Dispute]]:
    """The customer 360's panel: the user's disputes as the customer and as the merchant, newest first."""
    base = Dispute.objects.select_related("customer", "merchant").order_by("-created_at", "-id")
    return {
        "as_customer": list(base.filter(customer=user)[:limit]),
        "as_merchant": list(base.filter(merchant=user)[:limit]),
    }
