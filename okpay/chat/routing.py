"""Where a hand-off goes and how long it will wait: the bot's intent → a group and a priority, the chat
channel's service hours, the agents who can take it and the wait estimate (docs/decisions.md,
"Live chat: the wait estimate"). Reads only; `actions` makes the moves."""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from okpay.accounts import roles
from okpay.bot.catalog import catalog

from .choices import Availability, ChatGroup, ChatPriority, ConversationStatus, Sender
from .models import AgentPresence, Conversation, Message

CHINA = ZoneInfo("Asia/Shanghai")  # published service hours are China time

# The bot's intents (okpay/bot/data/intents.json) that a person from account security handles …
SECURITY_INTENTS = frozenset(
    {
        "account_takeover",
        "account_limits",  # limits follow the verification level, handled with the identity checks
        "lost_or_stolen_card",
        "lost_or_stolen_phone",
        "compromised_card",
        "card_payment_not_recognised",
        "cash_withdrawal_not_recognised",
        "direct_debit_payment_not_recognised",
        "passcode_forgotten",
        "reset_password",
        "pin_blocked",
        "change_pin",
        "edit_personal_details",
        "terminate_account",
        "unable_to_verify_identity",
        "verify_my_identity",
        "why_verify_identity",
        "verify_source_of_funds",
    }
)
# … the ones that say nothing about the topic (every other catalog intent is about payments, cards,
# top-ups, transfers, withdrawals, exchange or disputes: the payments group) …
GENERAL_INTENTS = frozenset(
    {
        "talk_to_human",
        "complaint",
        "greeting",
        "thanks",
        "goodbye",
        "small_talk",
        "insult",
        "country_support",
        "age_limit",
    }
)
# … and the urgent ones: a lost phone or card, money leaving the account that the customer did not
# send (account takeover). One such turn anywhere in the conversation puts it first in its queue.
URGENT_INTENTS = frozenset(
    {
        "account_takeover",
        "lost_or_stolen_card",
        "lost_or_stolen_phone",
        "compromised_card",
        "card_payment_not_recognised",
        "cash_withdrawal_not_recognised",
        "direct_debit_payment_not_recognised",
    }
)
# Turns that do not say what the conversation is about (the topic comes from an earlier turn).
CONTENTLESS_INTENTS = frozenset(
    {"talk_to_human", "complaint", "greeting", "thanks", "goodbye", "small_talk", "insult"}
)


def group_for(intent: str) -> str:
    if intent in SECURITY_INTENTS:
        return ChatGroup.SECURITY
    if not intent or intent in GENERAL_INTENTS or intent not in catalog():
        return ChatGroup.GENERAL
    return ChatGroup.PAYMENTS


def classify(conversation: Conversation) -> tuple[str, str, str]:
    """(intent, group, priority) of a conversation from its bot turns: the latest intent that says
    what it is about chooses the group; any urgent intent makes it urgent."""
    intents = list(
        Message.objects.filter(conversation=conversation, sender=Sender.BOT)
        .exclude(intent="")
        .order_by("-seq")
        .values_list("intent", flat=True)
    )
    topical = next((intent for intent in intents if intent not in CONTENTLESS_INTENTS), "")
    urgent = any(intent in URGENT_INTENTS for intent in intents)
    return topical, group_for(topical), ChatPriority.URGENT if urgent else ChatPriority.NORMAL


# --- service hours ----------------------------------------------------------------------------


def service_hours():
    """(opens_at, closes_at) of the published chat channel in China time, or None for 24/7 (no active
    chat channel, or one without hours)."""
    from okpay.helpcenter.choices import ChannelKind
    from okpay.helpcenter.selectors import contact_channels

    channel = contact_channels().filter(kind=ChannelKind.CHAT).first()
    if channel is None or channel.opens_at is None or channel.closes_at is None:
        return None
    return channel.opens_at, channel.closes_at


def in_service_hours(now: datetime | None = None) -> bool:
    hours = service_hours()
    if hours is None:
        return True
    opens, closes = hours
    local = timezone.localtime(now or timezone.now(), CHINA).time()
    if opens == closes:
        return True
    if opens < closes:
        return opens <= local < closes
    return local >= opens or local < closes  # past midnight, e.g. 20:00–02:00


# --- agents -----------------------------------------------------------------------------------


def agent_loads() -> dict[int, int]:
    """{agent id: active chats}."""
    rows = (
        Conversation.objects.filter(status=ConversationStatus.ACTIVE, agent__isnull=False)
        .values("agent")
        .annotate(n=Count("id"))
    )
    return {row["agent"]: row["n"] for row in rows}


def online_presences(*, lock: bool = False) -> list[AgentPresence]:
    """Online agents (staff, active accounts), in a fixed order (the lock order of the dispatcher)."""
    rows = (
        AgentPresence.objects.filter(availability=Availability.ONLINE).select_related("user").order_by("pk")
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    return [presence for presence in rows if roles.is_staff(presence.user)]


def serving(presences, *, language: str, group: str) -> list[AgentPresence]:
    return [presence for presence in presences if presence.serves(language=language, group=group)]


def serving_group(presences, *, group: str) -> list[AgentPresence]:
    return [presence for presence in presences if not presence.groups or group in presence.groups]


def least_loaded(presences, loads: dict[int, int]) -> AgentPresence | None:
    """The agent with a free slot and the fewest chats; among equals, the one routed to longest ago."""
    free = [p for p in presences if loads.get(p.user_id, 0) < p.capacity]
    if not free:
        return None
    never = datetime.min.replace(tzinfo=CHINA)
    return min(free, key=lambda p: (loads.get(p.user_id, 0), p.last_routed_at or never, p.pk))


# --- queue ------------------------------------------------------------------------------------

QUEUE_ORDER = (
    Case(When(priority=ChatPriority.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField()),
    "queued_at",
    "id",
)


def queued(group: str | None = None):
    rows = Conversation.objects.filter(status=ConversationStatus.QUEUED)
    if group:
        rows = rows.filter(group=group)
    return rows.order_by(*QUEUE_ORDER)


def _ahead(*, group: str, priority: str, queued_at=None, pk=None):
    """The conversations of the group's queue before one of `priority` queued at `queued_at` (None:
    not queued yet, so last of its priority). Urgent ones come first, then first come, first served."""
    rows = Conversation.objects.filter(status=ConversationStatus.QUEUED, group=group)
    urgent = Q(priority=ChatPriority.URGENT)
    if queued_at is None:
        return rows.filter(urgent) if priority == ChatPriority.URGENT else rows
    earlier = Q(priority=priority) & (Q(queued_at__lt=queued_at) | Q(queued_at=queued_at, id__lt=pk))
    return rows.filter(earlier if priority == ChatPriority.URGENT else urgent | earlier)


def queue_position(conversation: Conversation) -> int:
    """1 for the next one an agent of its group gets."""
    ahead = _ahead(
        group=conversation.group,
        priority=conversation.priority,
        queued_at=conversation.queued_at,
        pk=conversation.pk,
    ).exclude(pk=conversation.pk)
    return ahead.count() + 1


def position_if_queued(*, group: str, priority: str) -> int:
    return _ahead(group=group, priority=priority).count() + 1


def average_handle_seconds(group: str) -> float:
    """Mean accepted → closed time of the group's recent closed chats (OKPAY_CHAT_HANDLE_TIME_SAMPLE of
    the last 7 days), or OKPAY_CHAT_DEFAULT_HANDLE_SECONDS when there are none."""
    since = timezone.now() - timedelta(days=7)
    rows = (
        Conversation.objects.filter(
            status=ConversationStatus.CLOSED,
            group=group,
            accepted_at__isnull=False,
            closed_at__gte=since,
        )
        .order_by("-closed_at")
        .values_list("accepted_at", "closed_at")[: settings.OKPAY_CHAT_HANDLE_TIME_SAMPLE]
    )
    durations = [
        (closed - accepted).total_seconds()
        for accepted, closed in rows
        if accepted is not None and closed is not None and closed >= accepted
    ]
    if not durations:
        return float(settings.OKPAY_CHAT_DEFAULT_HANDLE_SECONDS)
    return max(sum(durations) / len(durations), 1.0)


class WaitEstimator:
    """Wait estimates for one group's queue, from one read of the agents on duty, their load and the
    group's recent handle time. With F free chat slots among the online agents who serve the
    conversation's language and group, positions 1…F wait 0; a later position waits
    ⌈(position − F) × H / S⌉ seconds, H the group's recent average handle time and S those agents'
    chat slots (Σ capacity: each slot frees once per H on average). None: nobody serves it."""

    def __init__(self, group: str):
        self.group = group
        self.presences = serving_group(online_presences(), group=group)
        self.loads = agent_loads()
        self._handle: float | None = None

    def seconds(self, *, position: int, language: str) -> int | None:
        presences = [p for p in self.presences if language in (p.languages or [])]
        if not presences:
            return None
        slots = sum(p.capacity for p in presences)
        free = sum(max(p.capacity - self.loads.get(p.user_id, 0), 0) for p in presences)
        if position <= free:
            return 0
        if self._handle is None:
            self._handle = average_handle_seconds(self.group)
        return math.ceil((position - free) * self._handle / slots)


def wait_estimate(*, position: int, language: str, group: str) -> int | None:
    return WaitEstimator(group).seconds(position=position, language=language)
