"""Permission-scoped reads. A customer only ever gets their own conversation (None for anyone else's
id, so callers answer 404 and change nothing); staff read every conversation and the queue."""

import uuid
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from okpay.accounts import roles

from . import routing
from .choices import OPEN_STATUSES, ChatGroup, ChatPriority, ConversationStatus, Sender
from .models import AgentPresence, Conversation, Message

MESSAGES_PAGE = 200


def _uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _customer_rows(*, user=None, guest_key: str = ""):
    if user is not None and getattr(user, "is_authenticated", False):
        return Conversation.objects.filter(user=user)
    if guest_key:
        return Conversation.objects.filter(user__isnull=True, guest_key=guest_key)
    return Conversation.objects.none()


def conversation_for_customer(*, user=None, guest_key: str = "", conversation_id) -> Conversation | None:
    """The signed-in user's conversation, or the guest's (by the key in their signed cookie); None for
    any other id, a malformed one, or nobody."""
    pk = _uuid(conversation_id)
    if pk is None:
        return None
    return (
        _customer_rows(user=user, guest_key=guest_key)
        .select_related("agent", "ticket", "bot_conversation")
        .filter(pk=pk)
        .first()
    )


def conversation_open_for(*, user=None, guest_key: str = "") -> Conversation | None:
    return _customer_rows(user=user, guest_key=guest_key).filter(status__in=OPEN_STATUSES).first()


def conversation_for_staff(*, user, conversation_id) -> Conversation | None:
    """Any conversation, for staff (the console's "all" view); None for everyone else."""
    pk = _uuid(conversation_id)
    if pk is None or not roles.is_staff(user):
        return None
    return (
        Conversation.objects.select_related("user", "agent", "ticket", "transaction", "bot_conversation")
        .filter(pk=pk)
        .first()
    )


def messages_after(
    *, conversation: Conversation, after: int, for_customer: bool, limit: int = MESSAGES_PAGE
) -> list[Message]:
    """The messages with seq > after, in seq order (at most `limit`: ask again from the last seq);
    internal notes are left out for the customer."""
    rows = Message.objects.filter(conversation=conversation, seq__gt=max(int(after), 0))
    if for_customer:
        rows = rows.exclude(sender=Sender.NOTE)
    return list(rows.select_related("author").order_by("seq")[: max(1, min(limit, MESSAGES_PAGE))])


def conversations_for_agent(*, agent) -> list[Conversation]:
    """The agent's chats in progress ("mine"), oldest first."""
    if not roles.is_staff(agent):
        return []
    return list(
        Conversation.objects.filter(status=ConversationStatus.ACTIVE, agent=agent)
        .select_related("user")
        .order_by("accepted_at")
    )


def presence_for(*, agent) -> AgentPresence | None:
    if not roles.is_staff(agent):
        return None
    return AgentPresence.objects.filter(user=agent).first()


def queue_for(*, agent, limit: int = 100) -> list[Conversation]:
    """The waiting conversations an agent may pick, in queue order (urgent first, then first come):
    for an agent, those of the languages and groups they serve; a supervisor sees every one. Each
    carries `queue_position` (within its group) and `waited_seconds`."""
    if not roles.is_staff(agent):
        return []
    rows = list(routing.queued().select_related("user")[: limit * 3])
    positions: dict[str, int] = {}
    for row in rows:
        positions[row.group] = positions.get(row.group, 0) + 1
        row.queue_position = positions[row.group]
    if not roles.is_supervisor(agent):
        presence = AgentPresence.objects.filter(user=agent).first()
        languages = presence.languages if presence else [agent.language]
        groups = presence.groups if presence else []
        rows = [r for r in rows if r.language in languages and (not groups or r.group in groups)]
    now = timezone.now()
    for row in rows:
        row.waited_seconds = int((now - row.queued_at).total_seconds()) if row.queued_at else 0
    return rows[:limit]


def queue_stats() -> dict:
    """The supervisor's live numbers per group: waiting (urgent), longest wait, agents online and
    their free slots, chats in progress; and today's (China time) first-response time, abandonment
    and CSAT."""
    now = timezone.now()
    presences = routing.online_presences()
    loads = routing.agent_loads()
    groups = {}
    for group in ChatGroup.values:
        waiting = Conversation.objects.filter(status=ConversationStatus.QUEUED, group=group)
        oldest = waiting.aggregate(oldest=Min("queued_at"))["oldest"]
        serving = [p for p in presences if not p.groups or group in p.groups]
        groups[group] = {
            "waiting": waiting.count(),
            "urgent": waiting.filter(priority=ChatPriority.URGENT).count(),
            "longest_wait_seconds": int((now - oldest).total_seconds()) if oldest else 0,
            "agents_online": len(serving),
            "free_slots": sum(max(p.capacity - loads.get(p.user_id, 0), 0) for p in serving),
            "active": Conversation.objects.filter(status=ConversationStatus.ACTIVE, group=group).count(),
        }
    start = timezone.localtime(now, routing.CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Conversation.objects.filter(queued_at__gte=start)
    responded = list(
        today.filter(first_response_at__isnull=False, accepted_at__isnull=False).values_list(
            "queued_at", "first_response_at"
        )
    )
    rated = list(today.filter(rating__isnull=False).values_list("rating", flat=True))
    return {
        "groups": groups,
        "agents": [
            {
                "agent": p.user_id,
                "name": p.user.display_name,
                "load": loads.get(p.user_id, 0),
                "capacity": p.capacity,
            }
            for p in presences
        ],
        "today": {
            "handed_off": today.count(),
            "abandoned": today.filter(status=ConversationStatus.ABANDONED).count(),
            "first_response_seconds": (
                int(sum((r - q).total_seconds() for q, r in responded) / len(responded))
                if responded
                else None
            ),
            "csat": round(sum(1 for s in rated if s >= 4) / len(rated), 3) if rated else None,
            "rated": len(rated),
        },
        "handled_last_hour": Conversation.objects.filter(
            status=ConversationStatus.CLOSED, closed_at__gte=now - timedelta(hours=1)
        ).count(),
    }
