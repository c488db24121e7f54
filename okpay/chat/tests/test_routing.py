"""Hand-off and routing: capacity, least loaded, language, group, priority, transfer, the queue and
its estimate, nobody online → question, out of hours → question."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from okpay.chat import routing
from okpay.chat.actions import (
    agent_accept,
    agent_transfer,
    conversation_close,
    conversation_convert,
    conversation_open,
    handoff,
    presence_set,
)
from okpay.chat.errors import ChatConflict, ChatError, ChatForbidden
from okpay.chat.models import Conversation, Message
from okpay.chat.selectors import queue_for, queue_stats
from okpay.tickets.models import Ticket

from .factories import guest_conversation, say, waiting

pytestmark = pytest.mark.django_db
CHINA = ZoneInfo("Asia/Shanghai")


def asks(user, text="我的付款没到账", *, language="zh-hans"):
    conversation = conversation_open(user=user, language=language)
    say(conversation, text, author=user)
    return conversation


def test_a_free_agent_gets_the_chat_at_once(customer, agent_on_duty):
    agent = agent_on_duty("a1@example.com")
    conversation = asks(customer)
    result = handoff(conversation=conversation, actor=customer)
    assert (result.status, result.agent_name) == ("active", agent.display_name)
    conversation.refresh_from_db()
    assert conversation.agent == agent and conversation.queued_at and conversation.accepted_at
    events = list(
        Message.objects.filter(conversation=conversation, sender="system").values_list("event", flat=True)
    )
    assert events == ["queued", "agent_joined"]
    assert conversation.bot_conversation.handed_off


def test_capacity_is_respected_and_the_rest_wait_in_order(make_user, agent_on_duty):
    agent = agent_on_duty("a1@example.com", capacity=1)
    first, second, third = (make_user(email=f"c{i}@example.com") for i in range(3))
    assert handoff(conversation=asks(first), actor=first).status == "active"
    r2 = handoff(conversation=asks(second), actor=second)
    r3 = handoff(conversation=asks(third), actor=third)
    assert (r2.status, r2.queue_position) == ("queued", 1)
    assert (r3.status, r3.queue_position) == ("queued", 2)
    assert Conversation.objects.filter(agent=agent, status="active").count() == 1


def test_the_least_loaded_agent_gets_the_next_chat(make_user, agent_on_duty):
    a = agent_on_duty("a@example.com")
    b = agent_on_duty("b@example.com")
    agents = []
    for i in range(4):
        user = make_user(email=f"c{i}@example.com")
        handoff(conversation=asks(user), actor=user)
        agents.append(Conversation.objects.get(user=user).agent)
    assert sorted(agents.count(x) for x in (a, b)) == [2, 2]
    assert agents[0] != agents[1]  # round robin among equally loaded agents


def test_language_decides_who_can_take_it(customer_en, agent_on_duty, make_user):
    agent_on_duty("zh-only@example.com", languages=("zh-hans",))
    conversation = asks(customer_en, "my payment is missing", language="en")
    result = handoff(conversation=conversation, actor=customer_en)
    assert result.status == "ticket"  # nobody who speaks English is online
    english = agent_on_duty("en@example.com", languages=("en",))
    other = make_user(email="emma2@example.com", language="en")
    result = handoff(conversation=asks(other, "payment missing", language="en"), actor=other)
    assert result.status == "active"
    assert Conversation.objects.get(user=other).agent == english


def test_the_bots_intent_chooses_the_group(customer, agent_on_duty, bot):
    payments = agent_on_duty("pay@example.com", groups=("payments",))
    security = agent_on_duty("sec@example.com", groups=("security",))
    bot.intents["我的卡被盗了"] = "lost_or_stolen_card"
    bot.intents["转人工"] = "talk_to_human"
    conversation = conversation_open(user=customer, language="zh-hans")
    say(conversation, "我的卡被盗了", author=customer)
    say(conversation, "转人工", author=customer)  # says nothing about the topic: the card does
    handoff(conversation=conversation, actor=customer)
    conversation.refresh_from_db()
    assert (conversation.group, conversation.priority, conversation.intent) == (
        "security",
        "urgent",
        "lost_or_stolen_card",
    )
    assert conversation.agent == security and conversation.agent != payments


def test_group_for_intents():
    assert routing.group_for("lost_or_stolen_phone") == "security"
    assert routing.group_for("pending_transfer") == "payments"
    assert routing.group_for("greeting") == "general"
    assert routing.group_for("") == "general"
    assert routing.group_for("no_such_intent") == "general"
    # the bot's own intents (issue 17): a takeover is security and urgent; small talk says nothing
    assert (
        routing.group_for("account_takeover") == "security" and "account_takeover" in routing.URGENT_INTENTS
    )
    assert routing.group_for("small_talk") == routing.group_for("insult") == "general"
    assert routing.group_for("international_transfer_status") == "payments"
    # every intent the bot can name is known to routing or falls into payments on purpose
    import json
    from pathlib import Path

    names = {i["name"] for i in json.loads(Path("okpay/bot/data/intents.json").read_text(encoding="utf-8"))}
    assert {"account_takeover", "balance", "account_limits", "payment_status"} <= names


def test_urgent_chats_go_first(make_user, agent_on_duty, bot):
    agent = agent_on_duty("a@example.com", capacity=1)
    bot.intents["忘记密码"] = "reset_password"  # security, normal
    bot.intents["手机丢了"] = "lost_or_stolen_phone"  # security, urgent
    busy, normal, urgent = (make_user(email=f"c{i}@example.com") for i in range(3))
    handoff(conversation=asks(busy), actor=busy)  # the agent is now full
    assert handoff(conversation=asks(normal, "忘记密码"), actor=normal).queue_position == 1
    result = handoff(conversation=asks(urgent, "手机丢了"), actor=urgent)
    assert (result.status, result.queue_position) == ("queued", 1)  # ahead of the one who came first
    assert routing.queue_position(Conversation.objects.get(user=normal)) == 2
    conversation_close(conversation=Conversation.objects.get(user=busy), actor=busy)  # a slot frees
    assert Conversation.objects.get(user=urgent).agent == agent
    assert Conversation.objects.get(user=normal).status == "queued"


def test_an_agent_going_online_takes_the_waiting_chats(make_user, agent_on_duty):
    first = agent_on_duty("a@example.com", capacity=1)
    busy, waiting_customer = make_user(email="c1@example.com"), make_user(email="c2@example.com")
    handoff(conversation=asks(busy), actor=busy)
    assert handoff(conversation=asks(waiting_customer), actor=waiting_customer).status == "queued"
    second = agent_on_duty("b@example.com")
    conversation = Conversation.objects.get(user=waiting_customer)
    assert conversation.status == "active" and conversation.agent == second != first


def test_an_agent_picks_from_the_queue_and_a_second_accept_is_refused(make_user, agent_on_duty, agent):
    agent_on_duty("a@example.com", capacity=1)
    busy, waiting_customer = make_user(email="c1@example.com"), make_user(email="c2@example.com")
    handoff(conversation=asks(busy), actor=busy)
    handoff(conversation=asks(waiting_customer), actor=waiting_customer)
    conversation = Conversation.objects.get(user=waiting_customer)
    assert [c.pk for c in queue_for(agent=agent)] == [conversation.pk]
    accepted = agent_accept(conversation=conversation, actor=agent)
    assert accepted.status == "active" and accepted.agent == agent
    with pytest.raises(ChatConflict) as refused:
        agent_accept(conversation=conversation, actor=agent)
    assert refused.value.code == "not_waiting"
    with pytest.raises(ChatForbidden):
        agent_accept(conversation=conversation, actor=busy)


def test_transfer_to_a_group_keeps_the_history_and_the_place_in_time(customer, agent_on_duty, make_user):
    agent = agent_on_duty("a@example.com", groups=("general",))
    conversation = waiting(customer)
    queued_at = conversation.queued_at
    later = make_user(email="later@example.com")
    security_queue_first = Conversation.objects.create(
        user=later,
        language="zh-hans",
        status="queued",
        group="security",
        queued_at=timezone.now() + timedelta(seconds=5),
    )
    moved = agent_transfer(conversation=conversation, actor=agent, to_group="security")
    assert (moved.status, moved.group, moved.agent, moved.queued_at) == (
        "queued",
        "security",
        None,
        queued_at,
    )
    assert routing.queue_position(moved) == 1 and routing.queue_position(security_queue_first) == 2
    assert Message.objects.filter(conversation=conversation, event="transferred_group").exists()
    assert Message.objects.filter(conversation=conversation).count() >= 4  # nothing was lost


def test_transfer_to_an_agent(customer, agent_on_duty, make_user, supervisor):
    agent = agent_on_duty("a@example.com")
    conversation = waiting(customer)
    offline = make_user(email="off@example.com", role="agent")
    with pytest.raises(ChatConflict) as refused:
        agent_transfer(conversation=conversation, actor=agent, to_agent=offline)
    assert refused.value.code == "agent_unavailable"
    colleague = agent_on_duty("b@example.com")
    stranger = agent_on_duty("c@example.com")
    with pytest.raises(ChatForbidden):  # only the chat's agent (or a supervisor) passes it on
        agent_transfer(conversation=conversation, actor=stranger, to_agent=colleague)
    moved = agent_transfer(conversation=conversation, actor=agent, to_agent=colleague)
    assert (moved.status, moved.agent) == ("active", colleague)
    moved = agent_transfer(conversation=conversation, actor=supervisor, to_agent=agent)
    assert moved.agent == agent
    with pytest.raises(ChatError):
        agent_transfer(conversation=conversation, actor=agent, to_group="security", to_agent=colleague)
    with pytest.raises(ChatError):
        agent_transfer(conversation=conversation, actor=agent, to_group="nowhere")


def test_nobody_online_makes_it_a_question_with_the_transcript(customer, bot):
    bot.intents["我的付款没到账"] = "pending_transfer"
    conversation = asks(customer)
    result = handoff(conversation=conversation, actor=customer)
    ticket = Ticket.objects.get()
    assert (result.status, result.ticket) == ("ticket", ticket.number)
    assert ticket.channel == "chat" and ticket.requester == customer
    first = ticket.messages.order_by("created_at", "id").first()
    assert "我的付款没到账" in first.body and "bot: 我的付款没到账" in first.body
    conversation.refresh_from_db()
    assert conversation.status == "ticket" and conversation.ticket == ticket and conversation.closed_at
    assert Message.objects.filter(
        conversation=conversation, event="ticket", data__number=ticket.number
    ).exists()
    again = handoff(conversation=conversation, actor=customer)
    assert again.ticket == ticket.number and Ticket.objects.count() == 1


def test_out_of_hours_makes_it_a_question_even_with_agents_online(customer, agent_on_duty):
    from okpay.helpcenter.models import ContactChannel

    ContactChannel.objects.create(kind="chat", opens_at=time(8), closes_at=time(22))
    agent_on_duty("a@example.com")
    with time_machine.travel(datetime(2026, 12, 3, 23, 30, tzinfo=CHINA), tick=False):
        assert not routing.in_service_hours()
        result = handoff(conversation=asks(customer), actor=customer)
    assert result.status == "ticket"
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=CHINA), tick=False):
        assert routing.in_service_hours()


def test_service_hours_past_midnight_and_24_7():
    from okpay.helpcenter.models import ContactChannel

    assert routing.in_service_hours()  # no chat channel published: always
    channel = ContactChannel.objects.create(kind="chat", opens_at=time(20), closes_at=time(2))
    assert routing.in_service_hours(datetime(2026, 1, 1, 1, 0, tzinfo=CHINA))
    assert not routing.in_service_hours(datetime(2026, 1, 1, 12, 0, tzinfo=CHINA))
    channel.opens_at = channel.closes_at = None
    channel.save()
    assert routing.in_service_hours(datetime(2026, 1, 1, 12, 0, tzinfo=CHINA))


def test_a_guest_out_of_hours_leaves_an_email(agent_on_duty):
    conversation, _key = guest_conversation(language="en")
    say(conversation, "where is my money")
    with pytest.raises(ChatError) as refused:
        handoff(conversation=conversation, actor=None)
    assert refused.value.code == "email_required"
    conversation.refresh_from_db()
    assert conversation.status == "bot" and not Ticket.objects.exists()
    with pytest.raises(ChatError):
        handoff(conversation=conversation, actor=None, email="not an email")
    result = handoff(conversation=conversation, actor=None, email="guest@example.com")
    ticket = Ticket.objects.get()
    assert result.ticket == ticket.number
    assert (ticket.requester, ticket.requester_email, ticket.language, ticket.channel) == (
        None,
        "guest@example.com",
        "en",
        "chat",
    )


@override_settings(OKPAY_CHAT_DEFAULT_HANDLE_SECONDS=300, OKPAY_CHAT_MAX_WAIT_SECONDS=600)
def test_the_estimate_and_the_maximum_wait(make_user, agent_on_duty):
    agent_on_duty("a@example.com", capacity=1)
    people = [make_user(email=f"c{i}@example.com") for i in range(4)]
    assert handoff(conversation=asks(people[0]), actor=people[0]).estimated_wait_seconds is None  # active
    second = handoff(conversation=asks(people[1]), actor=people[1])
    assert (second.queue_position, second.estimated_wait_seconds) == (1, 300)  # 1 × 300 s / 1 slot
    third = handoff(conversation=asks(people[2]), actor=people[2])
    assert (third.queue_position, third.estimated_wait_seconds) == (2, 600)  # = the maximum: waits
    fourth = handoff(conversation=asks(people[3]), actor=people[3])
    assert fourth.status == "ticket"  # 900 s > 600 s


def test_the_estimate_uses_recent_handle_times(customer, agent_on_duty, make_user):
    agent = agent_on_duty("a@example.com", capacity=2)
    now = timezone.now()
    for i, minutes in enumerate((2, 4)):
        Conversation.objects.create(
            user=make_user(email=f"old{i}@example.com"),
            language="zh-hans",
            status="closed",
            group="general",
            agent=agent,
            accepted_at=now - timedelta(minutes=minutes + 1),
            closed_at=now - timedelta(minutes=1),
        )
    assert routing.average_handle_seconds("general") == 180
    # two slots busy: position 1 waits 1 × 180 / 2 = 90 s
    for i in range(2):
        user = make_user(email=f"busy{i}@example.com")
        handoff(conversation=asks(user), actor=user)
    assert routing.wait_estimate(position=1, language="zh-hans", group="general") == 90
    assert routing.wait_estimate(position=1, language="en", group="general") is None


def test_leaving_the_queue_is_recorded_as_abandoned(make_user, agent_on_duty):
    agent_on_duty("a@example.com", capacity=1)
    busy, leaver = make_user(email="c1@example.com"), make_user(email="c2@example.com")
    handoff(conversation=asks(busy), actor=busy)
    conversation = asks(leaver)
    handoff(conversation=conversation, actor=leaver)
    closed = conversation_close(conversation=conversation, actor=leaver)
    assert closed.status == "abandoned" and closed.closed_at
    assert queue_stats()["today"]["abandoned"] == 1


def test_staff_convert_a_running_chat(customer, agent_on_duty):
    agent = agent_on_duty("a@example.com")
    conversation = waiting(customer)
    say(conversation, "请把记录发给我", author=customer)
    converted = conversation_convert(conversation=conversation, actor=agent)
    assert converted.status == "ticket" and converted.ticket.channel == "chat"
    assert "请把记录发给我" in converted.ticket.messages.first().body


def test_presence_is_validated(agent, customer):
    with pytest.raises(ChatForbidden):
        presence_set(agent=customer, availability="online")
    for kwargs in (
        {"availability": "busy"},
        {"availability": "online", "capacity": 0},
        {"availability": "online", "capacity": 99},
        {"availability": "online", "languages": ["fr"]},
        {"availability": "online", "groups": ["vip"]},
    ):
        with pytest.raises(ChatError):
            presence_set(agent=agent, **kwargs)
    presence = presence_set(
        agent=agent, availability="away", capacity=5, languages=["en", "zh-hans"], groups=[]
    )
    assert (presence.availability, presence.capacity, presence.languages) == ("away", 5, ["zh-hans", "en"])


def test_queue_stats_count_waiting_and_agents(make_user, agent_on_duty):
    agent_on_duty("a@example.com", capacity=1)
    for i in range(2):
        user = make_user(email=f"c{i}@example.com")
        handoff(conversation=asks(user), actor=user)
    stats = queue_stats()
    assert stats["groups"]["general"]["waiting"] == 1
    assert stats["groups"]["general"]["active"] == 1
    assert stats["groups"]["general"]["free_slots"] == 0
    assert stats["agents"][0]["load"] == 1
