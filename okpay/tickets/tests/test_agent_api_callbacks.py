"""The agents' API for the callback queue (issue 15 items 3 and 6): staff only (customers 403 on the
queue, 404 on a callback; strangers 401), outcomes through phone_actions.callback_outcome_record, a
refused one changes nothing."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from okpay.helpcenter.models import ContactChannel
from okpay.tickets import phone_actions
from okpay.tickets.models import Callback, CallbackAttempt, Ticket

CHINA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 29, 10, 0, tzinfo=CHINA)  # a Tuesday morning, phone lines open 09:00–21:00
_tokens = iter(range(100, 999))


def _api(user) -> Client:
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    prefix = f"cbk{next(_tokens):09d}"
    ApiToken.objects.create(
        user=user, name="t", prefix=prefix, secret_hash=api_token_hash("s3cret"), scope="write"
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer okp_{prefix}_s3cret", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


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


def _book(customer, hour: int) -> Callback:
    return phone_actions.callback_request(
        requester=customer,
        language="zh-hans",
        topic="account",
        phone_number="13800138000",
        slot_start=datetime(2026, 9, 29, hour, 0, tzinfo=CHINA),
        time_zone="Asia/Shanghai",
    )


@pytest.fixture
def booked(customer, phone_line, mailoutbox):
    later, sooner = _book(customer, 16), _book(customer, 11)
    return sooner, later


def _state(callback):
    callback = Callback.objects.get(pk=callback.pk)
    return callback.state, callback.due_at, callback.attempts.count(), callback.ticket.messages.count()


def test_agents_list_open_callbacks_soonest_first(agent, booked):
    sooner, later = booked
    phone_actions.callback_outcome_record(callback=later, actor=agent, outcome="reached")
    another = _book(later.ticket.requester, 14)
    body = _api(agent).get("/api/v1/staff/callbacks").json()
    assert [c["id"] for c in body["items"]] == [sooner.pk, another.pk]  # the reached one is gone
    first = body["items"][0]
    assert first["ticket"] == sooner.ticket.number and first["phone"] == "+8613800138000"
    assert first["state"] == "requested" and first["overdue"] is False and first["attempts"] == []
    assert first["due_at"].startswith("2026-09-29T03:00:00")  # 11:00 China time
    assert [c["id"] for c in _api(agent).get("/api/v1/staff/callbacks?limit=1").json()["items"]] == [
        sooner.pk
    ]
    assert _api(agent).get("/api/v1/staff/callbacks?limit=0").status_code == 422


def test_overdue_callbacks_say_so(agent, booked):
    sooner, _later = booked
    with time_machine.travel(datetime(2026, 9, 29, 12, 0, tzinfo=CHINA), tick=False):
        items = _api(agent).get("/api/v1/staff/callbacks").json()["items"]
    assert (items[0]["id"], items[0]["overdue"], items[1]["overdue"]) == (sooner.pk, True, False)


def test_no_answer_then_retry_reached(agent, booked):
    sooner, _later = booked
    api = _api(agent)
    url = f"/api/v1/staff/callbacks/{sooner.pk}/outcome"
    first = api.post(url, {"outcome": "no_answer", "note": "忙音"}, content_type="application/json")
    assert first.status_code == 200
    body = first.json()
    assert body["state"] == "retry" and [a["outcome"] for a in body["attempts"]] == ["no_answer"]
    assert body["attempts"][0]["agent"] == agent.email and body["attempts"][0]["note"] == "忙音"
    assert body["due_at"] == "2026-09-29T03:00:00Z"  # the retry: an hour after now (10:00 China time)
    second = api.post(url, {"outcome": "reached"}, content_type="application/json").json()
    assert second["state"] == "reached" and len(second["attempts"]) == 2
    ticket = Ticket.objects.get(pk=sooner.ticket_id)
    assert ticket.assignee == agent and ticket.first_responded_at is not None
    assert ticket.messages.filter(kind="note").count() == 2


def test_a_finished_callback_is_refused_and_nothing_changes(agent, booked):
    sooner, _later = booked
    phone_actions.callback_outcome_record(callback=sooner, actor=agent, outcome="reached")
    before = _state(sooner)
    response = _api(agent).post(
        f"/api/v1/staff/callbacks/{sooner.pk}/outcome",
        {"outcome": "no_answer"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "callback_finished"
    assert _state(sooner) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"outcome": "maybe"},
        {"outcome": ""},
        {"outcome": "reached", "note": "x" * 1001},
        {"note": "no outcome"},
    ],
)
def test_invalid_outcomes_are_refused_and_nothing_changes(agent, booked, payload):
    sooner, _later = booked
    before = _state(sooner)
    response = _api(agent).post(
        f"/api/v1/staff/callbacks/{sooner.pk}/outcome", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert _state(sooner) == before and not CallbackAttempt.objects.exists()


def test_customers_and_strangers_are_refused(customer, booked):
    sooner, _later = booked
    before = _state(sooner)
    assert Client().get("/api/v1/staff/callbacks").status_code == 401
    mine = _api(customer)
    refused = mine.get("/api/v1/staff/callbacks")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    url = f"/api/v1/staff/callbacks/{sooner.pk}/outcome"
    assert mine.post(url, {"outcome": "reached"}, content_type="application/json").status_code == 404
    assert Client().post(url, {"outcome": "reached"}, content_type="application/json").status_code == 401
    assert _state(sooner) == before


def test_an_unknown_callback_is_404(agent, db):
    response = _api(agent).post(
        "/api/v1/staff/callbacks/999999/outcome", {"outcome": "reached"}, content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_callback_endpoints_are_in_the_openapi_document(agent):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/staff/callbacks" in schema["paths"]
    outcome = schema["paths"]["/api/v1/staff/callbacks/{callback_id}/outcome"]["post"]
    assert set(outcome["responses"]) >= {"200", "401", "404", "409", "422"}
    assert "CallbackOutcomeIn" in str(outcome["requestBody"])
