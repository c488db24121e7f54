"""Merging duplicate questions (issue 15, tickets.merge): nothing lost, the old links lead to the question
that stays, only the same customer's questions, no mail, coherent clocks, and A→B racing B→A."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from okpay.core.audit import AuditEvent
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.tickets import actions, phone_actions
from okpay.tickets.errors import TicketError, TicketMergeForbidden, TicketMergeRefused
from okpay.tickets.merge import merge_destination, ticket_merge
from okpay.tickets.models import Callback, Tag, Ticket, TicketAttachment, TicketMessage, tag_row_defaults
from okpay.tickets.search import matching

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ask(requester=None, *, email="", subject="提现没到账", body="我周一提现 500 元，还没到。", files=()):
    return actions.ticket_create(
        requester=requester,
        email=email,
        name="访客" if requester is None else "",
        language="zh-hans",
        topic="withdrawal",
        subject=subject,
        body=body,
        files=files,
    )


def png(name="receipt.png"):
    upload = SimpleUploadedFile(name, PNG, content_type="image/png")
    upload.okpay_content_type = "image/png"
    return upload


def snapshot(*tickets):
    """What a refused merge must leave as it was."""
    rows = []
    for ticket in tickets:
        ticket.refresh_from_db()
        rows.append(
            (
                ticket.status,
                ticket.merged_into_id,
                list(ticket.messages.values_list("id", flat=True)),
                ticket.search_text,
            )
        )
    return rows


@pytest.fixture
def pair(customer, agent, settings, tmp_path):
    """Two questions of the same customer: the target answered by an agent, the source with a file, a
    logged call, a callback and a tag."""
    settings.MEDIA_ROOT = tmp_path
    target = ask(customer, subject="提现没到账", body="我周一提现 500 元，还没到。")
    actions.ticket_agent_reply(ticket=target, actor=agent, body="我们正在查询银行。")
    source = ask(customer, subject="钱呢", body="建设银行说没有收到转账", files=[png()])
    actions.ticket_agent_reply(ticket=source, actor=agent, body="内部：可能重复", internal=True)
    phone_actions.call_log(
        ticket=source, actor=agent, direction="in", duration_seconds=75, summary="客户来电催促"
    )
    now = timezone.now()
    Callback.objects.create(
        ticket=source,
        phone="+8613800138000",
        slot_start=now + timedelta(hours=1),
        slot_end=now + timedelta(hours=2),
        time_zone="Asia/Shanghai",
        due_at=now + timedelta(hours=1),
    )
    source.tags.add(Tag.objects.create(name="银行"), through_defaults=tag_row_defaults(source))
    target.refresh_from_db()
    source.refresh_from_db()
    return source, target


def test_merge_moves_everything_in_order_and_closes_the_source(pair, agent, committed, mailoutbox):
    source, target = pair
    before = list(
        TicketMessage.objects.filter(ticket__in=[source, target])
        .order_by("created_at", "id")
        .values_list("id", "kind", "author_id", "body", "created_at")
    )
    mailoutbox.clear()
    with committed():
        result = ticket_merge(source=source, target=target, actor=agent)

    assert result.pk == target.pk
    assert mailoutbox == []  # nobody is emailed
    moved = list(
        target.messages.exclude(kind="system")
        .order_by("created_at", "id")
        .values_list("id", "kind", "author_id", "body", "created_at")
    )
    # every message of both, each with its author, kind and time, in the order they were written
    assert moved == before
    assert TicketAttachment.objects.get().message.ticket_id == target.pk
    assert list(target.calls.values_list("summary", flat=True)) == ["客户来电催促"]
    assert target.callbacks.count() == 1
    assert list(target.tags.values_list("name", flat=True)) == ["银行"]

    source.refresh_from_db()
    assert source.status == "closed" and source.merged_into_id == target.pk
    assert list(source.messages.values_list("kind", "body")) == [("system", f"merged_into {target.number}")]
    note = target.messages.get(kind="system")
    assert note.body == f"merged_from {source.number}"
    with translation.override("en"):
        assert (
            note.system_text == f"Question {source.number} from the same customer was merged into this one."
        )
        assert source.messages.get().system_text == f"This question was merged into question {target.number}."
    event = AuditEvent.objects.get(action="ticket.merged")
    assert event.actor_id == agent.pk
    assert event.data == {
        "source": source.number,
        "target": target.number,
        "messages": 3,  # the question, the note, the call
        "calls": 1,
        "callbacks": 1,
        "tags": ["银行"],
    }


def test_the_target_is_found_by_the_duplicates_words_and_number(pair, agent):
    source, target = pair
    assert list(matching(Ticket.objects.all(), "建设银行")) == [source]
    ticket_merge(source=source, target=target, actor=agent)
    assert list(matching(Ticket.objects.all(), "建设银行")) == [target]
    # the duplicate's number finds the question that stays (its note names it) and the duplicate itself
    assert set(matching(Ticket.objects.all(), source.number)) == {target, source}


def test_a_later_merge_of_the_target_repoints_earlier_ones_no_chains(customer, agent):
    first, second, third = (
        ask(customer, subject="一"),
        ask(customer, subject="二"),
        ask(customer, subject="三"),
    )
    ticket_merge(source=first, target=second, actor=agent)
    ticket_merge(source=second, target=third, actor=agent)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.merged_into_id == third.pk and second.merged_into_id == third.pk
    assert merge_destination(first) == third
    assert third.messages.filter(kind="customer").count() == 3


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("self", "merge_self"),
        ("source_merged", "merge_source_merged"),
        ("target_merged", "merge_target_merged"),
        ("target_closed", "merge_closed"),
        ("source_closed", "merge_closed"),
        ("other_account", "merge_other_requester"),
        ("account_and_visitor", "merge_other_requester"),
        ("visitors_other_address", "merge_other_requester"),
    ],
)
def test_refused_merges_change_nothing(case, code, customer, agent, supervisor, make_user):
    source, target = ask(customer, subject="源"), ask(customer, subject="目标")
    if case == "self":
        target = source
    elif case == "source_merged":
        ticket_merge(source=source, target=ask(customer), actor=agent)
    elif case == "target_merged":
        ticket_merge(source=target, target=ask(customer), actor=agent)
    elif case == "target_closed":
        actions.ticket_status_set(ticket=target, actor=agent, status="closed")
    elif case == "source_closed":
        actions.ticket_status_set(ticket=source, actor=agent, status="closed")
    elif case == "other_account":
        target = ask(make_user(email="li@example.com"))
    elif case == "account_and_visitor":
        target = ask(None, email=customer.email)  # the same address typed by a visitor: not the same person
    elif case == "visitors_other_address":
        source, target = ask(None, email="a@example.net"), ask(None, email="b@example.net")
    before = snapshot(source, target)
    merges = AuditEvent.objects.filter(action="ticket.merged").count()
    with pytest.raises(TicketMergeRefused) as refused:
        ticket_merge(source=source, target=target, actor=supervisor)
    assert refused.value.code == code and refused.value.status == 409
    assert snapshot(source, target) == before
    assert AuditEvent.objects.filter(action="ticket.merged").count() == merges


def test_visitors_questions_from_the_same_address_merge(db, agent):
    source, target = ask(None, email="Guest@Example.net"), ask(None, email="guest@example.net")
    ticket_merge(source=source, target=target, actor=agent)
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk


def test_only_staff_merge(customer, agent):
    source, target = ask(customer), ask(customer)
    before = snapshot(source, target)
    with pytest.raises(TicketMergeForbidden) as refused:
        ticket_merge(source=source, target=target, actor=customer)
    assert refused.value.status == 403 and snapshot(source, target) == before


def test_a_merged_question_takes_no_reply_and_no_status_change(customer, agent, supervisor):
    source, target = ask(customer), ask(customer)
    ticket_merge(source=source, target=target, actor=agent)
    with pytest.raises(TicketError) as refused:
        actions.ticket_agent_reply(ticket=source, actor=agent, body="还在吗？")
    assert refused.value.code == "merged"
    with pytest.raises(TicketError) as refused:  # not even a supervisor reopens it
        actions.ticket_status_set(ticket=source, actor=supervisor, status="open")
    assert refused.value.code == "merged"
    assert Ticket.objects.get(pk=source.pk).status == "closed"
    assert source.messages.count() == 1


# --- reply-time clocks -----------------------------------------------------------------------------


def test_an_unanswered_duplicate_brings_a_waiting_target_back_with_the_earlier_due_time(customer, agent):
    source = ask(customer, subject="先问的")  # unanswered: a reply is owed on it
    target = ask(customer, subject="后问的")
    actions.ticket_agent_reply(ticket=target, actor=agent, body="请提供银行流水。")  # pending, nothing owed
    target.refresh_from_db()
    source.refresh_from_db()
    assert target.status == "pending" and target.reply_due_at is None and target.paused_at is not None
    owed = source.reply_due_at
    merged = ticket_merge(source=source, target=target, actor=agent)
    assert merged.status == "open" and merged.paused_at is None
    assert merged.reply_due_at == owed  # the customer has waited since the duplicate
    assert merged.resolution_due_at is not None
    assert AuditEvent.objects.filter(action="ticket.status_changed", data__to="open").exists()


def test_an_answered_duplicate_leaves_the_targets_clocks_as_they_were(customer, agent):
    target = ask(customer, subject="等回复")
    source = ask(customer, subject="已回复")
    actions.ticket_agent_reply(ticket=source, actor=agent, body="已处理。")
    target.refresh_from_db()
    clocks_before = (target.status, target.reply_due_at, target.reply_warn_at, target.resolution_due_at)
    merged = ticket_merge(source=source, target=target, actor=agent)
    assert (
        merged.status,
        merged.reply_due_at,
        merged.reply_warn_at,
        merged.resolution_due_at,
    ) == clocks_before


# --- old links -------------------------------------------------------------------------------------


def test_the_customers_old_link_leads_to_the_merged_question(client, signed_in, customer, agent, make_user):
    source, target = ask(customer, subject="旧的"), ask(customer, subject="新的")
    ticket_merge(source=source, target=target, actor=agent)
    signed_in(customer)
    response = client.get(f"/support/tickets/{source.number}/")
    assert response.status_code == 302 and response["Location"] == f"/support/tickets/{target.number}/"
    page = client.get(response["Location"]).content.decode()
    assert "新的" in page and source.number in page  # the note in the thread names the duplicate
    # a reply posted from the old page is not lost silently: the customer is sent to the question
    response = client.post(f"/support/tickets/{source.number}/reply/", {"body": "还在吗"})
    assert response.status_code == 302 and response["Location"] == f"/support/tickets/{target.number}/"
    assert not TicketMessage.objects.filter(body="还在吗").exists()


def test_another_customer_gets_no_redirect(client, signed_in, customer, agent, make_user):
    source, target = ask(customer), ask(customer)
    ticket_merge(source=source, target=target, actor=agent)
    signed_in(make_user(email="li@example.com"))
    assert client.get(f"/support/tickets/{source.number}/").status_code == 404


def test_a_visitors_emailed_link_to_the_duplicate_opens_the_merged_question(client, agent):
    source = ask(None, email="guest@example.net", subject="访客一")
    target = ask(None, email="guest@example.net", subject="访客二")
    ticket_merge(source=source, target=target, actor=agent)
    response = client.get(f"/support/open/{actions.access_token_make(source)}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/support/tickets/{target.number}/"
    assert "访客二" in response.content.decode()


def test_a_visitor_who_only_submitted_the_duplicate_does_not_see_the_other_question(client, agent):
    """Anyone can type an address: whoever submitted the duplicate in this browser is not shown the
    question it was merged into (only the emailed link, which reached the address, opens it)."""
    response = client.post(
        "/support/new/",
        {
            "email": "guest@example.net",
            "name": "X",
            "topic": "other",
            "subject": "访客一的问题",
            "body": "提现三天还没到账，怎么办？",
        },
    )
    assert response.status_code == 302
    source = Ticket.objects.get(subject="访客一的问题")
    target = ask(None, email="guest@example.net", subject="别人的问题", body="别人的私事")
    ticket_merge(source=source, target=target, actor=agent)
    response = client.get(f"/support/tickets/{source.number}/")
    page = response.content.decode()
    assert response.status_code == 200 and "别人的私事" not in page and target.number not in page
    assert client.get(f"/support/tickets/{target.number}/").status_code in (302, 404)


def test_the_console_page_of_the_duplicate_leads_to_the_merged_question(client, signed_in, customer, agent):
    source, target = ask(customer), ask(customer)
    ticket_merge(source=source, target=target, actor=agent)
    signed_in(agent)
    response = client.get(f"/console/tickets/{source.number}/")
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{target.number}/"


def test_email_to_the_duplicate_joins_the_merged_question(customer, agent, settings):
    from django.core.mail import EmailMessage

    from okpay.tickets.intake import email_intake

    source, target = ask(customer), ask(customer)
    ticket_merge(source=source, target=target, actor=agent)
    raw = (
        EmailMessage(
            subject=f"Re: [{source.number}] 提现没到账",
            body="又过了一天，还是没到。",
            from_email=customer.email,
            to=[settings.OKPAY_SUPPORT_EMAIL],
        )
        .message()
        .as_bytes()
    )
    result = email_intake(raw)
    assert result.outcome == "added" and result.ticket.pk == target.pk
    assert target.messages.filter(body__contains="又过了一天").exists()


# --- API ---------------------------------------------------------------------------------------------


def test_the_api_says_merged_for_staff_and_answers_with_the_target_for_the_customer(client, customer, agent):
    from okpay.accounts.actions import api_token_create

    source, target = ask(customer), ask(customer)
    ticket_merge(source=source, target=target, actor=agent)
    staff = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(user=agent, name="t", scope="write")[1]}
    data = client.get(f"/api/v1/staff/tickets/{source.number}", **staff).json()
    assert data["merged_into"] == target.number and data["status"] == "closed"
    assert client.get(f"/api/v1/staff/tickets/{target.number}", **staff).json()["merged_into"] is None
    listed = client.get("/api/v1/staff/tickets?view=all", **staff).json()["items"]
    assert {row["number"]: row["merged_into"] for row in listed} == {
        source.number: target.number,
        target.number: None,
    }
    reply = client.post(
        f"/api/v1/staff/tickets/{source.number}/replies",
        {"body": "hello"},
        content_type="application/json",
        **staff,
    )
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "merged"
    assert source.messages.count() == 1
    mine = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(user=customer, name="t", scope="write")[1]}
    data = client.get(f"/api/v1/tickets/{source.number}", **mine).json()
    assert data["number"] == target.number


# --- A→B and B→A at once ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_merges_a_into_b_and_b_into_a_at_once_one_wins(make_user):
    skip_unless_postgres()
    customer = make_user(email="wang@example.com")
    agents = [make_user(email=f"agent{i}@example.com", role="agent") for i in range(16)]
    a = ask(customer, subject="A", body="A 的消息")
    b = ask(customer, subject="B", body="B 的消息")
    actions.ticket_customer_reply(ticket=a, actor=customer, body="A 的补充")
    ids = set(TicketMessage.objects.values_list("id", flat=True))

    def work(i):
        source, target = (a, b) if i % 2 == 0 else (b, a)
        try:
            ticket_merge(source=source, target=target, actor=agents[i])
            return "merged"
        except TicketError as error:
            return error.code

    results = in_threads(16, work)
    assert results.count("merged") == 1
    assert set(results) - {"merged"} <= {"merge_source_merged", "merge_target_merged", "merge_closed"}
    a.refresh_from_db()
    b.refresh_from_db()
    merged, kept = (a, b) if a.merged_into_id else (b, a)
    assert merged.merged_into_id == kept.pk and kept.merged_into_id is None
    assert merged.status == "closed" and kept.status != "closed"
    # nothing lost: every message is on the question that stays, plus one note on each side
    assert ids <= set(kept.messages.values_list("id", flat=True))
    assert kept.messages.count() == len(ids) + 1 and merged.messages.count() == 1
    assert AuditEvent.objects.filter(action="ticket.merged").count() == 1


# --- the console: "Merge into…", the confirmation page ----------------------------------------------


def test_the_console_confirms_with_both_questions_then_merges(
    client, signed_in, customer, agent, committed, mailoutbox
):
    agent.language = "en"
    agent.save(update_fields=["language"])
    source = ask(customer, subject="Duplicate one", body="first words")
    target = ask(customer, subject="The one that stays", body="second words")
    actions.ticket_customer_reply(ticket=target, actor=customer, body="more")
    signed_in(agent)
    page = client.get(f"/console/tickets/{source.number}/")
    assert f'action="/console/tickets/{source.number}/merge/"' in page.content.decode()
    response = client.get(f"/console/tickets/{source.number}/merge/", {"into": target.number.lower()})
    text = re.sub(r"<[^>]+>", "", response.content.decode())
    assert response.status_code == 200
    for words in ("Duplicate one", "The one that stays", customer.email, "1 message", "2 messages"):
        assert words in text
    assert f"Merge {source.number} into {target.number}" in text
    assert snapshot(source)[0][1] is None  # showing the page merged nothing
    mailoutbox.clear()
    with committed():
        response = client.post(f"/console/tickets/{source.number}/merge/", {"into": target.number})
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{target.number}/"
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk
    assert mailoutbox == []
    assert "was merged into this one" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("typed", "status", "words"),
    [
        ("", 400, "Enter the number of the question"),
        ("hello", 400, "Enter a question number like"),
        ("Q-2222222", 400, "There is no question Q-2222222"),
        ("x" * 5000, 400, "Enter a question number like"),
    ],
)
def test_the_console_refuses_bad_numbers_with_a_message(
    client, signed_in, customer, agent, typed, status, words
):
    agent.language = "en"
    agent.save(update_fields=["language"])
    source = ask(customer)
    signed_in(agent)
    response = client.post(f"/console/tickets/{source.number}/merge/", {"into": typed})
    assert response.status_code == status and words in response.content.decode()
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


def test_the_console_shows_why_another_customers_question_is_not_merged(
    client, signed_in, customer, agent, make_user
):
    agent.language = "en"
    agent.save(update_fields=["language"])
    source, other = ask(customer), ask(make_user(email="li@example.com"))
    signed_in(agent)
    response = client.get(f"/console/tickets/{source.number}/merge/", {"into": other.number})
    text = re.sub(r"<[^>]+>", "", response.content.decode())
    assert response.status_code == 409 and "from different customers" in text
    assert f"Merge {source.number} into" not in text  # no button
    response = client.post(f"/console/tickets/{source.number}/merge/", {"into": other.number})
    assert response.status_code == 409
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


def test_customers_cannot_reach_the_merge_page(client, signed_in, customer):
    source, target = ask(customer), ask(customer)
    signed_in(customer)
    assert client.get(f"/console/tickets/{source.number}/merge/", {"into": target.number}).status_code == 403
    assert client.post(f"/console/tickets/{source.number}/merge/", {"into": target.number}).status_code == 403
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None
