"""A question's life (choices.TICKET_TRANSITIONS, docs/conventions.md "State machines"): every move of
the 5 × 5 matrix, for every kind of actor, is allowed or refused exactly as written down, and a
refused move changes nothing."""

import pytest
from django.test import Client

from okpay.core.models import AuditEvent
from okpay.core.transitions import SYSTEM
from okpay.tickets import actions
from okpay.tickets.choices import TicketStatus
from okpay.tickets.errors import TicketError, TicketTransitionForbidden, TicketTransitionRefused
from okpay.tickets.models import Ticket

STATUSES = [s.value for s in TicketStatus]
STAFF = {"agent", "supervisor", "admin"}
CUSTOMER = {"customer", "visitor", "email"}  # the requester; a visitor's link; an email from the address
ACTORS = ["customer", "visitor", "email", "stranger", "agent", "supervisor", "admin", "system"]
# the graph as documented; who may make each move
ALLOWED = {
    ("new", "open"): STAFF,
    ("new", "pending"): STAFF,
    ("new", "solved"): STAFF | CUSTOMER,
    ("new", "closed"): STAFF,
    ("open", "pending"): STAFF,
    ("open", "solved"): STAFF | CUSTOMER,
    ("open", "closed"): STAFF,
    ("pending", "open"): STAFF | CUSTOMER,
    ("pending", "solved"): STAFF | CUSTOMER,
    ("pending", "closed"): STAFF,
    ("solved", "open"): STAFF | CUSTOMER,
    ("solved", "pending"): STAFF,
    ("solved", "closed"): STAFF,
    ("closed", "open"): {"supervisor", "admin"},
}


@pytest.fixture
def people(make_user):
    return {
        "customer": make_user(email="asker@example.com"),
        "stranger": make_user(email="stranger@example.com"),
        "agent": make_user(email="agent@example.com", role="agent", language="en"),
        "supervisor": make_user(email="supervisor@example.com", role="supervisor"),
        "admin": make_user(email="admin@example.com", role="admin"),
    }


def _question(requester, status: str) -> Ticket:
    ticket = actions.ticket_create(
        requester=requester,
        email="" if requester else "visitor@example.net",
        language="en",
        topic="fees",
        subject="Two fees",
        body="Why did I pay two fees for one transfer?",
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    return Ticket.objects.get(pk=ticket.pk)


def _actor_and_question(kind: str, people, status: str):
    if kind == "visitor":  # a question asked without an account, opened through its emailed link
        return None, _question(None, status)
    question = _question(people["customer"], status)
    if kind == "email":  # an email from the asking address: no account session
        return None, question
    return (SYSTEM if kind == "system" else people[kind]), question


def _snapshot(ticket: Ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.status,
        ticket.solved_at,
        ticket.reply_due_at,
        ticket.updated_at,
        list(ticket.messages.values_list("pk", flat=True)),
        AuditEvent.objects.filter(action__startswith="ticket.").count(),  # (opening a page audits a look)
    )


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("to", STATUSES)
@pytest.mark.parametrize("kind", ACTORS)
def test_every_move_for_every_actor(people, current, to, kind):
    actor, ticket = _actor_and_question(kind, people, current)
    if kind in ALLOWED.get((current, to), set()):
        moved = actions.ticket_transition(ticket=ticket, to=to, actor=actor, note="checked")
        assert Ticket.objects.get(pk=ticket.pk).status == to == moved.status
        row = AuditEvent.objects.filter(action="ticket.status_changed").latest("id")
        assert row.data == {"ticket": ticket.number, "from": current, "to": to, "note": "checked"}
        assert row.actor == (actor if kind not in ("visitor", "email", "system") else None)
        assert (moved.solved_at is not None) == (to in ("solved", "closed"))
        if to in ("solved", "closed"):
            assert moved.reply_due_at is None  # no reply is owed on a finished question
        return
    before = _snapshot(ticket)
    expected = TicketTransitionRefused if (current, to) not in ALLOWED else TicketTransitionForbidden
    with pytest.raises(expected) as refused:
        actions.ticket_transition(ticket=ticket, to=to, actor=actor, note="checked")
    assert isinstance(refused.value, TicketError)
    assert refused.value.status == (409 if expected is TicketTransitionRefused else 403)
    assert _snapshot(ticket) == before  # status, clocks, thread and audit log unchanged


def test_the_table_is_the_documented_graph():
    from okpay.tickets.choices import TICKET_TRANSITIONS

    assert {(a, b) for a, moves in TICKET_TRANSITIONS.items() for b in moves} == set(ALLOWED)
    assert all(to != "new" for _current, to in ALLOWED)  # nothing goes back to new


def test_closing_keeps_when_the_question_was_solved(people):
    ticket = _question(people["customer"], "open")
    solved = actions.ticket_transition(ticket=ticket, to="solved", actor=people["agent"])
    closed = actions.ticket_transition(ticket=solved, to="closed", actor=people["agent"])
    assert closed.solved_at == solved.solved_at
    reopened = actions.ticket_transition(ticket=closed, to="open", actor=people["supervisor"])
    assert reopened.solved_at is None


def test_a_refused_move_refuses_the_whole_reply(people, mailoutbox):
    ticket = _question(people["customer"], "closed")
    before = _snapshot(ticket)
    with pytest.raises(TicketTransitionForbidden):
        actions.ticket_agent_reply(
            ticket=ticket, actor=people["agent"], body="Reopening this.", status="open"
        )
    with pytest.raises(TicketTransitionRefused):
        actions.ticket_agent_reply(ticket=ticket, actor=people["agent"], body="Back to new?", status="new")
    assert _snapshot(ticket) == before and mailoutbox == []


def test_a_public_reply_waits_for_the_customer_unless_the_question_is_closed(people, committed, mailoutbox):
    open_question = _question(people["customer"], "open")
    closed = _question(people["customer"], "closed")
    with committed():
        actions.ticket_agent_reply(
            ticket=open_question, actor=people["agent"], body="Please send the receipt."
        )
        actions.ticket_agent_reply(ticket=closed, actor=people["agent"], body="One last note for you.")
    assert Ticket.objects.get(pk=open_question.pk).status == "pending"
    assert Ticket.objects.get(pk=closed.pk).status == "closed"  # the answer is sent; closed stays closed
    assert len([m for m in mailoutbox if m.to == [people["customer"].email]]) >= 2


def test_customer_side_moves(people):
    ticket = _question(people["customer"], "pending")
    actions.ticket_customer_reply(ticket=ticket, actor=people["customer"], body="Here is the receipt.")
    assert Ticket.objects.get(pk=ticket.pk).status == "open"  # back with the team
    actions.ticket_customer_solve(ticket=ticket, actor=people["customer"])
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    actions.ticket_customer_solve(ticket=ticket, actor=people["customer"])  # already solved: no change
    assert AuditEvent.objects.filter(action="ticket.customer_solved").count() == 1
    actions.ticket_customer_reply(ticket=ticket, actor=None, body="Sorry, one more question by email.")
    assert Ticket.objects.get(pk=ticket.pk).status == "open"  # an email from the address reopens it
    new = _question(people["customer"], "new")
    actions.ticket_customer_reply(ticket=new, actor=people["customer"], body="Adding a detail here.")
    assert Ticket.objects.get(pk=new.pk).status == "new"  # still waiting for its first look


def test_assigning_opens_a_new_question_only(people):
    new = _question(people["customer"], "new")
    pending = _question(people["customer"], "pending")
    assert actions.ticket_assign(ticket=new, actor=people["agent"], assignee=people["agent"]).status == "open"
    assert actions.ticket_assign(ticket=pending, actor=people["agent"], assignee=None).status == "pending"


def test_the_console_offers_and_accepts_only_the_allowed_moves(signed_in, people, client):
    closed = _question(people["customer"], "closed")
    agent = signed_in(people["agent"], Client())
    status_select = _status_select(agent, closed)
    assert 'value="closed"' in status_select and 'value="open"' not in status_select
    before = _snapshot(closed)
    refused = agent.post(f"/console/tickets/{closed.number}/status/", {"status": "open"}, follow=True)
    assert _snapshot(closed) == before  # an agent cannot reopen a closed question
    assert "You may not move this question from “Closed” to “Open”." in refused.content.decode()
    assert agent.post(f"/console/tickets/{closed.number}/status/", {"status": "new"}).status_code == 302
    assert _snapshot(closed) == before
    reply = agent.post(f"/console/tickets/{closed.number}/reply/", {"body": "Reopen it", "status": "open"})
    assert reply.status_code == 400 and _snapshot(closed) == before
    supervisor = signed_in(people["supervisor"], Client())
    supervisor.post(f"/console/tickets/{closed.number}/status/", {"status": "open"})
    assert Ticket.objects.get(pk=closed.pk).status == "open"  # a supervisor reopens a mistaken close
    fresh = _question(people["customer"], "open")
    status_select = _status_select(agent, fresh)
    assert 'value="new"' not in status_select and 'value="solved"' in status_select


def _status_select(client, ticket) -> str:
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    return page.split(f'action="/console/tickets/{ticket.number}/status/"')[1].split("</select>")[0]
