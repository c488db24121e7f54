"""Chat actions: opening, the message stream (seq order, dedupe on retry, the bot's reply, limits),
notes, permissions and ratings."""

import pytest
from django.utils import translation

from okpay.chat.actions import (
    conversation_claim,
    conversation_close,
    conversation_open,
    conversation_rate,
    message_post,
    messages_after,
    messages_mark,
)
from okpay.chat.errors import ChatConflict, ChatError, ChatForbidden, ChatRateLimited
from okpay.chat.guests import guest_key_new
from okpay.chat.models import Conversation, Message
from okpay.chat.selectors import conversation_for_customer
from okpay.core.errors import DomainError

from .factories import client_id, guest_conversation, say

pytestmark = pytest.mark.django_db


# --- opening ---------------------------------------------------------------------------------------


def test_open_returns_the_customers_open_conversation(customer):
    first = conversation_open(user=customer, language="zh-hans")
    again = conversation_open(user=customer, language="zh-hans")
    assert again.pk == first.pk
    assert first.status == "bot"
    assert first.bot_conversation is not None and first.bot_conversation.channel == "chat"
    assert Conversation.objects.count() == 1


def test_guests_are_told_apart_by_their_key():
    first, key = guest_conversation()
    assert conversation_open(guest_key=key, language="en").pk == first.pk
    other, _other_key = guest_conversation()
    assert other.pk != first.pk


def test_open_without_an_identity_is_refused():
    with pytest.raises(ChatForbidden):
        conversation_open(guest_key="short", language="zh-hans")
    assert Conversation.objects.count() == 0


def test_a_closed_conversation_is_not_reopened(customer):
    first = conversation_open(user=customer, language="zh-hans")
    conversation_close(conversation=first, actor=customer)
    second = conversation_open(user=customer, language="zh-hans")
    assert second.pk != first.pk and second.status == "bot"


def test_only_the_customers_own_transaction_is_attached(customer, customer_en):
    from okpay.wallet.models import Transaction

    mine = Transaction.objects.create(
        user=customer, kind="topup", status="completed", amount_minor=100, currency="CNY"
    )
    theirs = Transaction.objects.create(
        user=customer_en, kind="topup", status="completed", amount_minor=100, currency="CNY"
    )
    assert conversation_open(user=customer_en, language="en", transaction=mine).transaction is None
    assert conversation_open(user=customer, language="zh-hans", transaction=theirs).transaction is None
    conversation = conversation_open(user=customer, language="zh-hans", transaction=mine)
    assert conversation.transaction == mine


def test_customer_selector_returns_none_for_someone_elses_id(customer, customer_en):
    mine = conversation_open(user=customer, language="zh-hans")
    guest, key = guest_conversation()
    assert conversation_for_customer(user=customer, conversation_id=str(mine.pk)) == mine
    assert conversation_for_customer(user=customer_en, conversation_id=str(mine.pk)) is None
    assert conversation_for_customer(guest_key=key, conversation_id=str(mine.pk)) is None
    assert conversation_for_customer(user=customer, conversation_id=str(guest.pk)) is None
    assert conversation_for_customer(guest_key=key, conversation_id=str(guest.pk)) == guest
    assert conversation_for_customer(guest_key=guest_key_new(), conversation_id=str(guest.pk)) is None
    assert conversation_for_customer(user=customer, conversation_id="not-a-uuid") is None


def test_signing_in_attaches_the_guests_open_conversation(customer):
    guest, key = guest_conversation()
    claimed = conversation_claim(user=customer, guest_key=key)
    assert claimed.pk == guest.pk
    assert conversation_open(user=customer, language="zh-hans").pk == guest.pk
    assert conversation_for_customer(guest_key=key, conversation_id=str(guest.pk)) is None


def test_sign_in_through_the_form_claims_the_guest_chat(client, customer):
    from django.conf import settings

    from okpay.accounts.tests.factories import PASSWORD
    from okpay.chat.guests import guest_cookie_value

    guest, key = guest_conversation()
    client.cookies[settings.OKPAY_CHAT_GUEST_COOKIE] = guest_cookie_value(key)
    response = client.post("/accounts/login/", {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 302
    guest.refresh_from_db()
    assert guest.user == customer


# --- the message stream ------------------------------------------------------------------------------


def test_messages_get_consecutive_seqs_and_the_bot_answers_next(customer, bot):
    conversation = conversation_open(user=customer, language="zh-hans")
    first = say(conversation, "你好", author=customer)
    second = say(conversation, "怎么充值", author=customer)
    assert (first.message.seq, first.reply.seq, second.message.seq, second.reply.seq) == (1, 2, 3, 4)
    assert first.reply.sender == "bot" and first.reply.text == "bot: 你好"
    rows = messages_after(conversation=conversation, after=0, for_customer=True)
    assert [(m.seq, m.sender) for m in rows] == [(1, "customer"), (2, "bot"), (3, "customer"), (4, "bot")]
    assert [m.seq for m in messages_after(conversation=conversation, after=2, for_customer=True)] == [3, 4]
    conversation.refresh_from_db()
    assert conversation.next_seq == 5
    assert bot.calls == 2


def test_the_same_client_id_returns_the_stored_message_and_stores_nothing(customer, bot):
    conversation = conversation_open(user=customer, language="zh-hans")
    first = message_post(
        conversation=conversation, sender="customer", author=customer, client_id="m-1", text="你好"
    )
    retry = message_post(
        conversation=conversation, sender="customer", author=customer, client_id="m-1", text="你好"
    )
    assert first.created and not retry.created
    assert retry.message.pk == first.message.pk and retry.message.seq == 1
    assert retry.reply.pk == first.reply.pk  # the bot answered once
    assert Message.objects.filter(conversation=conversation).count() == 2
    assert bot.calls == 1


def test_a_retry_after_a_lost_bot_answer_gets_the_answer_once(customer, bot):
    conversation = conversation_open(user=customer, language="zh-hans")
    first = message_post(
        conversation=conversation,
        sender="customer",
        author=customer,
        client_id="m-1",
        text="你好",
        answer_bot=False,
    )
    assert first.reply is None
    retry = message_post(
        conversation=conversation, sender="customer", author=customer, client_id="m-1", text="你好"
    )
    assert retry.message.seq == 1 and retry.reply.seq == 2
    assert Message.objects.filter(conversation=conversation, sender="bot").count() == 1


def test_the_bot_does_not_answer_once_a_person_has_the_chat(customer, agent_on_duty, bot):
    from .factories import waiting

    agent_on_duty("agent9@example.com")
    conversation = waiting(customer)
    assert conversation.status == "active"
    calls = bot.calls
    posted = say(conversation, "还在吗", author=customer)
    assert posted.reply is None and bot.calls == calls


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_empty"),
        ("   \n ", "text_empty"),
        ("x" * 2001, "text_too_long"),
        ("a\x00b", "text_invalid"),
        ("a\ud800b", "text_invalid"),
        ("bell\x07", "text_invalid"),
        (None, "text_invalid"),
        (["list"], "text_invalid"),
    ],
)
def test_bad_text_is_refused_and_nothing_is_stored(customer, text, code):
    conversation = conversation_open(user=customer, language="zh-hans")
    with pytest.raises(ChatError) as refused:
        message_post(
            conversation=conversation, sender="customer", author=customer, client_id="m-1", text=text
        )
    assert refused.value.code == code and refused.value.status == 422
    assert not Message.objects.filter(conversation=conversation).exists()


def test_2000_characters_with_newlines_and_emoji_are_stored(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    text = ("第一行\n😀" + "x" * 2000)[:2000]
    posted = message_post(
        conversation=conversation, sender="customer", author=customer, client_id="m-1", text=text
    )
    assert posted.message.text == text


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "斜/杠", None, 5])
def test_a_client_id_is_required_and_plain(customer, bad):
    conversation = conversation_open(user=customer, language="zh-hans")
    with pytest.raises(ChatError) as refused:
        message_post(conversation=conversation, sender="customer", author=customer, client_id=bad, text="hi")
    assert refused.value.code == "client_id_invalid"
    assert not Message.objects.exists()


def test_too_many_messages_are_refused_with_a_clear_message(customer, bot, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (5, 60)}
    conversation = conversation_open(user=customer, language="zh-hans")
    for _ in range(5):
        say(conversation, "hello", author=customer)
    with pytest.raises(ChatRateLimited) as refused:
        say(conversation, "hello", author=customer)
    with translation.override("en"):
        assert refused.value.status == 429 and "too fast" in refused.value.message
    assert Message.objects.filter(conversation=conversation, sender="customer").count() == 5
    # a retry of an already stored message is still answered (it stores nothing)
    first = Message.objects.filter(conversation=conversation, sender="customer").first()
    retry = message_post(
        conversation=conversation, sender="customer", author=customer, client_id=first.client_id, text="hello"
    )
    assert retry.message.seq == first.seq


def test_the_rate_limit_is_per_conversation(customer, customer_en, bot, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (2, 60)}
    mine = conversation_open(user=customer, language="zh-hans")
    theirs = conversation_open(user=customer_en, language="en")
    say(mine, "a", author=customer)
    say(mine, "b", author=customer)
    say(theirs, "c", author=customer_en)
    with pytest.raises(ChatRateLimited):
        say(mine, "d", author=customer)


# --- who may write --------------------------------------------------------------------------------


def test_a_customer_cannot_post_into_someone_elses_conversation(customer, customer_en):
    conversation = conversation_open(user=customer, language="zh-hans")
    with pytest.raises(ChatForbidden):
        say(conversation, "hi", author=customer_en)
    guest, _key = guest_conversation()
    with pytest.raises(ChatForbidden):
        say(guest, "hi", author=customer)
    assert not Message.objects.exists()


def test_only_the_assigned_agent_or_a_supervisor_replies(customer, agent_on_duty, make_user, supervisor):
    from .factories import waiting

    mine = agent_on_duty("mine@example.com")
    other = make_user(email="other@example.com", role="agent")
    conversation = waiting(customer)
    assert conversation.agent == mine
    with pytest.raises(ChatForbidden):
        say(conversation, "我来帮你", author=other, sender="agent")
    with pytest.raises(ChatForbidden):
        say(conversation, "我来帮你", author=customer, sender="agent")
    assert say(conversation, "我来帮你", author=mine, sender="agent").message.author == mine
    assert say(conversation, "主管在此", author=supervisor, sender="agent").created
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None


def test_agents_cannot_reply_to_a_chat_with_the_bot(customer, agent):
    conversation = conversation_open(user=customer, language="zh-hans")
    with pytest.raises(ChatForbidden):
        say(conversation, "hello", author=agent, sender="agent")


def test_bot_and_system_messages_cannot_be_posted(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    for sender in ("bot", "system"):
        with pytest.raises(ChatError) as refused:
            say(conversation, "hi", author=customer, sender=sender)
        assert refused.value.code == "sender_invalid"


def test_internal_notes_are_staff_only_and_never_reach_the_customer(customer, agent_on_duty, customer_en):
    from okpay.chat.presenters import message_data

    from .factories import waiting

    mine = agent_on_duty("mine@example.com")
    conversation = waiting(customer)
    note = say(conversation, "客户情绪激动，注意语气", author=mine, sender="note").message
    with pytest.raises(ChatForbidden):
        say(conversation, "a customer's note", author=customer, sender="note")
    public = messages_after(conversation=conversation, after=0, for_customer=True)
    staff = messages_after(conversation=conversation, after=0, for_customer=False)
    assert note not in public and note in staff
    assert message_data(note, language="zh-hans", for_customer=True) is None
    assert message_data(note, language="zh-hans", for_customer=False)["sender"] == "note"


def test_a_finished_conversation_takes_no_more_customer_messages(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    conversation_close(conversation=conversation, actor=customer)
    with pytest.raises(ChatConflict) as refused:
        say(conversation, "wait", author=customer)
    assert refused.value.code == "finished" and refused.value.status == 409


def test_read_marks_are_for_the_other_sides_messages(customer, agent_on_duty):
    from .factories import waiting

    mine = agent_on_duty("mine@example.com")
    conversation = waiting(customer)
    reply = say(conversation, "您好", author=mine, sender="agent").message
    question = say(conversation, "你好", author=customer).message
    assert messages_mark(conversation=conversation, reader=customer, up_to=question.seq) == 2
    reply.refresh_from_db()
    question.refresh_from_db()
    assert reply.read_at is not None and reply.delivered_at is not None
    assert question.read_at is None
    messages_mark(conversation=conversation, reader=mine, up_to=question.seq, read=False)
    question.refresh_from_db()
    assert question.delivered_at is not None and question.read_at is None


def test_a_delivered_mark_covers_the_other_sides_messages_up_to_its_seq_once(customer, agent_on_duty):
    from .factories import waiting

    mine = agent_on_duty("mine@example.com")
    conversation = waiting(customer)
    first = say(conversation, "第一", author=customer).message
    reply = say(conversation, "您好", author=mine, sender="agent").message
    second = say(conversation, "第二", author=customer).message
    later = say(conversation, "第三", author=customer).message
    # the question asked before the hand-off, the first and the second: not the agent's, not the later one
    assert messages_mark(conversation=conversation, reader=mine, up_to=second.seq, read=False) == 3
    assert messages_mark(conversation=conversation, reader=mine, up_to=second.seq, read=False) == 0
    delivered = dict(
        Message.objects.filter(pk__in=[first.pk, reply.pk, second.pk, later.pk]).values_list(
            "pk", "delivered_at"
        )
    )
    assert delivered[first.pk] and delivered[second.pk]
    assert delivered[reply.pk] is None and delivered[later.pk] is None
    assert not Message.objects.filter(pk__in=[first.pk, second.pk], read_at__isnull=False).exists()


def test_someone_else_cannot_mark_messages_read(customer, customer_en):
    conversation = conversation_open(user=customer, language="zh-hans")
    with pytest.raises(DomainError):
        messages_mark(conversation=conversation, reader=customer_en, up_to=5)


# --- rating -------------------------------------------------------------------------------------------


def test_a_bot_only_chat_is_not_rated(customer):
    conversation = conversation_open(user=customer, language="zh-hans")
    conversation_close(conversation=conversation, actor=customer)
    with pytest.raises(ChatConflict) as refused:
        conversation_rate(conversation=conversation, actor=customer, score=5)
    assert refused.value.code == "no_agent"


def test_an_ended_chat_is_rated_once_by_its_customer(customer, customer_en, agent_on_duty):
    from .factories import waiting

    agent_on_duty("rated@example.com")
    conversation = waiting(customer)  # the free agent takes it at once
    assert conversation.status == "active"
    with pytest.raises(ChatConflict):
        conversation_rate(conversation=conversation, actor=customer, score=5)
    conversation_close(conversation=conversation, actor=customer)
    with pytest.raises(ChatForbidden):
        conversation_rate(conversation=conversation, actor=customer_en, score=1)
    for bad in (0, 6, "5", True):
        with pytest.raises(ChatError):
            conversation_rate(conversation=conversation, actor=customer, score=bad)
    rated = conversation_rate(conversation=conversation, actor=customer, score=4, comment=" 很快 ")
    assert (rated.rating, rated.rating_comment) == (4, "很快")
    with pytest.raises(ChatConflict) as again:
        conversation_rate(conversation=conversation, actor=customer, score=1)
    assert again.value.code == "already_rated"
    rated.refresh_from_db()
    assert rated.rating == 4


def test_message_client_ids_are_per_sender(customer, agent_on_duty):
    from .factories import waiting

    mine = agent_on_duty("mine@example.com")
    conversation = waiting(customer)
    a = message_post(
        conversation=conversation, sender="customer", author=customer, client_id="same", text="1"
    )
    b = message_post(conversation=conversation, sender="agent", author=mine, client_id="same", text="2")
    assert a.created and b.created and a.message.seq != b.message.seq


def test_client_id_helper_is_unique():
    assert client_id() != client_id()
