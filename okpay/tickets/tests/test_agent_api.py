"""The agents' questions API (issue 15): staff only (customers 403 on the queue, 404 on a question;
strangers 401), every write through the actions, a refused one changes nothing."""

import pytest
from django.test import Client

from okpay.tickets import actions
from okpay.tickets.models import Ticket, TicketMessage

_tokens = iter(range(100, 999))


def _api(user) -> Client:
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    prefix = f"pre{next(_tokens):09d}"
    ApiToken.objects.create(
        user=user, name="t", prefix=prefix, secret_hash=api_token_hash("s3cret"), scope="write"
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer okp_{prefix}_s3cret", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def ticket(customer, mailoutbox):
    ticket = actions.ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="other",
        subject="退款",
        body="我的退款还没到账",
    )
    return ticket


def _state(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return ticket.status, ticket.assignee_id, ticket.messages.count(), ticket.updated_at


def test_agent_lists_searches_and_reads_with_notes(agent, ticket):
    api = _api(agent)
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="secret note 内部", internal=True)
    body = api.get("/api/v1/staff/tickets?view=unassigned").json()
    assert [t["number"] for t in body["items"]] == [ticket.number] and body["next_after"] == ""
    assert [t["number"] for t in api.get("/api/v1/staff/tickets?view=all&q=退款").json()["items"]] == [
        ticket.number
    ]
    assert api.get("/api/v1/staff/tickets?view=mine").json()["items"] == []
    detail = api.get(f"/api/v1/staff/tickets/{ticket.number}").json()
    assert [m["kind"] for m in detail["messages"]] == ["customer", "note"]
    assert "solved" in detail["may_move_to"]
    assert api.get("/api/v1/staff/tickets?limit=0").status_code == 422


def test_customers_and_strangers_are_refused(customer, make_user, ticket):
    assert Client().get("/api/v1/staff/tickets").status_code == 401
    mine = _api(customer)
    refused = mine.get("/api/v1/staff/tickets")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert mine.get(f"/api/v1/staff/tickets/{ticket.number}").status_code == 404  # even their own
    before = _state(ticket)
    for method, path, payload in (
        ("post", "replies", {"body": "hi"}),
        ("post", "notes", {"body": "hi"}),
        ("put", "assignee", {"assignee": "me"}),
        ("put", "status", {"status": "closed"}),
    ):
        response = getattr(mine, method)(
            f"/api/v1/staff/tickets/{ticket.number}/{path}", payload, content_type="application/json"
        )
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert _state(ticket) == before
    # the customer's own API never shows notes
    actions.ticket_agent_reply(
        ticket=ticket, actor=make_user(email="a2@example.com", role="agent"), body="NOTE-X", internal=True
    )
    assert "NOTE-X" not in mine.get(f"/api/v1/tickets/{ticket.number}").content.decode()


def test_agent_writes_change_what_they_say(agent, supervisor, ticket, committed, mailoutbox):
    api = _api(agent)
    url = f"/api/v1/staff/tickets/{ticket.number}"
    mailoutbox.clear()
    note = api.post(f"{url}/notes", {"body": "check the bank"}, content_type="application/json")
    assert note.status_code == 201 and note.json()["messages"][-1] == {
        **note.json()["messages"][-1],
        "kind": "note",
        "body": "check the bank",
        "author": agent.email,
    }
    assert mailoutbox == []  # a note is never sent
    assigned = api.put(f"{url}/assignee", {"assignee": supervisor.email}, content_type="application/json")
    assert assigned.status_code == 200 and assigned.json()["assignee"] == supervisor.email
    assert assigned.json()["status"] == "open"  # a new question is open once assigned
    assert (
        api.put(f"{url}/assignee", {"assignee": ""}, content_type="application/json").json()["assignee"]
        is None
    )
    with committed():
        reply = api.post(f"{url}/replies", {"body": "已处理，请查收"}, content_type="application/json")
    assert reply.status_code == 201
    assert reply.json()["status"] == "pending" and reply.json()["assignee"] == agent.email
    assert len(mailoutbox) == 1 and "已处理" in mailoutbox[0].body
    status = api.put(f"{url}/status", {"status": "solved"}, content_type="application/json")
    assert status.status_code == 200 and Ticket.objects.get(pk=ticket.pk).status == "solved"


def test_refused_writes_change_nothing(agent, customer, ticket):
    api = _api(agent)
    url = f"/api/v1/staff/tickets/{ticket.number}"
    actions.ticket_status_set(ticket=ticket, actor=agent, status="closed")
    before = _state(ticket)
    reopen = api.put(f"{url}/status", {"status": "open"}, content_type="application/json")
    assert reopen.status_code == 403 and reopen.json()["error"]["code"] == "forbidden"  # supervisors only
    back = api.put(f"{url}/status", {"status": "new"}, content_type="application/json")
    assert back.status_code == 409 and back.json()["error"]["code"] == "illegal_transition"
    bad = api.put(f"{url}/status", {"status": "gone"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["message"] == "Choose a valid status."
    reply = api.post(f"{url}/replies", {"body": "x", "status": "new"}, content_type="application/json")
    assert reply.status_code == 409
    empty = api.post(f"{url}/notes", {"body": "   "}, content_type="application/json")
    assert empty.status_code == 422 and "body" in empty.json()["error"]["details"]
    to_customer = api.put(f"{url}/assignee", {"assignee": customer.email}, content_type="application/json")
    assert to_customer.status_code == 422
    assert api.get("/api/v1/staff/tickets/Q-NOPE").status_code == 404
    assert _state(ticket) == before
    assert not TicketMessage.objects.filter(ticket=ticket, body="x").exists()


def test_the_agent_api_is_in_the_openapi_document(agent):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/staff/tickets" in schema["paths"]
    assert "put" in schema["paths"]["/api/v1/staff/tickets/{number}/status"]
