"""A text message on PostgreSQL is one statement (migration 0004, `okpay_chat_message_post`); the
rules stay in `_sender_check`, and a stale copy of the conversation falls back to the locked path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okpay.chat.actions import agent_transfer, conversation_close, conversation_open, message_post
from okpay.chat.errors import ChatConflict, ChatForbidden, ChatRateLimited
from okpay.chat.models import Conversation, Message
from okpay.core.testing import skip_unless_postgres

from .factories import waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only():
    skip_unless_postgres()


def _say(conversation, customer, client_id: str, text: str):
    return message_post(
        conversation=conversation,
        sender="customer",
        author=customer,
        client_id=client_id,
        text=text,
        answer_bot=False,
    )


def test_a_customer_message_is_one_statement(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    before = conversation.next_seq
    with CaptureQueriesContext(connection) as queries:
        posted = _say(conversation, customer, "one-trip", "你好")
    assert [q["sql"].split("(")[0] for q in queries] == ["SELECT * FROM okpay_chat_message_post"]
    assert posted.created and posted.with_bot and posted.message.seq == before
    stored = Message.objects.get(conversation=conversation, client_id="one-trip")
    assert (stored.pk, stored.seq, stored.sender, stored.author_id, stored.text) == (
        posted.message.pk,
        before,
        "customer",
        customer.pk,
        "你好",
    )
    assert stored.actions == [] and stored.data == {} and stored.created_at == posted.message.created_at
    assert Conversation.objects.get(pk=conversation.pk).next_seq == before + 1


def test_a_retry_answers_the_stored_message_even_after_the_chat_ended(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    first = _say(conversation, customer, "r-1", "a")
    conversation_close(conversation=conversation, actor=customer)
    again = _say(conversation, customer, "r-1", "a")
    assert not again.created and again.message.pk == first.message.pk
    with pytest.raises(ChatConflict):
        _say(conversation, customer, "r-2", "b")
    assert not Message.objects.filter(conversation=conversation, client_id="r-2").exists()


def test_a_stale_copy_cannot_post_for_an_agent_who_no_longer_has_the_chat(customer, agent_on_duty):
    first = agent_on_duty("first@example.com")
    conversation = waiting(customer)
    assert conversation.agent_id == first.pk
    old_copy = Conversation.objects.get(pk=conversation.pk)  # the first agent's socket holds this
    second = agent_on_duty("second@example.com")
    agent_transfer(conversation=conversation, actor=first, to_agent=second)
    seq_before = Conversation.objects.get(pk=conversation.pk).next_seq
    with pytest.raises(ChatForbidden):
        message_post(conversation=old_copy, sender="agent", author=first, client_id="late", text="还在吗")
    assert old_copy.agent_id == second.pk  # the copy followed the row
    assert Conversation.objects.get(pk=conversation.pk).next_seq == seq_before
    posted = message_post(conversation=old_copy, sender="agent", author=second, client_id="new", text="您好")
    assert posted.created and posted.message.seq == seq_before
    assert Conversation.objects.get(pk=conversation.pk).first_response_at is not None


def test_over_the_rate_limit_nothing_is_stored(customer, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (2, 60)}
    conversation = conversation_open(user=customer, language="zh-hans")
    for i in range(2):
        _say(conversation, customer, f"m-{i}", "x")
    seq = Conversation.objects.get(pk=conversation.pk).next_seq
    with pytest.raises(ChatRateLimited):
        _say(conversation, customer, "m-9", "x")
    assert Conversation.objects.get(pk=conversation.pk).next_seq == seq
    assert not Message.objects.filter(conversation=conversation, client_id="m-9").exists()
