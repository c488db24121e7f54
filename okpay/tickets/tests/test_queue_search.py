"""The console's queue views (issue 15): each view and filter shows exactly its questions, pages by
keyset, counts capped; staff search finds Chinese words inside sentences and English words, notes
included for staff, never for customers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from okpay.core.testing import skip_unless_postgres
from okpay.tickets import actions, search, selectors
from okpay.tickets.choices import TicketChannel, TicketStatus
from okpay.tickets.models import Ticket


def _ask(subject="Question", body="Hello", email="asker@example.com", channel=TicketChannel.WEB, **kwargs):
    return actions.ticket_create(
        email=email, language="zh-hans", topic="other", subject=subject, body=body, channel=channel, **kwargs
    )


def _numbers(filters_or_view, user, **kw) -> set[str]:
    filters = (
        filters_or_view
        if isinstance(filters_or_view, selectors.QueueFilters)
        else selectors.QueueFilters(view=filters_or_view, **kw)
    )
    return {t.number for t in selectors.queue_page(filters, user=user, limit=100).rows}


@pytest.fixture
def world(db, agent, supervisor, mailoutbox):
    """One question of each kind the views tell apart."""
    now = timezone.now()
    new = _ask("new unassigned")
    mine = _ask("mine open")
    actions.ticket_assign(ticket=mine, actor=agent, assignee=agent)
    theirs = _ask("someone else's", channel=TicketChannel.EMAIL)
    actions.ticket_assign(ticket=theirs, actor=supervisor, assignee=supervisor)
    waiting = _ask("mine pending", channel=TicketChannel.PHONE)
    actions.ticket_agent_reply(ticket=waiting, actor=agent, body="Please send a screenshot.")
    solved = _ask("mine solved")
    actions.ticket_assign(ticket=solved, actor=agent, assignee=agent)
    actions.ticket_status_set(ticket=solved, actor=agent, status=TicketStatus.SOLVED)
    breaching = _ask("reply due in 30 minutes")
    Ticket.objects.filter(pk=breaching.pk).update(reply_due_at=now + timedelta(minutes=30))
    warned = _ask("resolution warning passed")
    Ticket.objects.filter(pk=warned.pk).update(
        resolution_warn_at=now - timedelta(minutes=1), resolution_due_at=now + timedelta(hours=5)
    )
    # a paused clock (waiting for the customer) never breaches, even past due
    Ticket.objects.filter(pk=waiting.pk).update(reply_due_at=now - timedelta(hours=1))
    # the others: due far away
    Ticket.objects.filter(pk__in=[new.pk, mine.pk, theirs.pk]).update(
        reply_due_at=now + timedelta(hours=20),
        reply_warn_at=now + timedelta(hours=18),
        resolution_due_at=now + timedelta(days=3),
        resolution_warn_at=now + timedelta(days=2),
    )
    return {k: v.number for k, v in locals().items() if isinstance(v, Ticket)}


def test_each_view_shows_exactly_its_questions(world, agent):
    w = world
    assert _numbers("open", agent) == {w["new"], w["mine"], w["theirs"], w["breaching"], w["warned"]}
    assert _numbers("mine", agent) == {w["mine"], w["waiting"]}  # not the solved one
    assert _numbers("unassigned", agent) == {w["new"], w["breaching"], w["warned"]}
    assert _numbers("breaching", agent) == {w["breaching"], w["warned"]}
    assert _numbers("all", agent) == set(w.values())
    assert _numbers("all", agent, status="pending") == {w["waiting"]}
    assert _numbers("all", agent, status="solved") == {w["solved"]}
    assert _numbers("all", agent, channel="email") == {w["theirs"]}
    assert _numbers("open", agent, channel="phone") == set()  # the phone one is pending
    assert _numbers("mine", agent, channel="phone") == {w["waiting"]}


def test_pages_follow_each_other_by_keyset_and_counts_are_capped(db, agent, monkeypatch):
    tickets = [_ask(f"q{i}") for i in range(7)]
    Ticket.objects.filter(pk=tickets[3].pk).update(created_at=tickets[2].created_at)  # a tie, by id
    filters = selectors.QueueFilters(view="open")
    seen, after = [], ""
    while True:
        page = selectors.queue_page(filters, user=agent, after=after, limit=3)
        seen.extend(t.pk for t in page.rows)
        if not page.next_after:
            break
        after = page.next_after
    expected = list(Ticket.objects.order_by("created_at", "id").values_list("pk", flat=True))
    assert seen == expected  # oldest first, each once
    newest = selectors.queue_page(selectors.QueueFilters(view="all"), user=agent, limit=3)
    assert [t.pk for t in newest.rows] == expected[::-1][:3]
    # a malformed cursor is the first page, not an error
    assert selectors.queue_page(filters, user=agent, after="x_y", limit=3).rows[0].pk == expected[0]
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    assert selectors.capped_count(Ticket.objects.all()) == "4+"
    assert selectors.capped_count(Ticket.objects.filter(pk=tickets[0].pk)) == "1"


def test_console_tabs_show_counts_and_the_view(world, agent, signed_in):
    agent.language = "en"  # the agent's own language decides the page's (the labels checked below)
    agent.save(update_fields=["language"])
    console = signed_in(agent, Client(HTTP_ACCEPT_LANGUAGE="en"))
    page = console.get("/console/tickets/?view=breaching").content.decode()
    assert world["breaching"] in page and world["warned"] in page and world["new"] not in page
    assert 'aria-current="page">Breaching soon <span class="count">2</span>' in page
    page = console.get("/console/tickets/?view=all&status=pending").content.decode()
    assert world["waiting"] in page and world["new"] not in page
    assert console.get("/console/tickets/?view=nonsense&status=zzz&after=garbage").status_code == 200


def test_chinese_search_finds_a_word_inside_a_sentence_and_english_words(db, agent, mailoutbox):
    refund = _ask("到账问题", body="我的退款还没到账，已经三天了")
    english = _ask("Card blocked", body="My virtual card was declined at the checkout")
    other = _ask("提现", body="提现手续费是多少")
    q = selectors.QueueFilters

    def found(query, view="all"):
        return _numbers(q(view=view, query=query), agent)

    assert found("退款") == {refund.number}
    assert found("还没到账") == {refund.number}
    assert found("declined") == {english.number}
    assert found("CARD Declined") == {english.number}  # case and order do not matter
    assert found("手续费") == {other.number}
    assert found("退款 declined") == set()  # every word must match
    assert found(refund.number) == {refund.number}  # by number
    assert found(refund.number.lower()) == {refund.number}
    assert found("asker@example.com") == {refund.number, english.number, other.number}
    assert found("!!!") == set()
    # later messages, both sides, are found
    actions.ticket_customer_reply(ticket=english, body="我需要退款")
    actions.ticket_agent_reply(ticket=other, actor=agent, body="Withdrawal fees are listed on the fees page")
    assert found("退款") == {refund.number, english.number}
    assert found("listed") == {other.number}
    assert found("listed", view="open") == set()  # pending after the reply: the view still applies


def test_staff_search_finds_internal_notes_customers_never_see_them(
    db, agent, customer, signed_in, mailoutbox
):
    ticket = actions.ticket_create(
        requester=customer, email="", language="zh-hans", topic="other", subject="账户问题", body="请帮忙"
    )
    actions.ticket_agent_reply(
        ticket=ticket, actor=agent, body="内部备注：怀疑欺诈 fraudcheck", internal=True
    )
    assert _numbers(selectors.QueueFilters(view="all", query="fraudcheck"), agent) == {ticket.number}
    assert _numbers(selectors.QueueFilters(view="all", query="欺诈"), agent) == {ticket.number}
    client = signed_in(customer, Client())
    assert "fraudcheck" not in client.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert client.get("/console/tickets/?q=fraudcheck").status_code in (302, 403, 404)
    api = client.get(f"/api/v1/tickets/{ticket.number}").content.decode()
    assert "fraudcheck" not in api and "欺诈" not in api


def test_rebuild_gives_the_same_words_as_the_actions(db, agent, mailoutbox):
    ticket = _ask("退款问题", body="我的退款还没到账")
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="Refund sent today")
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="备注 note", internal=True)
    kept = set(Ticket.objects.get(pk=ticket.pk).search_text.split())
    search.ticket_search_rebuild(ticket)
    assert set(Ticket.objects.get(pk=ticket.pk).search_text.split()) == kept
    assert {"退款", "到账", "refund", "sent", "备注", "note"} <= kept


def test_postgres_uses_the_gin_index_and_tsquery(db, agent, mailoutbox):
    skip_unless_postgres()
    ticket = _ask("退款", body="我的退款还没到账 O'Brien")
    assert _numbers(selectors.QueueFilters(view="all", query="O'Brien"), agent) == {ticket.number}
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_search_gin'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "array_to_tsvector" in definition
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = search.matching(Ticket.objects.all(), "退款 到账").values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "ticket_search_gin" in plan


def test_tab_counts_are_kept_until_a_question_is_written(db, agent, mailoutbox, django_assert_num_queries):
    filters = selectors.QueueFilters(view="open")
    first = selectors.queue_tab_counts(filters, user=agent)
    with django_assert_num_queries(0):  # the same page again within TAB_COUNTS_SECONDS: no counting
        assert selectors.queue_tab_counts(filters, user=agent) == first
    _ask("a new one")  # a question written (save): the counts are recounted at once
    again = selectors.queue_tab_counts(filters, user=agent)
    assert int(again["views"]["open"]) == int(first["views"]["open"]) + 1
    assert int(again["views"]["unassigned"]) == int(first["views"]["unassigned"]) + 1
