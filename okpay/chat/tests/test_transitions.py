"""The conversation's state machine over the whole table: every (from, to, actor) either moves with a
system message and an audit row, or is refused (409 not a move, 403 not this actor) and changes
nothing. The expected table is written out here, not read from choices."""

import itertools

import pytest

from okpay.chat.actions import conversation_transition
from okpay.chat.choices import CONVERSATION_TRANSITIONS, ConversationStatus
from okpay.chat.errors import ChatForbidden, ChatTransitionRefused
from okpay.chat.models import Conversation, Message
from okpay.core.models import AuditEvent
from okpay.core.transitions import SYSTEM

pytestmark = pytest.mark.django_db

S = ConversationStatus
ACTORS = ("customer", "stranger", "assigned_agent", "other_agent", "supervisor", "system")
# who may make each move (anything else is refused)
ALLOWED = {
    (S.BOT, S.QUEUED): {"customer"},
    (S.BOT, S.TICKET): {"customer"},
    (S.BOT, S.CLOSED): {"customer", "system"},
    (S.QUEUED, S.ACTIVE): {"assigned_agent", "other_agent", "supervisor", "system"},
    (S.QUEUED, S.TICKET): {"customer", "assigned_agent", "other_agent", "supervisor", "system"},
    (S.QUEUED, S.ABANDONED): {"customer", "system"},
    (S.ACTIVE, S.ACTIVE): {"assigned_agent", "supervisor"},
    (S.ACTIVE, S.QUEUED): {"assigned_agent", "supervisor"},
    (S.ACTIVE, S.TICKET): {"assigned_agent", "supervisor"},
    (S.ACTIVE, S.CLOSED): {"customer", "assigned_agent", "supervisor", "system"},
}


def test_the_table_has_exactly_these_moves():
    moves = {(current, to) for current, targets in CONVERSATION_TRANSITIONS.items() for to in targets}
    assert moves == set(ALLOWED)
    assert set(CONVERSATION_TRANSITIONS) == set(S.values)


@pytest.fixture
def people(make_user):
    return {
        "customer": make_user(email="owner@example.com"),
        "stranger": make_user(email="stranger@example.com"),
        "assigned_agent": make_user(email="assigned@example.com", role="agent"),
        "other_agent": make_user(email="other@example.com", role="agent"),
        "supervisor": make_user(email="boss@example.com", role="supervisor"),
        "system": SYSTEM,
    }


@pytest.mark.parametrize(("current", "to"), list(itertools.product(S.values, S.values)))
def test_every_move_for_every_actor(people, current, to):
    for actor_name in ACTORS:
        conversation = Conversation.objects.create(
            user=people["customer"],
            language="zh-hans",
            status=current,
            agent=people["assigned_agent"] if current == S.ACTIVE else None,
        )
        kwargs = {}
        if to == S.ACTIVE:
            kwargs["agent"] = people["other_agent"] if current == S.ACTIVE else people["assigned_agent"]
        if to == S.TICKET:
            from okpay.tickets.models import Ticket

            kwargs["ticket"] = Ticket.objects.create(
                requester=people["customer"],
                requester_email="owner@example.com",
                language="zh-hans",
                subject="s",
            )
        audits = AuditEvent.objects.count()
        allowed = actor_name in ALLOWED.get((current, to), set())
        if allowed:
            moved = conversation_transition(
                conversation=conversation, to=to, actor=people[actor_name], event="closed", **kwargs
            )
            assert moved.status == to, (current, to, actor_name)
            assert Message.objects.filter(conversation=conversation, sender="system").count() == 1
            assert AuditEvent.objects.count() == audits + 1
            if to not in (S.BOT, S.QUEUED, S.ACTIVE):
                assert moved.closed_at is not None
        else:
            expected = ChatForbidden if (current, to) in ALLOWED else ChatTransitionRefused
            with pytest.raises(expected):
                conversation_transition(conversation=conversation, to=to, actor=people[actor_name], **kwargs)
            conversation.refresh_from_db()
            assert conversation.status == current, (current, to, actor_name)
            assert not Message.objects.filter(conversation=conversation).exists()
            assert AuditEvent.objects.count() == audits
        conversation.status = S.CLOSED  # free the one-open-conversation slot for the next actor
        conversation.save(update_fields=["status"])


def test_a_guest_is_the_customer_of_a_guest_conversation(make_user):
    conversation = Conversation.objects.create(guest_key="g" * 43, language="en")
    moved = conversation_transition(conversation=conversation, to=S.CLOSED, actor=None)
    assert moved.status == S.CLOSED
    signed_in = make_user(email="someone@example.com")
    other = Conversation.objects.create(guest_key="h" * 43, language="en")
    with pytest.raises(ChatForbidden):
        conversation_transition(conversation=other, to=S.CLOSED, actor=signed_in)


def test_moving_to_active_needs_a_staff_agent(make_user):
    customer = make_user(email="c@example.com")
    conversation = Conversation.objects.create(user=customer, language="zh-hans", status=S.QUEUED)
    from okpay.chat.errors import ChatConflict

    with pytest.raises(ChatConflict):
        conversation_transition(conversation=conversation, to=S.ACTIVE, actor=SYSTEM, agent=customer)
    conversation.refresh_from_db()
    assert conversation.status == S.QUEUED and conversation.agent is None
