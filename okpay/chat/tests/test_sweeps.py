"""The chat sweeps (okpay/chat/sweeps.py): a wait over the limit or past the service hours becomes a
question (a guest's ends as abandoned, with a message that says why), an idle chat with a person is
ended, a chat left with the bot is closed quietly — each through the actions with actor SYSTEM, each
conversation exactly once however many sweeps run at the same time (16 threads on PostgreSQL)."""

import threading
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.tasks import TaskResultStatus
from django.test import override_settings
from django.utils import timezone

from okpay.chat import actions, sweeps
from okpay.chat.actions import (
    agent_accept,
    agent_transfer,
    conversation_close,
    conversation_open,
    conversation_rate,
    handoff,
    presence_set,
)
from okpay.chat.models import Conversation, Message
from okpay.chat.presenters import system_text
from okpay.chat.routing import CHINA
from okpay.chat.sweeps import chat_sweep
from okpay.core import hooks, worker
from okpay.core.models import AuditEvent
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.tickets.models import Ticket

from .factories import guest_conversation, say, waiting

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=CHINA)  # a Thursday morning, in any service hours
NOTHING = {"converted": 0, "abandoned": 0, "idle_closed": 0, "bot_closed": 0, "failed": 0}


def moved(**counts) -> dict:
    return {**NOTHING, **counts}


@contextmanager
def at(when: datetime):
    with time_machine.travel(when, tick=False):
        yield


def status(conversation: Conversation) -> str:
    return Conversation.objects.get(pk=conversation.pk).status


def sweep_audits():
    """The audit rows of the sweeps' moves (no person made them; routing's are chat.routed)."""
    return AuditEvent.objects.filter(
        action__in=("chat.converted", "chat.abandoned", "chat.closed"), actor__isnull=True
    )


@pytest.fixture
def full_agent(agent_on_duty, make_user):
    """An online agent with one slot, taken (at T0 - 1 min): a hand-off waits in the queue."""
    with at(T0 - timedelta(minutes=1)):
        agent = agent_on_duty("busy@example.com", capacity=1)
        first = waiting(make_user(email="first@example.com"))
    assert first.status == "active" and first.agent == agent
    agent.busy_with = first
    return agent


def queued(when: datetime, owner=None) -> Conversation:
    """`owner`'s (None: a new guest's) conversation, queued at `when` behind a full agent."""
    with at(when), override_settings(OKPAY_CHAT_MAX_WAIT_SECONDS=10**7):
        if owner is None:
            conversation, _key = guest_conversation()
        else:
            conversation = conversation_open(user=owner, language="zh-hans")
        say(conversation, "我的付款没到账", author=owner)
        handoff(conversation=conversation, actor=owner)
    conversation.refresh_from_db()
    assert conversation.status == "queued", conversation.status
    return conversation


def with_bot(when: datetime, owner=None) -> Conversation:
    with at(when):
        if owner is None:
            conversation, _key = guest_conversation()
        else:
            conversation = conversation_open(user=owner, language="zh-hans")
        say(conversation, "你好", author=owner)
    conversation.refresh_from_db()
    return conversation


def active(when: datetime, owner, *, agent_on_duty, agent_email: str = "a@example.com"):
    """`owner`'s conversation, taken at `when` by a new agent with one slot (so it is full after)."""
    with at(when):
        agent_on_duty(agent_email, capacity=1)
        conversation = waiting(owner)
    assert conversation.status == "active"
    return conversation


# --- 1. waiting too long ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # real commits: the broadcasts and the email after them
def test_a_customers_wait_over_the_limit_becomes_a_question(
    customer, full_agent, settings, mailoutbox, monkeypatch
):
    settings.OKPAY_CHAT_MAX_WAIT_SECONDS = 600
    conversation = queued(T0, customer)
    sent = []
    monkeypatch.setattr(actions, "_group_send", lambda group, event: sent.append((group, event)))
    assert chat_sweep(T0 + timedelta(seconds=599)) == NOTHING
    assert chat_sweep(T0 + timedelta(seconds=600)) == NOTHING  # "longer than" the limit
    assert status(conversation) == "queued" and not Ticket.objects.exists()

    mailoutbox.clear()
    assert chat_sweep(T0 + timedelta(seconds=601)) == moved(converted=1)
    conversation.refresh_from_db()
    ticket = Ticket.objects.get()
    assert conversation.status == "ticket" and conversation.ticket == ticket and conversation.closed_at
    assert ticket.channel == "chat" and ticket.requester == customer
    body = ticket.messages.order_by("created_at", "id").first().body
    assert "我的付款没到账" in body and "bot: 我的付款没到账" in body  # the whole transcript
    message = Message.objects.get(conversation=conversation, sender="system", event="ticket")
    assert message.data == {"number": ticket.number} and message.seq == conversation.last_seq
    (audit,) = sweep_audits().filter(action="chat.converted")
    assert audit.data["from"] == "queued" and audit.data["to"] == "ticket"
    assert audit.data["ticket"] == ticket.number and audit.subject_user == customer
    # the widget hears the move (it shows the question's number) and the ticket's email goes out
    status_events = [event for group, event in sent if event["type"] == "chat.status"]
    assert {"type": "chat.status", "status": "ticket", "agent_name": None, "ticket": ticket.number} in (
        status_events
    )
    assert [mail.to for mail in mailoutbox] == [[customer.email]]
    assert ticket.number in mailoutbox[0].subject + mailoutbox[0].body


def test_a_guests_wait_ends_as_abandoned_with_a_message_that_says_why(full_agent, committed, mailoutbox):
    conversation = queued(T0)
    assert chat_sweep(T0 + timedelta(seconds=599)) == NOTHING
    with committed():
        assert chat_sweep(T0 + timedelta(seconds=601)) == moved(abandoned=1)
    conversation.refresh_from_db()
    assert conversation.status == "abandoned" and conversation.closed_at and conversation.ticket is None
    assert not Ticket.objects.exists() and not mailoutbox  # no address to write to, nothing sent
    message = Message.objects.get(conversation=conversation, sender="system", event="wait_expired")
    assert message.seq == conversation.last_seq
    assert "email" in system_text(message.event, message.data, "en")
    assert "邮箱" in system_text(message.event, message.data, "zh-hans")
    (audit,) = sweep_audits()
    assert (audit.action, audit.data["from"], audit.data["to"]) == ("chat.abandoned", "queued", "abandoned")


def test_the_wait_starts_again_when_a_transfer_puts_the_chat_back_in_a_queue(customer, full_agent, settings):
    settings.OKPAY_CHAT_IDLE_CLOSE_SECONDS = 0  # the agent's first chat stays: no slot frees
    conversation = queued(T0, customer)
    with at(T0 + timedelta(minutes=5)):
        agent_accept(conversation=conversation, actor=full_agent)
    with at(T0 + timedelta(minutes=20)):
        agent_transfer(conversation=conversation, actor=full_agent, to_group="security")
    conversation.refresh_from_db()
    assert conversation.status == "queued" and conversation.queued_at == T0  # its place in time kept
    back = T0 + timedelta(minutes=20)
    assert chat_sweep(back + timedelta(seconds=599)) == NOTHING
    assert chat_sweep(back + timedelta(seconds=601)) == moved(converted=1)
    assert status(conversation) == "ticket"


def test_waiting_chats_become_questions_when_the_service_hours_end(customer, full_agent, settings):
    from okpay.helpcenter.models import ContactChannel

    settings.OKPAY_CHAT_IDLE_CLOSE_SECONDS = 0  # the agent's first chat stays: no slot frees
    ContactChannel.objects.create(kind="chat", opens_at=time(8), closes_at=time(22))
    evening = datetime(2026, 12, 3, 21, 55, tzinfo=CHINA)
    mine, guests = queued(evening, customer), queued(evening)
    assert chat_sweep(evening + timedelta(seconds=299)) == NOTHING  # 21:59:59, five minutes' wait
    assert chat_sweep(evening + timedelta(seconds=300)) == moved(converted=1, abandoned=1)  # 22:00
    assert (status(mine), status(guests)) == ("ticket", "abandoned")


# --- 2. idle with a person --------------------------------------------------------------------------------


def test_an_idle_chat_with_a_person_is_ended_and_may_be_rated(customer, agent_on_duty, make_user, settings):
    settings.OKPAY_CHAT_IDLE_CLOSE_SECONDS = 1800
    with at(T0):
        agent = agent_on_duty("a@example.com", capacity=1)
        conversation = waiting(customer)
    assert conversation.agent == agent
    with at(T0 + timedelta(minutes=10)):
        say(conversation, "还在吗?", author=customer)
    with at(T0 + timedelta(minutes=20)):
        say(conversation, "我在查", author=agent, sender="agent")
    later = make_user(email="later@example.com")
    with override_settings(OKPAY_CHAT_MAX_WAIT_SECONDS=10**7):
        behind = queued(T0 + timedelta(minutes=30), later)  # waits for the agent's one slot

    last = T0 + timedelta(minutes=20)
    with override_settings(OKPAY_CHAT_MAX_WAIT_SECONDS=10**7):
        assert chat_sweep(last + timedelta(seconds=1799)) == NOTHING
        assert chat_sweep(last + timedelta(seconds=1801)) == moved(idle_closed=1)
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.closed_at
    message = Message.objects.get(conversation=conversation, sender="system", event="idle_closed")
    assert message.seq == conversation.last_seq
    assert system_text(message.event, {}, "en").startswith("The chat ended because nobody wrote")
    (audit,) = sweep_audits()
    assert (audit.action, audit.data["from"], audit.data["to"]) == ("chat.closed", "active", "closed")
    assert status(behind) == "active"  # the freed slot went to the queue at once
    rated = conversation_rate(conversation=conversation, actor=customer, score=4)
    assert rated.rating == 4


def test_an_internal_note_counts_as_the_agent_working_on_it(customer, agent_on_duty):
    conversation = active(T0, customer, agent_on_duty=agent_on_duty)
    agent = conversation.agent
    with at(T0 + timedelta(minutes=25)):
        say(conversation, "查询中", author=agent, sender="note")
    assert chat_sweep(T0 + timedelta(minutes=31)) == NOTHING
    assert chat_sweep(T0 + timedelta(minutes=55, seconds=1)) == moved(idle_closed=1)


def test_the_idle_clock_starts_when_the_agent_takes_the_chat(customer, full_agent, agent_on_duty):
    conversation = queued(T0, customer)  # waits ten minutes, then an agent takes it
    with at(T0 + timedelta(minutes=9)):
        agent_accept(conversation=conversation, actor=full_agent)
    # the agent's first chat has been idle since T0 - 1 min; this one since it was taken at T0 + 9 min
    assert chat_sweep(T0 + timedelta(minutes=38)) == moved(idle_closed=1)
    assert (status(full_agent.busy_with), status(conversation)) == ("closed", "active")
    assert chat_sweep(T0 + timedelta(minutes=39)) == NOTHING
    assert chat_sweep(T0 + timedelta(minutes=39, seconds=1)) == moved(idle_closed=1)
    assert status(conversation) == "closed"


# --- 3. left with the bot ---------------------------------------------------------------------------------


def test_a_chat_left_with_the_bot_is_closed_quietly_and_the_next_visit_starts_afresh(customer):
    mine, guests = with_bot(T0, customer), with_bot(T0)
    with at(T0 + timedelta(hours=10)):
        say(guests, "还有一个问题")  # touched again: its day starts again
    seqs = {c.pk: c.next_seq for c in (mine, guests)}
    assert chat_sweep(T0 + timedelta(hours=24) - timedelta(seconds=1)) == NOTHING
    assert chat_sweep(T0 + timedelta(hours=24, seconds=1)) == moved(bot_closed=1)
    mine.refresh_from_db()
    assert mine.status == "closed" and mine.closed_at
    assert mine.next_seq == seqs[mine.pk]  # quietly: no message
    (audit,) = sweep_audits()
    assert (audit.action, audit.data["from"], audit.data["to"]) == ("chat.closed", "bot", "closed")
    assert status(guests) == "bot"
    with at(T0 + timedelta(hours=24, seconds=2)):
        fresh = conversation_open(user=customer, language="zh-hans")
    assert fresh.pk != mine.pk and fresh.status == "bot"
    assert chat_sweep(T0 + timedelta(hours=34, seconds=1)) == moved(bot_closed=1)
    assert status(guests) == "closed"


def test_zero_turns_the_idle_and_bot_rules_off(customer, customer_en, agent_on_duty, settings):
    settings.OKPAY_CHAT_IDLE_CLOSE_SECONDS = 0
    settings.OKPAY_CHAT_BOT_CLOSE_SECONDS = 0
    chat = active(T0, customer, agent_on_duty=agent_on_duty)
    bot_only = with_bot(T0, customer_en)
    assert chat_sweep(T0 + timedelta(days=30)) == NOTHING
    assert (status(chat), status(bot_only)) == ("active", "bot")


# --- all rules together -------------------------------------------------------------------------------------


def _everything(make_user, agent_on_duty, full_agent):
    """Due and not-due conversations of every kind at T0 + 1 h (limits: 600 s, 30 min, 24 h)."""
    now = T0 + timedelta(hours=1)
    # first the chat with a person that is not idle: its agent's one slot is full before anything waits
    busy = active(
        now - timedelta(minutes=29), make_user(email="fresh-a@example.com"), agent_on_duty=agent_on_duty
    )
    due = {
        "converted": [queued(T0, make_user(email=f"q{i}@example.com")) for i in range(2)],
        "abandoned": [queued(T0)],
        "idle_closed": [full_agent.busy_with],
        "bot_closed": [
            with_bot(now - timedelta(hours=25), make_user(email="b@example.com")),
            with_bot(now - timedelta(hours=30)),
        ],
    }
    fresh = [
        queued(now - timedelta(minutes=5), make_user(email="fresh-q@example.com")),
        queued(now - timedelta(minutes=5)),
        busy,
        with_bot(now - timedelta(hours=23), make_user(email="fresh-b@example.com")),
        with_bot(now - timedelta(hours=23)),
    ]
    with at(T0):
        finished = []
        for i, end in enumerate(("closed", "abandoned", "ticket")):
            user = make_user(email=f"done{i}@example.com")
            conversation = with_bot(T0 - timedelta(days=3), user)
            if end == "ticket":
                Conversation.objects.filter(pk=conversation.pk).update(status="ticket")
            else:
                if end == "abandoned":
                    conversation = queued(T0 - timedelta(days=3), user)
                conversation_close(conversation=conversation, actor=user)
            finished.append(conversation)
    presence_set(agent=full_agent, availability="away")  # no routing into what is being swept
    return now, due, fresh, finished


def test_nothing_else_moves_and_a_second_run_moves_nothing_more(make_user, agent_on_duty, full_agent):
    now, due, fresh, finished = _everything(make_user, agent_on_duty, full_agent)
    before = {c.pk: status(c) for c in fresh + finished}
    audits, messages = sweep_audits().count(), Message.objects.count()

    assert chat_sweep(now) == moved(converted=2, abandoned=1, idle_closed=1, bot_closed=2)
    assert {c.pk: status(c) for c in fresh + finished} == before
    targets = {
        "converted": "ticket",
        "abandoned": "abandoned",
        "idle_closed": "closed",
        "bot_closed": "closed",
    }
    for outcome, conversations in due.items():
        assert [status(c) for c in conversations] == [targets[outcome]] * len(conversations)
    assert sweep_audits().count() == audits + 6
    assert Message.objects.count() == messages + 4  # 2 ticket, 1 wait_expired, 1 idle_closed; bots quiet

    audits, messages, tickets = sweep_audits().count(), Message.objects.count(), Ticket.objects.count()
    assert chat_sweep(now) == NOTHING
    assert chat_sweep(now + timedelta(seconds=30)) == NOTHING
    assert (sweep_audits().count(), Message.objects.count(), Ticket.objects.count()) == (
        audits,
        messages,
        tickets,
    )


def test_one_failing_conversation_does_not_stop_the_sweep(make_user, full_agent, monkeypatch):
    first, second = (queued(T0, make_user(email=f"q{i}@example.com")) for i in range(2))
    real = actions.conversation_convert

    def convert(*, conversation, actor, email=""):
        converted = real(conversation=conversation, actor=actor, email=email)
        if conversation.pk == first.pk:
            raise RuntimeError("something broke after the question was made")
        return converted

    monkeypatch.setattr(actions, "conversation_convert", convert)
    assert chat_sweep(T0 + timedelta(minutes=11)) == moved(converted=1, failed=1)
    assert (status(first), status(second)) == ("queued", "ticket")
    assert Ticket.objects.count() == 1  # the failing one's transaction was rolled back, its question too
    monkeypatch.setattr(actions, "conversation_convert", real)
    assert chat_sweep(T0 + timedelta(minutes=12)) == moved(converted=1)


# --- the periodic job -------------------------------------------------------------------------------------

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}}


def test_the_sweep_runs_every_minute_and_is_queued_at_worker_start(db, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    task = sweeps.chat_sweep_task

    def ready():
        return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)

    assert "chat sweep" in {schedule.name for schedule in hooks.items(hooks.WORKER_SCHEDULES)}
    assert any("chat sweep" in line for line in worker.worker_start())
    worker.worker_start()
    assert ready().count() == 1
    ready().delete()
    assert task.call() == NOTHING
    (row,) = ready()
    assert abs((row.run_after - (timezone.now() + timedelta(minutes=1))).total_seconds()) < 30
    task.call()
    assert ready().count() == 1


# --- concurrency (PostgreSQL) -------------------------------------------------------------------------------


@pytest.fixture
def postgres():
    skip_unless_postgres()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sixteen_sweeps_at_once_move_each_conversation_exactly_once(
    postgres, make_user, agent_on_duty, full_agent
):
    now, due, fresh, finished = _everything(make_user, agent_on_duty, full_agent)
    more_users = [queued(T0, make_user(email=f"more{i}@example.com")) for i in range(6)]
    more_guests = [queued(T0) for _ in range(6)]
    more_bots = [with_bot(T0 - timedelta(days=2)) for _ in range(8)]
    due["converted"] += more_users
    due["abandoned"] += more_guests
    due["bot_closed"] += more_bots
    before = {c.pk: status(c) for c in fresh + finished}

    results = in_threads(16, lambda _i: chat_sweep(now))
    totals = {key: sum(result[key] for result in results) for key in NOTHING}
    assert totals == moved(converted=8, abandoned=7, idle_closed=1, bot_closed=10)
    assert {c.pk: status(c) for c in fresh + finished} == before
    for outcome, conversations in due.items():
        for conversation in conversations:
            pk = str(conversation.pk)
            assert sweep_audits().filter(data__conversation=pk).count() == 1, (outcome, pk)
    events = {"converted": "ticket", "abandoned": "wait_expired", "idle_closed": "idle_closed"}
    for outcome, event in events.items():
        for conversation in due[outcome]:
            assert Message.objects.filter(conversation=conversation, event=event).count() == 1
    assert Ticket.objects.filter(channel="chat").count() == 8
    assert len({Conversation.objects.get(pk=c.pk).ticket_id for c in due["converted"]}) == 8
    assert chat_sweep(now) == NOTHING


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_conversation_another_transaction_holds_waits_for_the_next_run(postgres, make_user, full_agent):
    held, other = (queued(T0, make_user(email=f"q{i}@example.com")) for i in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Conversation.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        assert chat_sweep(T0 + timedelta(minutes=11)) == moved(converted=1)  # not blocked by the lock
        assert (status(held), status(other)) == ("queued", "ticket")
    finally:
        release.set()
        holder.join()
    assert chat_sweep(T0 + timedelta(minutes=12)) == moved(converted=1)
    assert status(held) == "ticket"
