"""Real threads on PostgreSQL: the conversation's row lock hands out seqs, the client id dedupes
retries, and the dispatcher never overfills an agent."""

import pytest

from okpay.chat.actions import conversation_open, handoff, message_post
from okpay.chat.models import Conversation, Message
from okpay.core.testing import in_threads, skip_unless_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    skip_unless_postgres()


def test_sixteen_threads_get_distinct_consecutive_seqs(customer, agent_on_duty):
    agent = agent_on_duty("a@example.com")
    conversation = conversation_open(user=customer, language="zh-hans")
    handoff(conversation=conversation, actor=customer)
    conversation.refresh_from_db()
    assert conversation.status == "active"
    before = conversation.next_seq

    def post(i):
        if i % 2:
            return message_post(
                conversation=conversation, sender="agent", author=agent, client_id=f"a-{i}", text=f"agent {i}"
            ).message.seq
        return message_post(
            conversation=conversation,
            sender="customer",
            author=customer,
            client_id=f"c-{i}",
            text=f"customer {i}",
        ).message.seq

    seqs = in_threads(16, post)
    assert sorted(seqs) == list(range(before, before + 16))
    conversation.refresh_from_db()
    assert conversation.next_seq == before + 16
    stored = list(
        Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True)
    )
    assert stored == list(range(1, before + 16))


def test_sixteen_threads_with_the_bot_each_get_one_answer(customer, bot):
    conversation = conversation_open(user=customer, language="zh-hans")

    def post(i):
        posted = message_post(
            conversation=conversation,
            sender="customer",
            author=customer,
            client_id=f"c-{i}",
            text=f"问题 {i}",
        )
        return posted.message.seq, posted.reply.seq

    results = in_threads(16, post)
    seqs = sorted(seq for pair in results for seq in pair)
    assert seqs == list(range(1, 33))
    assert all(reply > question for question, reply in results)
    assert Message.objects.filter(conversation=conversation, sender="bot").count() == 16


def test_sixteen_retries_of_one_message_store_it_once(customer, agent_on_duty):
    agent_on_duty("a@example.com")
    conversation = conversation_open(user=customer, language="zh-hans")
    handoff(conversation=conversation, actor=customer)

    def post(_i):
        posted = message_post(
            conversation=conversation, sender="customer", author=customer, client_id="same", text="只发一次"
        )
        return posted.message.seq, posted.created

    results = in_threads(16, post)
    assert len({seq for seq, _created in results}) == 1
    assert sum(created for _seq, created in results) == 1
    assert Message.objects.filter(conversation=conversation, client_id="same").count() == 1


def test_sixteen_hand_offs_never_overfill_an_agent(make_user, agent_on_duty):
    agent = agent_on_duty("a@example.com", capacity=3)
    customers = [make_user(email=f"c{i}@example.com") for i in range(16)]
    conversations = [conversation_open(user=c, language="zh-hans") for c in customers]

    def ask(i):
        return handoff(conversation=conversations[i], actor=customers[i]).status

    statuses = in_threads(16, ask)
    assert Conversation.objects.filter(agent=agent, status="active").count() == 3
    assert statuses.count("active") <= 3
    assert Conversation.objects.filter(status="queued").count() + 3 + statuses.count("ticket") == 16


def test_sixteen_opens_make_one_conversation(customer):
    ids = in_threads(16, lambda _i: conversation_open(user=customer, language="zh-hans").pk)
    assert len(set(ids)) == 1
    assert Conversation.objects.filter(user=customer).count() == 1


def test_sixteen_parallel_files_respect_the_per_chat_limit(customer, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from okpay.chat.errors import ChatError
    from okpay.chat.models import ChatAttachment

    settings.MEDIA_ROOT = tmp_path
    settings.OKPAY_CHAT_ATTACHMENTS_PER_CONVERSATION = 2
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (100, 10)}
    conversation = conversation_open(user=customer, language="zh-hans")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    def send(i):
        upload = SimpleUploadedFile(f"s{i}.png", png, content_type="image/png")
        try:
            message_post(
                conversation=conversation,
                sender="customer",
                author=customer,
                client_id=f"f-{i}",
                upload=upload,
            )
            return "stored"
        except ChatError as error:
            return error.code

    results = in_threads(16, send)
    assert results.count("stored") == 2 and results.count("file_too_many") == 14, results
    assert ChatAttachment.objects.filter(message__conversation=conversation).count() == 2
