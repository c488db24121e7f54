"""Actions take domain values, never the request (the audit context gives IP address and user agent),
and refusals are DomainErrors: the page shows the message, the API answers code, message, status."""

import pytest
from django.test import Client
from django.utils import translation

from okpay.core.audit import AuditContext, audit_context
from okpay.core.errors import DomainError
from okpay.core.models import AuditEvent
from okpay.tickets import actions
from okpay.tickets.errors import TicketError
from okpay.tickets.models import Ticket


def _question(requester):
    return actions.ticket_create(
        requester=requester,
        email="",
        language="en",
        topic="fees",
        subject="Two fees",
        body="Why did I pay two fees for one transfer?",
    )


def test_audit_rows_get_address_and_browser_from_the_request_context(client, signed_in, customer):
    signed_in(customer)
    ticket = _question(customer)
    client.post(
        f"/support/tickets/{ticket.number}/reply/",
        {"body": "Here is the reference: OKP-1234."},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Probe/1.0",
    )
    row = AuditEvent.objects.get(action="ticket.customer_replied")
    assert (row.ip_address, row.user_agent, row.actor) == ("203.0.113.9", "Probe/1.0", customer)


def test_actions_outside_a_request_use_the_context_they_are_given(customer, agent):
    ticket = _question(customer)
    with audit_context(AuditContext(ip_address="198.51.100.7", user_agent="okpay mail intake")):
        actions.ticket_agent_reply(ticket=ticket, actor=agent, body="We are looking into it.")
    row = AuditEvent.objects.get(action="ticket.agent_replied")
    assert (row.ip_address, row.user_agent) == ("198.51.100.7", "okpay mail intake")
    assert AuditEvent.objects.get(action="ticket.created").ip_address is None  # no context: no address


def test_ticket_errors_are_domain_errors_with_a_code_and_a_status(customer):
    ticket = _question(customer)
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    with pytest.raises(TicketError) as refused:
        actions.ticket_customer_reply(ticket=ticket, actor=customer, body="One more thing, please.")
    assert isinstance(refused.value, DomainError)
    assert (refused.value.code, refused.value.status) == ("closed", 409)
    with translation.override("en"):  # the message is translated when it is read
        assert refused.value.message == "This question is closed. Please submit a new one."
    assert ticket.messages.count() == 1


def test_the_page_and_the_api_show_the_same_refusal(client, signed_in, make_user):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    user = make_user(email="api@example.com", language="en")
    ApiToken.objects.create(
        user=user, name="t", prefix="abc123abc123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    ticket = _question(user)
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    api = Client(HTTP_AUTHORIZATION="Bearer okp_abc123abc123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    response = api.post(
        f"/api/v1/tickets/{ticket.number}/messages",
        {"body": "Please look again at this."},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "closed", "message": "This question is closed. Please submit a new one."}
    }
    signed_in(user)
    page = client.post(
        f"/support/tickets/{ticket.number}/reply/", {"body": "Please look again at this."}, follow=True
    )
    assert "This question is closed. Please submit a new one." in page.content.decode()
    assert ticket.messages.count() == 1
