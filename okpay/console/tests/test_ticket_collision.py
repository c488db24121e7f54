"""The collision notice on a console question page (issue 15): presence (who else is viewing or typing,
staff only, kept in the cache for a short time) and the stale-reply guard (a reply written on a page that
is out of date is not sent; the page comes back with what changed, the draft kept, and "Send anyway")."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from okpay.tickets import actions, presence
from okpay.tickets.merge import ticket_merge
from okpay.tickets.models import Ticket, TicketMessage


@pytest.fixture
def question(customer):
    return actions.ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="withdrawal",
        subject="提现没到账",
        body="我周一提现 500 元，还没到。",
    )


@pytest.fixture
def agents(make_user):
    return (
        make_user(email="zhang@example.com", role="agent", full_name="张三", language="en"),
        make_user(email="li@example.com", role="agent", full_name="李四", language="en"),
    )


def _client(signed_in, user) -> Client:
    return signed_in(user, Client())


def _markers(page: str) -> dict:
    """The reply form's record of what the page showed."""
    found = {
        name: re.search(rf'name="{name}" value="([^"]*)"', page) for name in ("seen_message", "seen_status")
    }
    return {name: match.group(1) for name, match in found.items() if match is not None}


def _report(client, ticket, **data):
    return client.post(f"/console/tickets/{ticket.number}/presence/", data)


# --- presence -------------------------------------------------------------------------------------


def test_two_agents_see_each_other_and_who_is_typing(signed_in, agents, question):
    zhang, li = (_client(signed_in, a) for a in agents)
    first = _report(zhang, question).json()
    assert first == {"viewers": [], "stale": False, "stale_text": ""}  # alone
    answer = _report(li, question, typing="1").json()
    assert answer["viewers"] == [{"name": "张三", "typing": False, "text": "张三 is also viewing"}]
    answer = _report(zhang, question).json()
    assert answer["viewers"] == [{"name": "李四", "typing": True, "text": "李四 is typing a reply…"}]
    _report(li, question, typing="0")
    assert _report(zhang, question).json()["viewers"][0]["text"] == "李四 is also viewing"


def test_a_closed_page_leaves_and_an_old_entry_expires(signed_in, agents, question):
    zhang, li = (_client(signed_in, a) for a in agents)
    _report(zhang, question)
    _report(li, question)
    _report(li, question, leave="1")
    assert _report(zhang, question).json()["viewers"] == []
    _report(li, question)
    cache.delete(presence._viewer_key(question.pk, agents[1].pk))  # what PRESENCE_SECONDS does
    assert _report(zhang, question).json()["viewers"] == []
    assert agents[1].pk not in cache.get(presence._index_key(question.pk))
    assert presence.PRESENCE_SECONDS <= 20  # a few missed 5-second reports and it is gone


def test_presence_is_per_question(signed_in, agents, question, customer):
    other = actions.ticket_create(
        requester=customer, email="", language="zh-hans", topic="other", subject="另一个问题", body="别的事情"
    )
    zhang, li = (_client(signed_in, a) for a in agents)
    _report(li, other)
    assert _report(zhang, question).json()["viewers"] == []


def test_the_poll_says_when_the_page_is_out_of_date(signed_in, agents, question, customer):
    zhang = _client(signed_in, agents[0])
    marks = _markers(zhang.get(f"/console/tickets/{question.number}/").content.decode())
    assert _report(zhang, question, **marks).json()["stale"] is False
    actions.ticket_customer_reply(ticket=question, actor=customer, body="还有一个问题")
    answer = _report(zhang, question, **marks).json()
    assert answer["stale"] is True
    assert answer["stale_text"].startswith("1 new message arrived since you opened this question.")


@pytest.mark.parametrize("method", ["get", "post"])
def test_presence_is_for_staff_only(client, signed_in, customer, question, method):
    url = f"/console/tickets/{question.number}/presence/"
    assert getattr(Client(), method)(url).status_code in (302, 405)  # signed out: to the sign-in page
    signed_in(customer)
    assert getattr(client, method)(url, {"typing": "1"}).status_code in (403, 405)
    assert cache.get(presence._index_key(question.pk)) is None  # nothing recorded


def test_presence_answers_get_with_405_an_unknown_question_with_404_and_odd_input_without_5xx(
    signed_in, agents, question
):
    zhang = _client(signed_in, agents[0])
    assert zhang.get(f"/console/tickets/{question.number}/presence/").status_code == 405
    assert zhang.post("/console/tickets/Q-2222222/presence/").status_code == 404
    for marks in (
        {"seen_message": "9" * 40, "seen_status": "x" * 500},
        {"seen_message": "-1", "seen_status": "closed"},
        {"seen_message": "１２", "typing": "maybe"},
    ):
        assert _report(zhang, question, **marks).status_code == 200


# --- the stale-reply guard -------------------------------------------------------------------------


def _reply(client, ticket, marks, body="您好，我们已经在查了。", **extra):
    return client.post(
        f"/console/tickets/{ticket.number}/reply/checked/", {"body": body, "status": "", **marks, **extra}
    )


def test_a_reply_on_an_out_of_date_page_is_not_sent_until_confirmed(
    signed_in, agents, question, committed, mailoutbox
):
    zhang, li = (_client(signed_in, a) for a in agents)
    url = f"/console/tickets/{question.number}/"
    marks_zhang = _markers(zhang.get(url).content.decode())
    marks_li = _markers(li.get(url).content.decode())
    with committed():
        assert _reply(li, question, marks_li, body="李四的回复").status_code == 302  # the page was current
    mailoutbox.clear()
    before = TicketMessage.objects.count()

    response = _reply(zhang, question, marks_zhang, body="张三的草稿")
    page = response.content.decode()
    assert response.status_code == 409
    assert TicketMessage.objects.count() == before and mailoutbox == []  # nothing written or sent
    assert "Your reply was not sent." in page and "1 new message arrived" in page
    assert "李四的回复" in page  # the new message is on the page
    assert "张三的草稿</textarea>" in page  # the draft is kept
    assert 'name="send_anyway"' in page
    assert "The status changed from" in page  # 李四's reply left it waiting for the customer

    with committed():
        response = _reply(zhang, question, marks_zhang, body="张三的草稿", send_anyway="1")
    assert response.status_code == 302
    assert TicketMessage.objects.filter(body="张三的草稿", author=agents[0]).count() == 1
    assert len(mailoutbox) == 1


def test_the_re_shown_page_carries_the_new_markers(signed_in, agents, question, customer):
    zhang = _client(signed_in, agents[0])
    marks = _markers(zhang.get(f"/console/tickets/{question.number}/").content.decode())
    actions.ticket_customer_reply(ticket=question, actor=customer, body="补充")
    page = _reply(zhang, question, marks).content.decode()
    fresh = _markers(page)
    assert int(fresh["seen_message"]) > int(marks["seen_message"])
    assert _reply(zhang, question, fresh).status_code == 302  # now read: sent as usual


def test_a_status_change_by_someone_else_also_warns(signed_in, agents, question):
    zhang = _client(signed_in, agents[0])
    marks = _markers(zhang.get(f"/console/tickets/{question.number}/").content.decode())
    actions.ticket_status_set(ticket=question, actor=agents[1], status="solved")
    response = _reply(zhang, question, marks)
    assert response.status_code == 409 and "The status changed from" in response.content.decode()
    assert not TicketMessage.objects.filter(author=agents[0]).exists()


def test_the_agents_own_note_does_not_make_the_page_out_of_date(signed_in, agents, question):
    zhang = _client(signed_in, agents[0])
    marks = _markers(zhang.get(f"/console/tickets/{question.number}/").content.decode())
    actions.ticket_agent_reply(ticket=question, actor=agents[0], body="我自己的备注", internal=True)
    assert _reply(zhang, question, marks).status_code == 302


@pytest.mark.parametrize(
    "marks",
    [{}, {"seen_message": "abc", "seen_status": ""}, {"seen_message": "9" * 30, "seen_status": "\u202e"}],
)
def test_a_reply_without_usable_markers_is_sent_as_before(signed_in, agents, question, marks):
    zhang = _client(signed_in, agents[0])
    assert _reply(zhang, question, marks).status_code == 302
    assert TicketMessage.objects.filter(author=agents[0]).count() == 1


def test_a_reply_to_a_question_merged_meanwhile_comes_back_on_the_merged_one(
    signed_in, agents, question, customer
):
    zhang = _client(signed_in, agents[0])
    marks = _markers(zhang.get(f"/console/tickets/{question.number}/").content.decode())
    target = actions.ticket_create(
        requester=customer, email="", language="zh-hans", topic="other", subject="留下的", body="另一条"
    )
    ticket_merge(source=question, target=target, actor=agents[1])
    response = _reply(zhang, question, marks, body="写给旧问题的回复")
    page = response.content.decode()
    assert response.status_code == 409
    assert f"was merged into {target.number} while you were writing" in page
    assert "写给旧问题的回复</textarea>" in page
    assert f'action="/console/tickets/{target.number}/reply/checked/"' in page
    assert not TicketMessage.objects.filter(body="写给旧问题的回复").exists()
    assert Ticket.objects.get(pk=question.pk).status == "closed"


def test_the_checked_reply_is_for_staff_only(client, signed_in, customer, question):
    signed_in(customer)
    response = client.post(f"/console/tickets/{question.number}/reply/checked/", {"body": "我是客户"})
    assert response.status_code == 403
    assert not TicketMessage.objects.filter(body="我是客户").exists()
