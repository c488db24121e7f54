"""Permission-scoped reads. A customer only ever gets their own conversation (None for anyone else's
id, so callers answer 404 and change nothing); staff read every conversation and the queue."""

import uuid
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from okpay.accounts import roles

from . import routing
from .choices import OPEN_STATUSES, ChatGroup, ChatPriority, ConversationStatus, Sender
from .models import AgentPresence, ChatAttachment, Conversation, Message

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


def attachment_for(*, user=None, guest_key: str = "", attachment_id: int) -> ChatAttachment | None:
    """A chat file for its conversation's customer (signed in, or the guest by cookie) or for staff;
    None for anyone else (an internal note's file would be staff only; notes carry no files)."""
    rows = ChatAttachment.objects.select_related("message")
    if not roles.is_staff(user):
        rows = rows.filter(
            message__conversation__in=_customer_rows(user=user, guest_key=guest_key),
            message__sender__in=(Sender.CUSTOMER, Sender.AGENT),
        )
    return rows.filter(pk=attachment_id).first()


def messages_after(
    *, conversation: Conversation, after: int, for_customer: bool, limit: int = MESSAGES_PAGE
) -> list[Message]:
    """The messages with seq > after, in seq order (at most `limit`: ask again from the last seq);
    internal notes are left out for the customer."""
    rows = Message.objects.filter(conversation=conversation, seq__gt=max(int(after), 0))
    if for_customer:
        rows = rows.exclude(sender=Sender.NOTE)
    return list(
        rows.select_related("author", "attachment").order_by("seq")[: max(1, min(limit, MESSAGES_PAGE))]
    )


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
    responded = [
        (queued, first)
        for queued, first in today.filter(
            first_response_at__isnull=False, accepted_at__isnull=False
        ).values_list("queued_at", "first_response_at")
        if queued is not None and first is not None
    ]
    rated = [r for r in today.filter(rating__isnull=False).values_list("rating", flat=True) if r is not None]
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


# --- the console: inbox, the conversation page, the supervisor's dashboard -------------------------

INBOX_TABS = ("queue", "mine", "all")  # and one tab per group: ChatGroup.values


def conversation_for_staff_action(*, user, conversation_id) -> Conversation | None:
    """The conversation a staff member may act on from the console: a waiting one (anyone may
    accept it), one they are the agent of, or — for a supervisor — any. None otherwise (another
    agent's chat, a malformed or unknown id, a non-staff user), so the console answers 404 and
    nothing changes. Reading stays `conversation_for_staff` (every staff member follows any chat)."""
    conversation = conversation_for_staff(user=user, conversation_id=conversation_id)
    if conversation is None:
        return None
    if (
        roles.is_supervisor(user)
        or conversation.status == ConversationStatus.QUEUED
        or conversation.agent_id == user.pk
    ):
        return conversation
    return None


def inbox_rows(*, user, tab: str) -> list[Conversation]:
    """The console inbox's list for a tab: "queue" (what this agent may pick, `queue_for`), "mine"
    (their chats in progress), "all" (every waiting or running chat) or a group key (that group's
    waiting and running chats). Waiting rows carry `waited_seconds`."""
    if not roles.is_staff(user):
        return []
    if tab == "queue":
        return queue_for(agent=user)
    if tab == "mine":
        return conversations_for_agent(agent=user)
    rows = Conversation.objects.filter(status__in=(ConversationStatus.QUEUED, ConversationStatus.ACTIVE))
    if tab in ChatGroup.values:
        rows = rows.filter(group=tab)
    elif tab != "all":
        return []
    listed = list(rows.select_related("user", "agent").order_by("status", "queued_at", "created_at")[:200])
    now = timezone.now()
    for row in listed:
        row.waited_seconds = int((now - row.queued_at).total_seconds()) if row.queued_at else 0  # type: ignore[attr-defined]
    return listed


def inbox_counts(*, user) -> dict:
    """Numbers for the inbox's tabs: queue (what this agent may pick), mine, all, per group."""
    if not roles.is_staff(user):
        return {}
    open_rows = Conversation.objects.filter(
        status__in=(ConversationStatus.QUEUED, ConversationStatus.ACTIVE)
    ).values_list("group", flat=True)
    groups = dict.fromkeys(ChatGroup.values, 0)
    for group in open_rows:
        groups[group] = groups.get(group, 0) + 1
    return {
        "queue": len(queue_for(agent=user)),
        "mine": Conversation.objects.filter(status=ConversationStatus.ACTIVE, agent=user).count(),
        "all": sum(groups.values()),
        **groups,
    }


def waiting_summary() -> dict:
    """For the console home's status line: how many wait for a person and the longest wait (minutes,
    rounded down)."""
    waiting = Conversation.objects.filter(status=ConversationStatus.QUEUED)
    oldest = waiting.aggregate(oldest=Min("queued_at"))["oldest"]
    seconds = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"waiting": waiting.count(), "longest_minutes": seconds // 60}


def last_customer_message(conversation: Conversation) -> Message | None:
    return Message.objects.filter(conversation=conversation, sender=Sender.CUSTOMER).order_by("-seq").first()


def bot_turns_by_seq(conversation: Conversation) -> dict[int, int]:
    """{seq of a bot message: id of the bot's logged turn} — so an agent can mark that answer wrong
    (okpay.bot.actions.turn_correct). A chat message does not store its turn: a bot message answers
    the customer message its client id names ("re:<seq>"), and the turns of the chat's bot
    conversation are matched in order by that question's text (a turn whose answer was dropped,
    because a person took over meanwhile, has no message and is skipped)."""
    if not conversation.bot_conversation_id:
        return {}
    from okpay.bot.models import BotTurn

    turns = list(
        BotTurn.objects.filter(conversation_id=conversation.bot_conversation_id)
        .order_by("created_at", "id")
        .values_list("pk", "text")
    )
    rows = Message.objects.filter(conversation=conversation, sender__in=(Sender.CUSTOMER, Sender.BOT))
    questions: dict[int, str] = {}
    found: dict[int, int] = {}
    start = 0
    for seq, sender, client_id, text in rows.order_by("seq").values_list(
        "seq", "sender", "client_id", "text"
    ):
        if sender == Sender.CUSTOMER:
            questions[seq] = text
            continue
        answered = client_id.removeprefix("re:")
        question = questions.get(int(answered)) if answered.isdigit() else None
        if question is None:
            continue
        for index in range(start, len(turns)):
            if turns[index][1] == question.strip()[:1000]:
                found[seq] = turns[index][0]
                start = index + 1
                break
    return found


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def dashboard_stats() -> dict:
    """The supervisor's dashboard: `queue_stats()` (per group: waiting, urgent, longest wait, agents
    online, free slots, in progress; agents online with their load) and, for today (China time,
    conversations that asked for a person since midnight): the median first-response time (asked
    for a person → the first agent message, seconds), abandonment (left the queue / asked for a
    person), CSAT (satisfied = 4 or 5 / rated, and the average score)."""
    stats = queue_stats()
    now = timezone.now()
    start = timezone.localtime(now, routing.CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Conversation.objects.filter(queued_at__gte=start)
    waits = [
        (responded - queued).total_seconds()
        for queued, responded in today.filter(first_response_at__isnull=False).values_list(
            "queued_at", "first_response_at"
        )
        if queued is not None and responded is not None
    ]
    median = _median(waits)
    handed_off = stats["today"]["handed_off"]
    abandoned = stats["today"]["abandoned"]
    rated = [r for r in today.filter(rating__isnull=False).values_list("rating", flat=True) if r is not None]
    stats["today"].update(
        first_response_median_seconds=round(median) if median is not None else None,
        first_responses=len(waits),
        abandonment_rate=round(abandoned / handed_off, 3) if handed_off else None,
        csat_average=round(sum(rated) / len(rated), 2) if rated else None,
        in_progress=Conversation.objects.filter(status=ConversationStatus.ACTIVE).count(),
    )
    return stats


def agents_on_duty(*, exclude=None) -> list:
    """The staff members online for chats (a transfer's choices), by name; `exclude` a user id."""
    return sorted(
        (p.user for p in routing.online_presences() if p.user_id != exclude and roles.is_staff(p.user)),
        key=lambda user: (user.display_name, user.pk),
    )


def staff_member(*, user_id) -> object | None:
    """A staff user by id (a transfer's target), or None."""
    from okpay.accounts.models import User

    if not str(user_id).isdigit():
        return None
    user = User.objects.filter(pk=int(user_id)).first()
    return user if user is not None and roles.is_staff(user) else None
