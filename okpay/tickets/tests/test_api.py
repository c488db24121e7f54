import pytest
from django.test import Client

from okpay.tickets.models import Ticket

pytestmark = pytest.mark.smoke


@pytest.fixture
def api(make_user, db):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    user = make_user(email="api@example.com", language="en")
    ApiToken.objects.create(
        user=user, name="t", prefix="abc123abc123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    client = Client(HTTP_AUTHORIZATION="Bearer okp_abc123abc123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    client.user = user
    return client


def test_customer_submits_reads_and_adds_to_a_question(api, make_user, mailoutbox):
    response = api.post(
        "/api/v1/tickets",
        {
            "topic": "withdrawal",
            "subject": "Withdrawal late",
            "body": "My withdrawal to my bank has not arrived after 4 days.",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert body["status"] == "new" and body["messages"][0]["kind"] == "customer"
    assert body["url"].endswith(f"/support/tickets/{number}/")
    assert [t["number"] for t in api.get("/api/v1/tickets").json()] == [number]
    reply = api.post(
        f"/api/v1/tickets/{number}/messages",
        {"body": "The reference is OKP-123456."},
        content_type="application/json",
    )
    assert reply.status_code == 201 and len(reply.json()["messages"]) == 2
    assert Ticket.objects.get(number=number).requester == api.user


def test_bad_input_and_other_peoples_questions(api, make_user):
    from okpay.tickets.actions import ticket_create

    bad = api.post(
        "/api/v1/tickets", {"topic": "nope", "subject": "", "body": "short"}, content_type="application/json"
    )
    assert bad.status_code == 422 and {"topic", "subject", "body"} <= set(bad.json()["error"]["details"])
    assert not Ticket.objects.exists()
    other = make_user(email="other@example.com")
    theirs = ticket_create(
        requester=other, email="", language="en", topic="fees", subject="Fees", body="Why this fee?"
    )
    assert api.get(f"/api/v1/tickets/{theirs.number}").status_code == 404
    assert (
        api.post(
            f"/api/v1/tickets/{theirs.number}/messages", {"body": "x" * 20}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Client().get("/api/v1/tickets").status_code == 401
