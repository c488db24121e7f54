"""Live-chat sweeps: the SYSTEM moves of `choices.CONVERSATION_TRANSITIONS` that no person makes, run
every minute by the task worker (`chat_sweep_task`; okpay_hooks.py registers its schedule as a
`hooks.WORKER_SCHEDULES` item, and each run queues the next).

1. **Waited too long** — a conversation queued for longer than OKPAY_CHAT_MAX_WAIT_SECONDS since it
   last joined a queue (the hand-off, or a transfer to a group: `queued_at` keeps the first, so the
   latest "queued" / "transferred_group" system message says when), or still queued outside the
   chat's service hours: a signed-in customer's becomes a question with the whole transcript
   (`actions.conversation_convert`: the ticket's usual confirmation email, the "ticket" system message
   and status); a guest's — we have no email address to answer at — ends as abandoned with a system
   message that says so and where to ask instead (docs/decisions.md, "Live chat: sweeps").
2. **Idle** — an active conversation in which nobody wrote (customer, agent, or an internal note: the
   agent working on it) for OKPAY_CHAT_IDLE_CLOSE_SECONDS since the agent took it: closed with a system
   message; the customer may rate it as after any close, and the agent's slot goes to the queue.
3. **Left with the bot** — a conversation still with the bot and untouched (`updated_at`: no message,
   no change) for OKPAY_CHAT_BOT_CLOSE_SECONDS: closed quietly (no message), so the customer's next
   visit opens a new conversation.

Every move goes through `actions` with actor SYSTEM (audit row, system message and status broadcast
as for any move). One transaction per conversation: its row is locked with SKIP LOCKED (a row another
transaction holds — a message being posted, an agent accepting, another sweep — waits for the next
run), then the rule is checked again in a new statement, which sees everything committed before the
lock (a message needs the same lock), so two sweeps at once never move a conversation twice."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.tasks import task
from django.utils import timezone

from okpay.core.transitions import SYSTEM

from . import actions, routing
from .choices import HUMAN_SENDERS, ConversationStatus, Sender, SystemEvent
from .models import Conversation, Message

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)
BATCH = 500  # conversations per rule and run (the oldest first); the rest wait for the next minute
# the system messages that mark the start of a wait: the hand-off and a transfer to a group
WAIT_STARTS = (SystemEvent.QUEUED, SystemEvent.TRANSFERRED_GROUP)


# --- who is due (read only; each function is also the re-check under the lock) ------------------------


def waited_too_long(now: datetime, *, in_hours: bool | None = None) -> QuerySet[Conversation]:
    """Queued conversations due to become a question (or, a guest's, abandoned): all of them outside
    the service hours; in hours, those waiting for longer than OKPAY_CHAT_MAX_WAIT_SECONDS since they
    last joined a queue."""
    rows = Conversation.objects.filter(status=ConversationStatus.QUEUED)
    if in_hours is None:
        in_hours = routing.in_service_hours(now)
    if not in_hours:
        return rows
    cutoff = now - timedelta(seconds=settings.OKPAY_CHAT_MAX_WAIT_SECONDS)
    rejoined = Message.objects.filter(
        conversation=OuterRef("pk"), sender=Sender.SYSTEM, event__in=WAIT_STARTS, created_at__gte=cutoff
    )
    return rows.filter(queued_at__lt=cutoff).exclude(Exists(rejoined))


def idle(now: datetime) -> QuerySet[Conversation]:
    """Active conversations nobody wrote in (customer, agent or note) for OKPAY_CHAT_IDLE_CLOSE_SECONDS
    since the agent took them (none when the setting is 0)."""
    seconds = settings.OKPAY_CHAT_IDLE_CLOSE_SECONDS
    if seconds <= 0:
        return Conversation.objects.none()
    cutoff = now - timedelta(seconds=seconds)
    written = Message.objects.filter(
        conversation=OuterRef("pk"), sender__in=HUMAN_SENDERS, created_at__gte=cutoff
    )
    return Conversation.objects.filter(status=ConversationStatus.ACTIVE, accepted_at__lt=cutoff).exclude(
        Exists(written)
    )


def left_with_bot(now: datetime) -> QuerySet[Conversation]:
    """Conversations with the bot untouched for OKPAY_CHAT_BOT_CLOSE_SECONDS (none when it is 0)."""
    seconds = settings.OKPAY_CHAT_BOT_CLOSE_SECONDS
    if seconds <= 0:
        return Conversation.objects.none()
    cutoff = now - timedelta(seconds=seconds)
    return Conversation.objects.filter(status=ConversationStatus.BOT, updated_at__lt=cutoff)


# --- the moves ------------------------------------------------------------------------------------------


def _claim(pk, due: QuerySet[Conversation]) -> Conversation | None:
    """In the caller's transaction: the conversation locked, if no other transaction holds it and it is
    still due (checked after the lock, in a statement of its own)."""
    locked = Conversation.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    if locked is None or not due.filter(pk=pk).exists():
        return None
    return locked


def _end_wait(conversation: Conversation) -> str:
    if conversation.user_id is not None:
        actions.conversation_convert(conversation=conversation, actor=SYSTEM)
        return "converted"
    actions.conversation_transition(
        conversation=conversation,
        to=ConversationStatus.ABANDONED,
        actor=SYSTEM,
        event=SystemEvent.WAIT_EXPIRED,
        audit_action="chat.abandoned",
    )
    return "abandoned"


def _close_idle(conversation: Conversation) -> str:
    actions.conversation_transition(
        conversation=conversation,
        to=ConversationStatus.CLOSED,
        actor=SYSTEM,
        event=SystemEvent.IDLE_CLOSED,
        audit_action="chat.closed",
    )
    return "idle_closed"


def _close_bot(conversation: Conversation) -> str:
    actions.conversation_transition(
        conversation=conversation, to=ConversationStatus.CLOSED, actor=SYSTEM, audit_action="chat.closed"
    )
    return "bot_closed"


def _sweep_rule(due: QuerySet[Conversation], move: Callable[[Conversation], str], counts: dict) -> None:
    for pk in list(due.order_by("updated_at", "pk").values_list("pk", flat=True)[:BATCH]):
        try:
            with transaction.atomic():
                locked = _claim(pk, due)
                if locked is None:
                    continue
                outcome = move(locked)
        except Exception:  # one conversation must not stop the sweep; it is tried again next run
            logger.exception("chat sweep: %s of conversation %s failed", move.__name__, pk)
            counts["failed"] += 1
            continue
        counts[outcome] += 1


def chat_sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass of the three rules; returns how many conversations each move took."""
    now = now or timezone.now()
    counts = dict.fromkeys(("converted", "abandoned", "idle_closed", "bot_closed", "failed"), 0)
    _sweep_rule(waited_too_long(now, in_hours=routing.in_service_hours(now)), _end_wait, counts)
    _sweep_rule(idle(now), _close_idle, counts)
    _sweep_rule(left_with_bot(now), _close_bot, counts)
    if counts["idle_closed"]:
        actions.queue_dispatch()  # the agents' freed slots serve the queue at once
    return counts


# --- the periodic job -------------------------------------------------------------------------------------


@task()
def chat_sweep_task() -> dict:
    """Every minute: chat_sweep(), then queue the next run."""
    try:
        return chat_sweep()
    finally:
        chat_sweep_schedule()


def chat_sweep_schedule() -> str | None:
    from okpay.core.worker import periodic_ensure

    if periodic_ensure(chat_sweep_task, timezone.now() + SWEEP_EVERY):
        return "queued the next chat sweep (over-waiting, idle and abandoned bot chats)"
    return None
