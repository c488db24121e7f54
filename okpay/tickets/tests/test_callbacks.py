"""Phone (issue 15 item 3): callbacks booked inside the phone hours, refused outside them; the outcome
flow (reached / no answer → one retry → email); calls logged by agents; permissions; the lock."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from okpay.core.models import AuditEvent
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.helpcenter.models import ContactChannel
from okpay.tickets import phone, phone_actions
from okpay.tickets.errors import TicketError
from okpay.tickets.models import Callback, CallbackAttempt, PhoneCall, Ticket

CHINA = ZoneInfo("Asia/Shanghai")
# Wednesday 30 September 2026, 08:00 China time: the last business day before the National Day
# holiday (1–7 October); the next business days are 8 and 9 October.
NOW = datetime(2026, 9, 30, 8, 0, tzinfo=CHINA)


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA)


@pytest.fixture
def phone_line(db):
    return ContactChannel.objects.create(
        kind="phone",
        order=4,
        value="400-888-0000",
        label={"zh-hans": "客服热线", "en": "Phone"},
        hours={"zh-hans": "每天 09:00–21:00", "en": "09:00–21:00"},
        opens_at=time(9),
        closes_at=time(21),
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def booking(slot: datetime, **extra) -> dict:
    return {"phone": "138 0013 8000", "slot": slot.isoformat(), "topic": "account", "note": "", **extra}


# --- the hours and the slots ---------------------------------------------------------------------


def test_slots_lie_inside_the_published_phone_hours_on_business_days(phone_line, frozen):
    slots = phone.slots()
    days = sorted({start.date() for start, _end in slots})
    assert [d.isoformat() for d in days] == ["2026-09-30", "2026-10-08", "2026-10-09"]
    assert slots[0] == (at(30, 9), at(30, 9, 30)) and slots[-1] == (at(9, 20, 30, 10), at(9, 21, 0, 10))
    assert all(time(9) <= s.time() and e.time() <= time(21) for s, e in slots)


def test_the_hours_follow_the_contact_channel_data(phone_line, frozen):
    phone_line.opens_at, phone_line.closes_at = time(10), time(12)
    phone_line.save()
    assert phone.slots()[0][0] == at(30, 10) and phone.slots()[3][1] == at(30, 12)
    with pytest.raises(phone.CallbackRefused) as refused:
        phone.slot_check(at(30, 9))
    assert refused.value.code == "callback_outside_hours" and "10:00" in refused.value.message


def test_no_phone_hours_means_no_callbacks(db, client, frozen):
    assert phone.slots() == []
    response = client.get("/support/callback/", headers={"accept-language": "en"})
    assert response.status_code == 200 and "Callbacks are not available" in response.content.decode()


@pytest.mark.parametrize(
    "raw, valid",
    [
        ("138 0013 8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits, NFKC
        ("+852 9123 4567", None),
        ("+44 20 7946 0958", "+442079460958"),
        ("+86 10 6552 9988", "+861065529988"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw, valid):
    if valid is None:
        assert phone.phone_number_clean(raw).startswith("+852")
    else:
        assert phone.phone_number_clean(raw) == valid


@pytest.mark.parametrize(
    "raw", ["", "12", "call me", "138-0013-800a", "+1 555 0100 0000 0000 999", "=HYPERLINK()"]
)
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(phone.CallbackRefused) as refused:
        phone.phone_number_clean(raw)
    assert refused.value.code == "phone_invalid"


# --- booking --------------------------------------------------------------------------------------


def test_booking_inside_hours_creates_a_question_due_at_the_slot_in_the_queue(
    signed_in, customer, agent, phone_line, frozen, committed, mailoutbox
):
    client = signed_in(customer)
    assert "2026" in client.get("/support/callback/").content.decode()
    with committed():
        response = client.post("/support/callback/", booking(at(30, 14)))
    assert response.status_code == 302
    callback = Callback.objects.get()
    ticket = callback.ticket
    assert response["Location"] == f"/support/tickets/{ticket.number}/"
    assert (callback.slot_start, callback.slot_end, callback.due_at) == (
        at(30, 14),
        at(30, 14, 30),
        at(30, 14),
    )
    assert callback.phone == "+8613800138000" and callback.state == "requested"
    assert ticket.channel == "callback" and ticket.requester == customer
    assert (ticket.reply_warn_at, ticket.reply_due_at) == (at(30, 14), at(30, 14, 30))
    assert mailoutbox[-1].to == [customer.email]
    assert AuditEvent.objects.filter(action="ticket.callback_requested", actor=customer).exists()
    page = client.get(response["Location"]).content.decode()
    assert "+8613800138000" in page and "14:30" in page  # the customer sees the booked slot
    console = signed_in(agent, Client())
    queue = console.get("/console/tickets/callbacks/")
    assert queue.status_code == 200 and ticket.number in queue.content.decode()
    assert '<div class="table-wrap"><table' in queue.content.decode()  # scrolls on a phone, never widens it
    assert list(phone.callback_queue()) == [callback]


def test_a_visitor_books_with_an_email_and_gets_only_a_neutral_receipt(
    client, phone_line, frozen, committed, mailoutbox
):
    with committed():
        response = client.post(
            "/support/callback/",
            booking(
                at(8, 10, month=10), email="guest@example.com", name="<b>Mallory</b>", note="秘密内容 secret"
            ),
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.requester is None and ticket.channel == "callback"
    receipt = mailoutbox[-1]
    assert (
        receipt.to == ["guest@example.com"] and "secret" not in receipt.body and "Mallory" not in receipt.body
    )
    assert client.get(response["Location"]).status_code == 200  # this browser follows its question


@pytest.mark.parametrize(
    "slot, code, words",
    [
        (at(1, 10, month=10), "callback_closed_day", "public holiday"),  # National Day
        (at(3, 10, month=10), "callback_closed_day", "weekend"),  # a Saturday in the holiday
        (at(30, 21), "callback_outside_hours", "between 09:00 and 21:00"),  # closing time
        (at(30, 20, 45), "callback_outside_hours", "between 09:00 and 21:00"),  # would end after closing
        (at(30, 7), "callback_past", "already passed"),
        (at(29, 10), "callback_past", "already passed"),
        (at(12, 10, month=10), "callback_too_far", "3 business days ahead"),
        (at(30, 10, 10), "callback_not_offered", "30 minutes apart"),
    ],
)
def test_booking_outside_phone_hours_is_refused_with_a_clear_message_and_nothing_stored(
    signed_in, customer, phone_line, frozen, mailoutbox, slot, code, words
):
    customer.language = "en"  # the page and the messages in English (the words checked below)
    customer.save(update_fields=["language"])
    with pytest.raises(phone.CallbackRefused) as refused, translation.override("en"):
        phone_actions.callback_request(
            requester=customer,
            language="en",
            topic="account",
            phone_number="13800138000",
            slot_start=slot,
            time_zone="Asia/Shanghai",
        )
    with translation.override("en"):
        assert refused.value.code == code and words in str(refused.value.message)
    client = signed_in(customer)
    response = client.post("/support/callback/", booking(slot), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Ticket.objects.exists() and not Callback.objects.exists() and mailoutbox == []


def test_the_refusal_is_translated(signed_in, customer, phone_line, frozen):
    client = signed_in(customer)  # a zh-hans account
    response = client.post("/support/callback/", booking(at(30, 22)))
    assert response.status_code == 400 and not Callback.objects.exists()
    page = response.content.decode()
    assert "21:00" in page


def test_a_bad_number_or_a_garbled_slot_is_refused_and_nothing_stored(
    signed_in, customer, phone_line, frozen
):
    client = signed_in(customer)
    assert client.post("/support/callback/", booking(at(30, 14), phone="12")).status_code == 400
    assert client.post("/support/callback/", {**booking(at(30, 14)), "slot": "tomorrow"}).status_code == 400
    assert (
        client.post("/support/callback/", {**booking(at(30, 14)), "slot": "2026-09-30T14:00"}).status_code
        == 400
    )
    assert not Callback.objects.exists() and not Ticket.objects.exists()


# --- outcomes -------------------------------------------------------------------------------------


@pytest.fixture
def booked(customer, phone_line, frozen):
    return phone_actions.callback_request(
        requester=customer,
        language="zh-hans",
        topic="account",
        phone_number="13800138000",
        slot_start=at(30, 14),
        time_zone="Asia/Shanghai",
    )


def test_reached_finishes_the_callback_and_stops_the_reply_clock(booked, agent):
    callback = phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="reached")
    ticket = Ticket.objects.get()
    assert (
        callback.state == "reached" and ticket.reply_due_at is None and ticket.first_responded_at is not None
    )
    assert ticket.assignee == agent and ticket.status == "open"
    assert list(CallbackAttempt.objects.values_list("outcome", "agent")) == [("reached", agent.pk)]
    assert list(phone.callback_queue()) == []
    with pytest.raises(TicketError) as refused:
        phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="no_answer")
    assert refused.value.code == "callback_finished" and CallbackAttempt.objects.count() == 1


def test_no_answer_retries_once_then_emails_the_customer(booked, agent, committed, mailoutbox):
    with time_machine.travel(at(30, 14, 5), tick=False):
        callback = phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="no_answer")
    assert callback.state == "retry" and callback.due_at == at(30, 15, 5)  # one hour later
    assert mailoutbox == [] and list(phone.callback_queue()) == [callback]
    with committed(), time_machine.travel(at(30, 15, 10), tick=False):
        callback = phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="no_answer")
    assert callback.state == "failed" and list(phone.callback_queue()) == []
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [booked.ticket.requester_email]
    assert booked.ticket.number in mailoutbox[0].body
    assert CallbackAttempt.objects.filter(outcome="no_answer").count() == 2


def test_a_retry_late_in_the_day_moves_to_the_next_opening(booked, agent):
    with time_machine.travel(at(30, 20, 30), tick=False):
        callback = phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="no_answer")
    assert callback.due_at == at(8, 9, month=10)  # after the holiday


def test_the_retry_can_reach_the_customer(booked, agent, mailoutbox):
    phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="no_answer")
    callback = phone_actions.callback_outcome_record(callback=booked, actor=agent, outcome="reached")
    assert callback.state == "reached" and mailoutbox == []


def test_console_records_an_outcome(booked, agent, signed_in):
    console = signed_in(agent)
    response = console.post(
        f"/console/tickets/callbacks/{booked.pk}/", {"outcome": "no_answer", "note": "voicemail"}
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.state == "retry" and booked.attempts.get().note == "voicemail"
    assert console.post(f"/console/tickets/callbacks/{booked.pk}/", {"outcome": "maybe"}).status_code == 302
    assert booked.attempts.count() == 1


# --- permissions ----------------------------------------------------------------------------------


def test_only_staff_see_the_queue_and_record_outcomes(booked, customer, signed_in, client):
    assert client.get("/console/tickets/callbacks/").status_code in (302, 403)
    signed_in(customer)
    assert client.get("/console/tickets/callbacks/").status_code == 403
    assert client.post(f"/console/tickets/callbacks/{booked.pk}/", {"outcome": "reached"}).status_code == 403
    booked.refresh_from_db()
    assert booked.state == "requested"
    with pytest.raises(TicketError):
        phone_actions.callback_outcome_record(callback=booked, actor=customer, outcome="reached")
    assert not CallbackAttempt.objects.exists()


def test_customers_see_only_their_own_callback_question(booked, make_user, signed_in, client):
    other = make_user(email="li@example.com")
    signed_in(other)
    assert client.get(f"/support/tickets/{booked.ticket.number}/").status_code == 404


# --- calls logged by agents -----------------------------------------------------------------------


def test_an_agent_logs_a_call_on_an_existing_question(booked, agent, signed_in, customer):
    console = signed_in(agent)
    number = booked.ticket.number
    response = console.post(
        f"/console/tickets/{number}/call/",
        {"direction": "out", "duration_minutes": "7", "summary": "Explained the freeze."},
    )
    assert response.status_code == 302
    call = PhoneCall.objects.get()
    assert (call.direction, call.duration_seconds, call.agent) == ("out", 420, agent)
    assert booked.ticket.messages.filter(kind="note", body__contains="Explained the freeze.").exists()
    bad = console.post(
        f"/console/tickets/{number}/call/", {"direction": "sideways", "duration_minutes": "-1"}
    )
    assert bad.status_code == 400 and PhoneCall.objects.count() == 1
    customer_client = signed_in(customer, Client())
    assert "Explained the freeze." not in customer_client.get(f"/support/tickets/{number}/").content.decode()
    assert customer_client.get(f"/console/tickets/{number}/call/").status_code == 403


# --- the bot --------------------------------------------------------------------------------------


def test_the_bot_action_links_to_the_callback_form(customer, phone_line, frozen):
    from okpay.core import hooks

    result = hooks.bot_action("callback_request")(customer, "en")
    assert result.links[0].url == "/support/callback/" and "09:00–21:00" in result.text
    assert "400-888-0000" in result.items[0]


# --- two agents at once ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_agents_recording_at_once_make_one_move_each_step(make_user, phone_line):
    skip_unless_postgres()
    customer = make_user(email="wang@example.com")
    agents = [make_user(email=f"agent{i}@example.com", role="agent") for i in range(16)]
    slot = phone.slots()[0][0]
    callback = phone_actions.callback_request(
        requester=customer,
        language="zh-hans",
        topic="account",
        phone_number="13800138000",
        slot_start=slot,
        time_zone="Asia/Shanghai",
    )

    def record(i):
        try:
            return phone_actions.callback_outcome_record(
                callback=callback, actor=agents[i], outcome="no_answer"
            ).state
        except TicketError as error:
            return error.code

    results = in_threads(16, record)
    assert sorted(set(results)) == ["callback_finished", "failed", "retry"]
    assert results.count("retry") == 1 and results.count("failed") == 1
    callback.refresh_from_db()
    assert callback.state == "failed" and callback.attempts.count() == 2
    assert phone_actions.CallbackAttempt.objects.filter(callback=callback).count() == 2


# --- the demo -------------------------------------------------------------------------------------


def test_the_demo_has_callbacks_in_every_state_and_logged_calls(make_user, phone_line, frozen, committed):
    from okpay.tickets.phone_demo import phone_demo_load

    make_user(email="customer@example.com")
    make_user(email="customer.en@example.com", language="en", time_zone="Europe/London")
    make_user(email="agent@example.com", role="agent")
    with committed():
        assert phone_demo_load().startswith("phone: 4 callbacks")
    assert sorted(Callback.objects.values_list("state", flat=True)) == [
        "failed",
        "reached",
        "requested",
        "retry",
    ]
    assert PhoneCall.objects.count() == 2 and Ticket.objects.filter(channel="phone").count() == 1
    assert phone_demo_load() is None  # idempotent
