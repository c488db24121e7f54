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
    with translation.override("en"):
        with pytest.raises(workflow.TagInvalid) as raised:
            workflow.tag_name_clean(typed)
        assert raised.value.status == 422
        assert str(raised.value.message).startswith(("Enter a tag", "A tag has at most 40", "“"))


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


# --- the console: bulk bar, tags and group on a question's page -------------------------------------------


@pytest.fixture
def agent_en(make_user):
    return make_user(email="agent-en@example.com", role="agent", language="en")


def test_bulk_form_changes_the_ticked_questions_and_reports_refusals(agent_en, signed_in):
    client = signed_in(agent_en)
    tickets = ask(n=4)
    actions.ticket_status_set(ticket=tickets[3], actor=agent_en, status="closed")
    response = client.post(
        "/console/tickets/bulk/",
        {
            "number": [t.number for t in tickets[1:]],
            "page_number": [t.number for t in tickets],
            "action": "status",
            "status": "open",
            "next": "/console/tickets/?view=all",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/console/tickets/?view=all"
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "2 changed · 0 unchanged · 1 refused",
        f"{tickets[3].number}: You may not move this question from “Closed” to “Open”.",
    ]
    assert [Ticket.objects.get(pk=t.pk).status for t in tickets] == ["new", "open", "open", "closed"]


def test_bulk_select_all_on_the_page_works_without_javascript(agent_en, signed_in):
    client = signed_in(agent_en)
    tickets = ask(n=3)
    client.post(
        "/console/tickets/bulk/",
        {"all": "1", "page_number": [t.number for t in tickets], "action": "assign", "assignee": "me"},
    )
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {agent_en.pk}
    client.post(
        "/console/tickets/bulk/",
        {"all": "1", "page_number": [t.number for t in tickets], "action": "tag", "tags": "VIP, 退款"},
    )
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["vip", "退款"]
    assert all(t.tags.count() == 2 for t in tickets)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "status", "status": "open"}, "Select at least one question."),
        ({"action": "status", "status": "\x00"}, None),  # the input guard: 400
        ({"action": "status", "status": "gone"}, "Choose a valid status."),
        ({"action": "explode"}, "Choose what to do with the selected questions."),
        ({"action": "tag", "tags": "no good!"}, "“no-good!” is not a valid tag"),
        (
            {"action": "assign", "assignee": "12345678901234567890"},
            "Choose a member of staff to assign it to.",
        ),
    ],
)
def test_bad_bulk_requests_change_nothing(agent_en, signed_in, data, message):
    client = signed_in(agent_en)
    ticket = ask()
    numbers = [] if message == "Select at least one question." else [ticket.number]
    response = client.post("/console/tickets/bulk/", {"number": numbers, **data}, follow=True)
    assert response.status_code < 500
    if message:
        assert message in next(str(m) for m in response.context["messages"])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.tags.count()) == ("new", None, 0)


def test_bulk_refuses_more_than_100(agent_en, signed_in):
    client = signed_in(agent_en)
    ticket = ask()
    numbers = [ticket.number] + [f"Q-X{i:06d}" for i in range(100)]
    response = client.post(
        "/console/tickets/bulk/", {"number": numbers, "action": "status", "status": "open"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Select at most 100 questions at a time."]
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_bulk_needs_staff_and_csrf(customer, agent_en, signed_in, client):
    ticket = ask()
    signed_in(customer)
    response = client.post(
        "/console/tickets/bulk/", {"number": [ticket.number], "action": "status", "status": "open"}
    )
    assert response.status_code in (302, 403)
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent_en)
    assert strict.get("/console/tickets/").status_code == 200
    response = strict.post(
        "/console/tickets/bulk/", {"number": [ticket.number], "action": "status", "status": "open"}
    )
    assert response.status_code == 403
    assert strict.get("/console/tickets/bulk/").status_code == 405
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_queue_page_shows_the_bulk_bar_chips_and_group_filter(agent_en, signed_in):
    client = signed_in(agent_en)
    payments = ask(topic="fees")
    ask(topic="other")
    workflow.ticket_tags_add(ticket=payments, actor=agent_en, names=["vip"])
    html = client.get("/console/tickets/?group=payments").content.decode()
    assert 'name="action" value="status"' in html and "data-bulk-all" in html
    assert f'value="{payments.number}" data-bulk-row' in html
    assert html.count("data-bulk-row") == 1
    assert '<a class="tag-chip" href="?tag=vip">vip</a>' in html
    tagged = client.get("/console/tickets/?tag=VIP").content.decode()
    assert tagged.count("data-bulk-row") == 1 and "Show every tag" in tagged


def test_tags_and_group_on_a_question_page(agent_en, signed_in):
    client = signed_in(agent_en)
    ticket = ask()
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "Tags and group" in page and f"/console/tickets/{ticket.number}/tags/" in page
    response = client.post(f"/console/tickets/{ticket.number}/tags/", {"tags": "Ｖｉｐ，退款"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Tags added."]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "退款"]
    response = client.post(f"/console/tickets/{ticket.number}/tags/", {"tags": "a" * 41}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["A tag has at most 40 characters."]
    response = client.post(f"/console/tickets/{ticket.number}/tags/remove/", {"tag": "vip"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Tag removed."]
    assert list(ticket.tags.values_list("name", flat=True)) == ["退款"]
    response = client.post(f"/console/tickets/{ticket.number}/group/", {"group": "nope"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Choose a valid group."]
    client.post(f"/console/tickets/{ticket.number}/group/", {"group": "security"})
    ticket.refresh_from_db()
    assert ticket.group == "security"


# --- the agents' API ---------------------------------------------------------------------------------------


def test_api_shows_and_sets_tags_and_group(agent_en, signed_in):
    client = signed_in(agent_en)
    ticket = ask()
    url = f"/api/v1/staff/tickets/{ticket.number}"
    data = client.get(url).json()
    assert (data["group"], data["tags"]) == ("general", [])
    response = client.put(url + "/tags", {"tags": ["VIP", "退款", "vip"]}, content_type="application/json")
    assert response.status_code == 200 and response.json()["tags"] == ["vip", "退款"]
    response = client.put(url + "/tags", {"tags": ["ok", "not ok!"]}, content_type="application/json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_tag"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "退款"]
    response = client.put(url + "/group", {"group": "payments"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["group"] == "payments"
    assert client.put(url + "/group", {"group": "x"}, content_type="application/json").status_code == 422
    queue = client.get("/api/v1/staff/tickets", {"view": "all", "tag": "vip", "group": "payments"}).json()
    assert [(i["number"], i["tags"]) for i in queue["items"]] == [(ticket.number, ["vip", "退款"])]
    assert client.put(url + "/tags", {"tags": []}, content_type="application/json").json()["tags"] == []


def test_api_tags_are_for_staff_only(customer, signed_in):
    client = signed_in(customer)
    ticket = ask()
    response = client.put(
        f"/api/v1/staff/tickets/{ticket.number}/tags", {"tags": ["vip"]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert ticket.tags.count() == 0
