"""Reads for the console's withdrawal queue (staff): the filtered queue, counts per status, the age of
an open withdrawal against its business-day target (data/operations.json), one withdrawal with its
timeline (its audit rows), the customer's other withdrawals."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from okpay.core import business_calendar
from okpay.core.models import AuditEvent
from okpay.core.money import currency_exponent

from .choices import OPEN_STATUSES, WithdrawalStatus
from .models import Withdrawal
from .providers import ManualProvider
from .selectors import MAX_ID

OPERATIONS_DATA = Path(__file__).resolve().parent / "data" / "operations.json"
# how long a withdrawal has been waiting at least (the queue's age filter)
AGES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}
SORTS = ("oldest", "newest")
TIMELINE_ACTIONS = ("withdrawal.submitted", "withdrawal.status_changed", "withdrawal.destination_revealed")


@cache
def operations_rules() -> dict:
    with OPERATIONS_DATA.open(encoding="utf-8") as handle:
        return json.load(handle)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. `status` is a WithdrawalStatus value, "open" (requested, under review,
    processing) or "all"; amounts are major units of the withdrawal's own currency."""

    status: str = "open"
    method: str = ""
    currency: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    age: str = ""
    sort: str = "oldest"


def _minor(value: Decimal, currency: str, rounding: str) -> int:
    return int(value.scaleb(currency_exponent(currency)).to_integral_value(rounding=rounding))


def _amount_q(filters: QueueFilters) -> Q:
    """The amount range per currency (each currency's minor unit), or no condition."""
    if filters.amount_min is None and filters.amount_max is None:
        return Q()
    currencies = [filters.currency] if filters.currency else list(settings.OKPAY_WALLET_CURRENCIES)
    condition = Q(pk__in=[])
    for currency in currencies:
        part = Q(currency=currency)
        if filters.amount_min is not None:
            part &= Q(amount_minor__gte=_minor(filters.amount_min, currency, ROUND_CEILING))
        if filters.amount_max is not None:
            part &= Q(amount_minor__lte=_minor(filters.amount_max, currency, ROUND_FLOOR))
        condition |= part
    return condition


def _filtered(filters: QueueFilters, *, now: datetime) -> QuerySet[Withdrawal]:
    """Every filter but the status."""
    rows = Withdrawal.objects.all()
    if filters.method:
        rows = rows.filter(method=filters.method)
    if filters.currency:
        rows = rows.filter(currency=filters.currency)
    if filters.age in AGES:
        rows = rows.filter(created_at__lte=now - AGES[filters.age])
    return rows.filter(_amount_q(filters))


def withdrawal_queue(*, filters: QueueFilters, now: datetime | None = None) -> QuerySet[Withdrawal]:
    rows = _filtered(filters, now=now or timezone.now())
    if filters.status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif filters.status in WithdrawalStatus.values:
        rows = rows.filter(status=filters.status)
    order = ("created_at", "pk") if filters.sort == "oldest" else ("-created_at", "-pk")
    return rows.select_related("user", "destination").order_by(*order)


def withdrawal_status_counts(*, filters: QueueFilters, now: datetime | None = None) -> dict[str, int]:
    """How many withdrawals each status has under the other filters (every status, 0 included)."""
    found = dict(
        _filtered(filters, now=now or timezone.now())
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: found.get(status, 0) for status in WithdrawalStatus.values}


def queue_summary() -> dict[str, int]:
    """The console home's line: withdrawals held for review ("review"), and the manual provider's to
    pay ("pay"): requested ones to send to the bank ("to_send") and processing ones to settle (the
    sandbox pays by itself)."""
    manual = Q(provider=ManualProvider.name)
    counts = Withdrawal.objects.aggregate(
        review=Count("pk", filter=Q(status=WithdrawalStatus.UNDER_REVIEW)),
        to_send=Count("pk", filter=manual & Q(status=WithdrawalStatus.REQUESTED)),
        to_settle=Count("pk", filter=manual & Q(status=WithdrawalStatus.PROCESSING)),
    )
    return {**counts, "pay": counts["to_send"] + counts["to_settle"]}


@dataclass(frozen=True)
class Age:
    text: str  # "3 h"
    overdue: bool  # open past its business-day target
    late: bool  # open past the arrival the customer was told
    target: datetime | None


def age_text(seconds: float) -> str:
    minutes = max(int(seconds // 60), 0)
    if minutes < 60:
        return _("%(m)s min") % {"m": minutes}  # the chat inbox's wording, already translated
    hours = minutes // 60
    if hours < 48:
        return _("%(n)s h") % {"n": hours}
    return _("%(n)s d") % {"n": hours // 24}


def withdrawal_age(withdrawal: Withdrawal, *, now: datetime | None = None) -> Age:
    now = now or timezone.now()
    days = operations_rules()["queue_targets_business_days"].get(withdrawal.status)
    is_open = withdrawal.status in OPEN_STATUSES
    target = business_calendar.add_business_days(withdrawal.created_at, days) if is_open and days else None
    return Age(
        text=age_text((now - withdrawal.created_at).total_seconds()),
        overdue=target is not None and now > target,
        late=is_open and now > withdrawal.estimated_arrival,
        target=target,
    )


def withdrawal_for_staff(*, withdrawal_id: int) -> Withdrawal | None:
    if not 0 < withdrawal_id <= MAX_ID:
        return None
    return (
        Withdrawal.objects.select_related("user", "destination", "transaction")
        .filter(pk=withdrawal_id)
        .first()
    )


def withdrawal_timeline(*, withdrawal: Withdrawal) -> QuerySet[AuditEvent]:
    """Its audit rows, oldest first: submitted, every status change (who, note, failure code) and
    every look at the destination's full number."""
    return (
        AuditEvent.objects.filter(action__in=TIMELINE_ACTIONS, data__withdrawal=withdrawal.pk)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def withdrawals_of_customer(*, user, exclude: int | None = None, limit: int = 10) -> list[Withdrawal]:
    rows = Withdrawal.objects.filter(user=user).select_related("destination").order_by("-created_at", "-pk")
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return list(rows[:limit])
