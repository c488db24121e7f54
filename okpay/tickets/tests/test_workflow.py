"""Issue 15 item 4: tags, support groups, round-robin auto-assignment that respects availability, bulk
changes from the queue (okpay.tickets.workflow, okpay.console.views_tickets_workflow)."""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from okpay.chat.models import AgentPresence
from okpay.core import hooks
from okpay.core.audit import AuditEvent
from okpay.core.errors import DomainError, PermissionDenied
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.tickets import actions, selectors, workflow
from okpay.tickets.choices import SupportGroup, TicketStatus
from okpay.tickets.models import AssignmentTurn, Tag, Ticket

pytestmark = pytest.mark.django_db


def ask(topic="other", language="zh-hans", n=1, **extra):
    made = [
        actions.ticket_create(
            email="visitor@example.com",
            language=language,
            topic=topic,
            subject=f"问题 {i}",
            body="我的钱没到账",
            **extra,
        )
        for i in range(n)
    ]
    return made[0] if n == 1 else made


def online(user, *, languages=("zh-hans",), groups=(), availability="online"):
    return AgentPresence.objects.create(
        user=user, availability=availability, languages=list(languages), groups=list(groups)
    )


@pytest.fixture
def agents(make_user):
    return [make_user(email=f"rr{i}@example.com", role="agent") for i in range(1, 5)]


# --- tags ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("VIP", "vip"),
        ("  Refund  Delay ", "refund-delay"),
        ("ＲＥＦＵＮＤ２", "refund2"),  # full-width letters and digits (NFKC)
        ("退款", "退款"),
        ("银行卡-uk", "银行卡-uk"),
        ("a" * 40, "a" * 40),
    ],
)
def test_tag_names_are_normalised(typed, stored):
    assert workflow.tag_name_clean(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "a" * 41, "vip!", "-vip", "vip-", "a--b", "a_b", "<script>", "x\x00y", "💳", "a" * 5000],
)
def test_bad_tag_names_are_refused_with_a_message(typed):
    with translation.override("en"), pytest.raises(workflow.TagInvalid) as raised:
        workflow.tag_name_clean(typed)
    assert raised.value.status == 422
    assert raised.value.message.startswith(("Enter a tag", "A tag has at most 40", "“"))


def test_a_bad_tag_message_is_translated():
    with translation.override("zh-hans"), pytest.raises(workflow.TagInvalid) as raised:
        workflow.tag_name_clean("vip!")
    assert "vip!" in raised.value.message
    with translation.override("en"):
        english = workflow.TagInvalid("x", raised.value._message, **raised.value.params).message
    assert english.startswith("“vip!” is not a valid tag")


def test_tags_are_added_once_removed_and_audited(agent):
    ticket = ask()
    assert workflow.ticket_tags_add(ticket=ticket, actor=agent, names=["VIP", "退款", "vip"]) == [
        "vip",
        "退款",
    ]
    assert workflow.ticket_tags_add(ticket=ticket, actor=agent, names=["vip"]) == []
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "退款"]
    assert workflow.ticket_tag_remove(ticket=ticket, actor=agent, name="VIP") is True
    assert workflow.ticket_tag_remove(ticket=ticket, actor=agent, name="vip") is False
    assert list(ticket.tags.values_list("name", flat=True)) == ["退款"]
    assert Tag.objects.filter(name="vip").exists()  # the tag stays for other questions
    rows = AuditEvent.objects.filter(action="ticket.tags_changed").order_by("id")
    assert [(r.data["added"], r.data["removed"]) for r in rows] == [(["vip", "退款"], []), ([], ["vip"])]


def test_a_bad_tag_in_a_list_adds_none_of_them(agent):
    ticket = ask()
    with pytest.raises(workflow.TagInvalid):
        workflow.ticket_tags_add(ticket=ticket, actor=agent, names=["ok", "not ok!"])
    assert ticket.tags.count() == 0
    assert not Tag.objects.exists()


def test_a_question_has_at_most_20_tags(agent):
    ticket = ask()
    workflow.ticket_tags_add(ticket=ticket, actor=agent, names=[f"t{i}" for i in range(20)])
    with pytest.raises(workflow.TagInvalid) as raised:
        workflow.ticket_tags_add(ticket=ticket, actor=agent, names=["one-more"])
    assert raised.value.code == "too_many_tags"
    assert ticket.tags.count() == 20


def test_customers_cannot_tag(customer):
    ticket = ask()
    with pytest.raises(PermissionDenied):
        workflow.ticket_tags_add(ticket=ticket, actor=customer, names=["vip"])
    assert ticket.tags.count() == 0


def test_tag_lists_split_on_commas_of_both_widths():
    assert workflow.tag_names_parse("vip，退款; VIP , late-payout") == ["vip", "退款", "late-payout"]
    with pytest.raises(workflow.TagInvalid):
        workflow.tag_names_parse(" , ，")


# --- groups -------------------------------------------------------------------------------------------


def test_a_question_waits_for_the_group_of_its_topic():
    assert ask(topic="account").group == SupportGroup.SECURITY
    assert ask(topic="withdrawal").group == SupportGroup.PAYMENTS
    assert ask(topic="other").group == SupportGroup.GENERAL


def test_moving_to_another_group_hands_it_over(agent, agents):
    ticket = ask(topic="other")
    actions.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    online(agents[1], groups=["security"])
    ticket = workflow.ticket_group_set(ticket=ticket, actor=agent, group="security")
    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee) == ("security", agents[1])  # the new team's round robin
    event = AuditEvent.objects.get(action="ticket.group_changed")
    assert event.data == {
        "ticket": ticket.number,
        "from": "general",
        "to": "security",
        "previous_assignee": agent.email,
    }


def test_an_unknown_group_is_refused_and_nothing_changes(agent):
    ticket = ask()
    with pytest.raises(DomainError) as raised:
        workflow.ticket_group_set(ticket=ticket, actor=agent, group="sales")
    assert raised.value.status == 422
    ticket.refresh_from_db()
    assert ticket.group == "general"


# --- round-robin auto-assignment ----------------------------------------------------------------------


def test_new_questions_go_round_robin_to_the_online_agents_of_their_group(agents):
    a, b, c, d = agents
    online(a)
    online(b, groups=["general", "payments"])
    online(c, groups=["security"])  # not this group
    online(d, availability="away")
    tickets = ask(n=6)
    assert [t.assignee for t in tickets] == [a, b, a, b, a, b]
    assert all(Ticket.objects.get(pk=t.pk).status == TicketStatus.NEW for t in tickets)  # not looked at yet
    event = AuditEvent.objects.filter(action="ticket.auto_assigned").first()
    assert event.data["group"] == "general" and event.actor is None


def test_the_agent_who_waited_longest_comes_first(agents):
    a, b, _c, _d = agents
    online(a)
    online(b)
    first = ask()
    assert first.assignee == a
    AgentPresence.objects.filter(user=a).update(availability="offline")
    assert ask().assignee == b
    assert ask().assignee == b  # a is offline: b again
    AgentPresence.objects.filter(user=a).update(availability="online")
    assert ask().assignee == a  # a's last one is older than b's


def test_the_question_language_must_be_one_the_agent_speaks(agents):
    a, b, _c, _d = agents
    online(a, languages=["zh-hans"])
    online(b, languages=["en", "zh-hans"])
    assert [t.assignee for t in ask(language="en", n=2)] == [b, b]
    assert ask(language="zh-hans").assignee == a


def test_nobody_available_leaves_it_in_the_shared_queue(agents):
    online(agents[0], availability="offline")
    online(agents[1], languages=["en"])
    ticket = ask(language="zh-hans")
    assert ticket.assignee is None
    assert not AuditEvent.objects.filter(action="ticket.auto_assigned").exists()


def test_an_agent_at_capacity_is_skipped(agents, settings):
    settings.OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN = 2
    a, b, _c, _d = agents
    online(a)
    online(b)
    assert [t.assignee for t in ask(n=4)] == [a, b, a, b]
    assert ask().assignee is None  # both have 2 open questions
    solved = Ticket.objects.filter(assignee=a).first()
    actions.ticket_status_set(ticket=solved, actor=a, status="solved")
    assert ask().assignee == a


def test_auto_assignment_can_be_switched_off(agents, settings):
    settings.OKPAY_TICKET_AUTO_ASSIGN = False
    online(agents[0])
    assert ask().assignee is None


def test_a_customer_or_inactive_account_is_never_auto_assigned(make_user, agents):
    shopper = make_user(email="shop@example.com")
    online(shopper)
    gone = agents[0]
    gone.is_active = False
    gone.save()
    online(gone)
    assert ask().assignee is None


def test_without_an_availability_provider_nobody_is_assigned(agents, monkeypatch):
    online(agents[0])
    monkeypatch.setitem(hooks._registry, hooks.AGENT_AVAILABILITY, [])
    assert hooks.available_agents(group="general") is None
    assert ask().assignee is None


def test_every_channel_is_auto_assigned(agents):
    online(agents[0])
    for channel in ("web", "email", "phone", "bot", "chat", "callback"):
        assert ask(channel=channel).assignee == agents[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_questions_at_once_are_spread_evenly_over_4_agents(agents):
    skip_unless_postgres()
    for agent in agents:
        online(agent)
    tickets = in_threads(16, lambda i: ask())
    counts = Counter(Ticket.objects.get(pk=t.pk).assignee_id for t in tickets)
    assert sorted(counts.values()) == [4, 4, 4, 4]
    assert set(counts) == {a.pk for a in agents}
    assert AssignmentTurn.objects.count() == 4
    assert AuditEvent.objects.filter(action="ticket.auto_assigned").count() == 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_questions_at_once_respect_capacity(agents, settings):
    skip_unless_postgres()
    settings.OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN = 3
    for agent in agents:
        online(agent)
    in_threads(16, lambda i: ask())
    counts = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    assert counts[None] == 4
    assert sorted(v for k, v in counts.items() if k) == [3, 3, 3, 3]


# --- bulk changes ---------------------------------------------------------------------------------------


def test_bulk_status_reports_each_refusal_and_changes_the_rest(agent):
    tickets = ask(n=4)
    closed = tickets[3]
    actions.ticket_status_set(ticket=closed, actor=agent, status="closed")
    with translation.override("en"):
        result = workflow.tickets_bulk_change(
            actor=agent, numbers=[t.number for t in tickets], action="status", value="open"
        )
    assert result.changed == [t.number for t in tickets[:3]]
    assert result.refused == [(closed.number, "You may not move this question from “Closed” to “Open”.")]
    closed.refresh_from_db()
    assert closed.status == "closed"
    assert Ticket.objects.filter(status="open").count() == 3


def test_bulk_assign_tag_and_group(agent, agents):
    tickets = ask(n=3)
    numbers = [t.number for t in tickets]
    result = workflow.tickets_bulk_change(actor=agent, numbers=numbers, action="assign", value=agents[2])
    assert result.changed == numbers
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {agents[2].pk}
    again = workflow.tickets_bulk_change(actor=agent, numbers=numbers, action="assign", value=agents[2])
    assert (again.changed, again.unchanged) == ([], numbers)
    workflow.tickets_bulk_change(actor=agent, numbers=numbers, action="tag", value=["vip", "退款"])
    assert all(sorted(t.tags.values_list("name", flat=True)) == ["vip", "退款"] for t in tickets)
    workflow.tickets_bulk_change(actor=agent, numbers=numbers, action="group", value="payments")
    assert set(Ticket.objects.values_list("group", flat=True)) == {"payments"}
    workflow.tickets_bulk_change(actor=agent, numbers=numbers, action="assign", value=None)
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {None}


def test_bulk_is_for_staff_and_at_most_100(agent, customer):
    ticket = ask()
    with pytest.raises(PermissionDenied):
        workflow.tickets_bulk_change(actor=customer, numbers=[ticket.number], action="status", value="open")
    with pytest.raises(DomainError) as raised:
        workflow.tickets_bulk_change(
            actor=agent, numbers=[f"Q-{i:07d}" for i in range(101)], action="status", value="open"
        )
    assert raised.value.code == "too_many"
    ticket.refresh_from_db()
    assert ticket.status == "new"


@pytest.mark.parametrize(
    ("action", "raw"),
    [
        ("assign", "99999"),
        ("assign", "x" * 50),
        ("status", "reopened"),
        ("tag", "bad tag!"),
        ("group", "x"),
        ("delete", ""),
    ],
)
def test_bad_bulk_values_are_refused(agent, action, raw):
    with pytest.raises(DomainError) as raised:
        workflow.bulk_value(action=action, actor=agent, raw=raw)
    assert raised.value.status == 422


def test_a_customer_cannot_be_a_bulk_assignee(agent, customer):
    with pytest.raises(DomainError):
        workflow.bulk_value(action="assign", actor=agent, raw=str(customer.pk))


# --- the queue: per group and per tag -----------------------------------------------------------------


def test_queue_filters_by_group_and_tag(agent):
    general, payments, security = ask(topic="other"), ask(topic="fees"), ask(topic="account")
    workflow.ticket_tags_add(ticket=payments, actor=agent, names=["vip"])
    workflow.ticket_tags_add(ticket=security, actor=agent, names=["vip"])

    def numbers(**params):
        filters = selectors.QueueFilters.parse(params)
        return {t.number for t in selectors.queue_page(filters, user=agent).rows}

    assert numbers(group="payments") == {payments.number}
    assert numbers(tag="VIP") == {payments.number, security.number}
    assert numbers(tag="vip", group="security") == {security.number}
    assert numbers(tag="nope") == set()
    assert numbers(group="bogus") == {general.number, payments.number, security.number}  # ignored
    assert numbers(tag="bad tag!") == {general.number, payments.number, security.number}


def test_queue_rows_bring_their_tags_in_one_query(agent):
    for ticket in ask(n=5):
        workflow.ticket_tags_add(ticket=ticket, actor=agent, names=["vip", "late"])
    filters = selectors.QueueFilters.parse({})
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.queue_page(filters, user=agent).rows
        tags = [[tag.name for tag in row.tags.all()] for row in rows]
    assert tags == [["late", "vip"]] * 5
    assert len(queries) == 2
