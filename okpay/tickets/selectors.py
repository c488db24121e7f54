from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from .choices import ACTIVE_STATUSES, FINISHED_STATUSES, TicketStatus
from .models import Macro, Ticket, TicketRating

SESSION_ACCESS_KEY = "ticket_access"


def tickets_for_customer(*, user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester=user).order_by("-updated_at", "-id")


def ticket_for_viewer(*, number: str, user, session) -> Ticket | None:
    """The ticket if this viewer is its customer: the signed-in requester, or — for a question
    asked without an account — a browser that opened the emailed link. Staff use the console."""
    ticket = Ticket.objects.filter(number=number[:12]).select_related("requester").first()
    if ticket is None:
        return None
    if ticket.requester_id is not None:
        return ticket if user.is_authenticated and user.pk == ticket.requester_id else None
    return ticket if number in session.get(SESSION_ACCESS_KEY, []) else None


def public_messages(ticket: Ticket):
    return (
        ticket.messages.filter(kind__in=("customer", "agent", "system"))
        .select_related("author")
        .prefetch_related("attachments")
    )


def all_messages(ticket: Ticket):
    return ticket.messages.select_related("author").prefetch_related("attachments")


QUEUES = {
    "active": Q(status__in=ACTIVE_STATUSES),
    "pending": Q(status=TicketStatus.PENDING),
    "solved": Q(status__in=FINISHED_STATUSES),
    "all": Q(),
}


def staff_queue(
    *, queue: str = "active", user=None, mine: bool = False, unassigned: bool = False, query: str = ""
) -> QuerySet[Ticket]:
    """Oldest waiting first for work queues; newest first for the archive views."""
    tickets = Ticket.objects.filter(QUEUES.get(queue, QUEUES["active"])).select_related(
        "assignee", "requester"
    )
    if mine and user is not None:
        tickets = tickets.filter(assignee=user)
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    query = query.strip()[:100]
    if query:
        tickets = tickets.filter(
            Q(number__iexact=query) | Q(requester_email__icontains=query) | Q(subject__icontains=query)
        )
    if queue == "active":  # the reply owed soonest first
        return tickets.order_by(F("reply_due_at").asc(nulls_last=True), "created_at", "id")
    return tickets.order_by("created_at", "id") if queue == "pending" else tickets.order_by("-updated_at")


def queue_counts() -> dict[str, int]:
    counts = Ticket.objects.aggregate(
        active=Count("id", filter=QUEUES["active"]),
        pending=Count("id", filter=QUEUES["pending"]),
        unassigned=Count("id", filter=QUEUES["active"] & Q(assignee__isnull=True)),
        # a reply past due on a running clock (Ticket.is_overdue; a paused one waits for the customer)
        overdue=Count(
            "id",
            filter=Q(reply_due_at__lt=timezone.now(), paused_at__isnull=True)
            & ~Q(status__in=FINISHED_STATUSES),
        ),
    )
    return counts


def ticket_for_staff(*, number: str) -> Ticket | None:
    return (
        Ticket.objects.filter(number=number[:12])
        .select_related("requester", "assignee", "bot_conversation")
        .first()
    )


def rating_for(ticket: Ticket) -> TicketRating | None:
    return TicketRating.objects.filter(ticket=ticket).first()


def satisfaction_summary(*, days: int = 30) -> dict:
    """CSAT over the last `days`: ratings, average, share satisfied (4–5 of 5)."""
    from datetime import timedelta

    from django.db.models import Avg

    ratings = TicketRating.objects.filter(created_at__gte=timezone.now() - timedelta(days=days))
    summary = ratings.aggregate(
        n=Count("id"), average=Avg("score"), satisfied=Count("id", filter=Q(score__gte=4))
    )
    summary["satisfied_share"] = round(100 * summary["satisfied"] / summary["n"]) if summary["n"] else None
    summary["days"] = days
    return summary


def macros_in_use() -> QuerySet[Macro]:
    return Macro.objects.filter(is_active=True)
