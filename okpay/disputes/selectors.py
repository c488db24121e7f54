"""Reads of disputes, each scoped to who asks: a customer sees their own, a merchant the disputes on
payments to them, staff any (console). Another user's number answers None (the views give 404)."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from okpay.accounts import roles

from .choices import FINISHED_STATUSES, DisputeStatus, Party
from .models import Dispute, DisputeEvent, DisputeMessage, Evidence


def _base() -> QuerySet[Dispute]:
    return Dispute.objects.select_related("payment", "customer", "merchant")


def dispute_for_party(*, number: str, user, party: str) -> Dispute | None:
    """The dispute `number` if `user` is its customer (party customer) or its merchant (merchant)."""
    if not getattr(user, "is_authenticated", False):
        return None
    field = "customer" if party == Party.CUSTOMER else "merchant"
    return _base().filter(number=number, **{field: user}).first()


def dispute_for_staff(*, number: str, user) -> Dispute | None:
    if not roles.is_staff(user):
        return None
    return _base().filter(number=number).first()


def disputes_for_staff(*, user) -> QuerySet[Dispute]:
    """Every dispute, for staff (the API's staff list); nothing for anyone else."""
    if not roles.is_staff(user):
        return Dispute.objects.none()
    return _base()


def dispute_for_payment(*, payment_id: int, user) -> Dispute | None:
    return Dispute.objects.filter(payment_id=payment_id, customer=user).first()


def disputes_of_customer(*, user) -> QuerySet[Dispute]:
    return _base().filter(customer=user).order_by("-updated_at", "-pk")


def disputes_of_merchant(*, user) -> QuerySet[Dispute]:
    """Waiting for the merchant first (a conversation not answered yet, a dispute to respond to),
    soonest deadline first; then the rest, newest first."""
    waiting = Case(
        When(status=DisputeStatus.OPEN, then=Value(0)),
        When(status=DisputeStatus.MERCHANT_CONTACT, merchant_answered_at__isnull=True, then=Value(0)),
        When(status__in=FINISHED_STATUSES, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        _base()
        .filter(merchant=user)
        .annotate(waiting=waiting)
        .order_by("waiting", "response_due_at", "merchant_answer_due_at", "-updated_at")
    )


def timeline_for(dispute: Dispute) -> list[DisputeEvent]:
    return list(dispute.events.select_related("actor").order_by("created_at", "pk"))


# A long timeline (a dispute with hundreds of evidence uploads and reminders) is shown folded: the
# first steps (how it started) and the latest ones, with the number of steps in between and a link to
# every step. Measured: each rendered step costs ~0.4 ms, so 300 steps missed the page's 100 ms target.
TIMELINE_HEAD = 3
TIMELINE_TAIL = 20


@dataclass(frozen=True)
class TimelineWindow:
    events: list[DisputeEvent]
    hidden: int  # steps left out between the head and the tail
    gap_at: int  # index in `events` before which they were left out (-1: nothing left out)


def timeline_window(
    dispute: Dispute, *, show_all: bool = False, head: int = TIMELINE_HEAD, tail: int = TIMELINE_TAIL
) -> TimelineWindow:
    events = dispute.events.select_related("actor")
    if show_all:
        return TimelineWindow(list(events.order_by("created_at", "pk")), 0, -1)
    # one query more than needed to learn whether anything is left out
    first = list(events.order_by("created_at", "pk")[: head + tail + 1])
    if len(first) <= head + tail:
        return TimelineWindow(first, 0, -1)
    total = events.count()
    last = list(events.order_by("-created_at", "-pk")[:tail])[::-1]
    return TimelineWindow(first[:head] + last, total - head - tail, head)


def messages_for(dispute: Dispute) -> list[DisputeMessage]:
    return list(
        dispute.messages.select_related("author").prefetch_related(
            Prefetch("files", queryset=Evidence.objects.order_by("pk"))
        )
    )


def evidence_for(dispute: Dispute) -> list[Evidence]:
    return list(dispute.evidence.filter(message__isnull=True).select_related("uploaded_by"))


def evidence_for_viewer(*, evidence_id: int, user) -> Evidence | None:
    """A file for its dispute's customer, merchant or staff; None for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    item = Evidence.objects.select_related("dispute").filter(pk=evidence_id).first()
    if item is None:
        return None
    dispute = item.dispute
    if user.pk in (dispute.customer_id, dispute.merchant_id) or roles.is_staff(user):
        return item
    return None


def open_disputes_count(*, merchant) -> int:
    return Dispute.objects.filter(merchant=merchant).exclude(status__in=FINISHED_STATUSES).count()
