import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from okpay.core.models import AuditEvent
from okpay.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.smoke

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
QUESTION = {
    "topic": "withdrawal",
    "subject": "提现三天还没到账",
    "body": "我周一提现到招商银行卡，现在还没到账，请帮忙查一下。",
}


def _link(email) -> str:
    """The path of the ticket link in an email."""
    return (
        "/"
        + re.search(r"https?://[^\s]+/support/[^\s]+/", email.body)
        .group(0)
        .split("://", 1)[1]
        .split("/", 1)[1]
    )


def test_signed_in_customer_submits_follows_and_replies(client, signed_in, customer, committed, mailoutbox):
    signed_in(customer)
    with committed():
        response = client.post(
            "/support/new/", {**QUESTION, "attachments": [SimpleUploadedFile("bank.png", PNG)]}
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/support/tickets/{ticket.number}/"
    assert re.fullmatch(r"Q-[2-9A-HJKMNP-Z]{7}", ticket.number)
    assert (ticket.requester, ticket.requester_email, ticket.status, ticket.channel) == (
        customer,
        customer.email,
        "new",
        "web",
    )
    first = ticket.messages.get()
    assert first.kind == "customer" and first.attachments.get().content_type == "image/png"
    [mail] = mailoutbox
    assert mail.to == [customer.email] and ticket.number in mail.subject and "我们已收到" in mail.subject
    assert _link(mail) == f"/support/tickets/{ticket.number}/"
    assert AuditEvent.objects.filter(action="ticket.created", subject_user=customer).exists()
    page = client.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert "提现三天还没到账" in page and "bank.png" in page
    assert ticket.number in client.get("/support/tickets/").content.decode()
    client.post(f"/support/tickets/{ticket.number}/reply/", {"body": "补充：银行卡尾号 8888，金额 500 元。"})
    assert ticket.messages.count() == 2


def test_visitor_without_account_gets_an_emailed_link(client, committed, mailoutbox):
    with committed():
        response = client.post("/support/new/", {**QUESTION, "name": "Liu", "email": "liu@example.net"})
    ticket = Ticket.objects.get()
    assert ticket.requester is None and ticket.requester_email == "liu@example.net"
    assert client.get(response["Location"]).status_code == 200  # the browser that asked can see it
    link = _link(mailoutbox[0])
    other = Client()
    assert (
        other.get(f"/support/tickets/{ticket.number}/").status_code == 302
    )  # asked to sign in, nothing shown
    assert other.get(link).status_code == 302
    assert "提现三天还没到账" in other.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert other.get("/support/open/not-a-token/").status_code == 404


def test_other_customers_cannot_see_a_ticket_or_its_files(
    client, signed_in, customer, customer_en, committed
):
    signed_in(customer)
    client.post("/support/new/", {**QUESTION, "attachments": [SimpleUploadedFile("bank.png", PNG)]})
    ticket = Ticket.objects.get()
    attachment = ticket.messages.get().attachments.get()
    assert client.get(f"/support/files/{attachment.pk}/").status_code == 200
    stranger = signed_in(customer_en, Client())
    assert stranger.get(f"/support/tickets/{ticket.number}/").status_code == 404
    assert stranger.get(f"/support/files/{attachment.pk}/").status_code == 404
    assert stranger.post(f"/support/tickets/{ticket.number}/reply/", {"body": "x" * 20}).status_code == 404
    assert Client().get(f"/support/files/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 50)], "This type of file is not accepted"),
        ([SimpleUploadedFile("photo.png", b"%PDF-1.4 fake")], "does not match its name"),
        ([SimpleUploadedFile(f"s{n}.png", PNG) for n in range(4)], "at most 3 files"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_saved(client, signed_in, customer_en, files, message):
    signed_in(customer_en)
    response = client.post("/support/new/", {**QUESTION, "attachments": files})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()


def test_missing_fields_and_hostile_text_get_clear_errors(client, customer_en, signed_in):
    response = client.post(
        "/support/new/",
        {"topic": "nope", "subject": "", "body": "short", "email": "not-an-email"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "Enter a valid email address" in page and "at least 10 characters" in page
    assert "Select a valid choice" in page
    signed_in(customer_en)
    client.post(
        "/support/new/",
        {
            **QUESTION,
            "subject": "<script>alert(1)</script>",
            "body": "<img src=x onerror=alert(1)> please help",
        },
    )
    ticket = Ticket.objects.get()
    page = client.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page


def test_guests_are_rate_limited(client, db):
    for n in range(5):
        client.post("/support/new/", {**QUESTION, "email": f"g{n}@example.net"})
    response = client.post(
        "/support/new/", {**QUESTION, "email": "g9@example.net"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert Ticket.objects.count() == 5 and "several questions in a short time" in response.content.decode()


def test_article_context_travels_with_the_question(client, signed_in, customer_en):
    from okpay.helpcenter.shipped import content_load

    content_load()
    signed_in(customer_en)
    form = client.get("/support/new/?article=withdraw-funds").content.decode()
    assert 'name="article" value="withdraw-funds"' in form
    client.post("/support/new/", {**QUESTION, "article": "withdraw-funds"})
    assert Ticket.objects.get().article_key == "withdraw-funds"


def test_agent_works_the_ticket_in_the_console(client, signed_in, customer, agent, committed, mailoutbox):
    from okpay.tickets.actions import ticket_create

    ticket = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="dispute",
        subject="商家不退款",
        body="买的东西没收到，商家也不回复。",
    )
    console = signed_in(agent, Client())
    assert "1 个等待处理" in console.get("/console/").content.decode()  # the console home shows the queue
    queue = console.get("/console/tickets/").content.decode()
    assert ticket.number in queue
    assert ticket.number in console.get("/console/tickets/?unassigned=1").content.decode()
    console.post(f"/console/tickets/{ticket.number}/reply/", {"body": "内部：先查订单", "internal": "on"})
    with committed():
        console.post(f"/console/tickets/{ticket.number}/reply/", {"body": "您好，请先联系商家，我们已记录。"})
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.assignee == agent and ticket.first_responded_at is not None
    assert [m.to for m in mailoutbox] == [[customer.email]] and ticket.number in mailoutbox[
        0
    ].subject  # the reply only
    # the customer sees the reply but never the internal note
    signed_in(customer)
    page = client.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert "您好，请先联系商家" in page and "内部：先查订单" not in page
    client.post(f"/support/tickets/{ticket.number}/reply/", {"body": "商家还是没有回复我，怎么办？"})
    ticket.refresh_from_db()
    assert ticket.status == "open"  # back with the team
    client.post(f"/support/tickets/{ticket.number}/solved/")
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.solved_at is not None
    console.post(f"/console/tickets/{ticket.number}/status/", {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    response = client.post(f"/support/tickets/{ticket.number}/reply/", {"body": "再问一下这个问题可以吗"})
    assert ticket.messages.filter(kind="customer").count() == 2 and response.status_code == 200
    assert set(AuditEvent.objects.filter(action__startswith="ticket.").values_list("action", flat=True)) >= {
        "ticket.created",
        "ticket.note_added",
        "ticket.agent_replied",
        "ticket.customer_replied",
        "ticket.customer_solved",
        "ticket.status_changed",
    }


def test_console_is_for_staff_only(client, signed_in, customer):
    assert client.get("/console/tickets/").status_code == 302
    signed_in(customer)
    assert client.get("/console/tickets/").status_code == 403
    assert client.get("/console/tickets/Q-NOPE/").status_code == 403


def test_bot_hand_off_becomes_a_ticket_with_the_conversation(client, tiny_bot, signed_in, customer):
    signed_in(customer)
    client.post("/bot/ask/", {"q": "转人工"})
    client.post("/bot/ask/", {"q": "我的手机丢了"})
    reply = client.post("/bot/ask/", {"q": "转人工"}).content.decode()
    assert "/support/new/?from=bot" in reply
    form = client.get("/support/new/?from=bot").content.decode()
    assert 'value="我的手机丢了"' in form
    client.post("/support/new/", {**QUESTION, "subject": "手机丢了", "from": "bot"})
    ticket = Ticket.objects.get()
    assert ticket.channel == "bot" and ticket.bot_conversation is not None
    note = ticket.messages.get(kind="note")
    assert "我的手机丢了" in note.body and customer.email in note.body
    # what the customer read, not the model's slugs and scores
    turn = ticket.bot_conversation.turns.filter(text="我的手机丢了").get()
    assert turn.reply and " ".join(turn.reply.split())[:40] in note.body
    assert f"→ {turn.intent}" not in note.body and "(0." not in note.body


def test_the_console_shows_the_bot_conversation_in_the_agents_language(
    client, tiny_bot, signed_in, customer, agent
):
    signed_in(customer)
    client.post("/bot/ask/", {"q": "我的手机丢了"})
    client.post("/bot/ask/", {"q": "转人工"})
    client.post("/support/new/", {**QUESTION, "subject": "手机丢了", "from": "bot"})
    ticket = Ticket.objects.get()
    client.logout()
    agent.language, agent.time_zone = "en", "Europe/London"
    agent.save(update_fields=["language", "time_zone"])
    signed_in(agent)
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "Before the hand-off: the conversation with the answer bot" in page
    turn = ticket.bot_conversation.turns.order_by("created_at").first()
    assert turn.text in page and "OKPay:" in page
    from zoneinfo import ZoneInfo

    from django.utils.formats import date_format
    from django.utils.timezone import localtime
    from django.utils.translation import override

    with override("en"):
        shown = date_format(localtime(turn.created_at, ZoneInfo("Europe/London")), "DATETIME_FORMAT")
    assert shown in page  # the agent's time zone and English dates


def test_reply_clock_follows_the_published_targets(client, signed_in, customer, agent, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from okpay.tickets.actions import ticket_create

    security = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="account",
        subject="账户被盗",
        body="有人登录了我的账户，改了手机号。",
    )
    other = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="fees",
        subject="手续费",
        body="为什么国际转账收了两笔手续费？",
    )
    assert (security.priority, other.priority) == ("high", "normal")
    assert abs((security.reply_due_at - security.created_at) - timedelta(hours=2)) < timedelta(seconds=5)
    assert abs((other.reply_due_at - other.created_at) - timedelta(hours=24)) < timedelta(seconds=5)
    console = signed_in(agent, Client())
    queue = console.get("/console/tickets/").content.decode()
    assert queue.index(security.number) < queue.index(other.number)  # the reply owed soonest first
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    queue = console.get("/console/tickets/").content.decode()
    assert "1 个回复已超时" in queue or "1 reply overdue" in queue
    console.post(f"/console/tickets/{security.number}/reply/", {"body": "已冻结账户，请回复确认身份。"})
    security.refresh_from_db()
    assert security.reply_due_at is None and not security.is_overdue
    signed_in(customer)
    client.post(f"/support/tickets/{security.number}/reply/", {"body": "我确认，身份证尾号 1234。"})
    security.refresh_from_db()
    assert security.status == "open" and security.reply_due_at is not None  # the clock runs again
    console.post(f"/console/tickets/{other.number}/priority/", {"priority": "urgent"})
    other.refresh_from_db()
    assert other.priority == "urgent" and other.is_overdue  # 1 hour from its question, 3 hours ago


def test_customer_rates_a_solved_question_once(client, signed_in, customer, agent, committed, mailoutbox):
    from okpay.tickets.actions import ticket_create
    from okpay.tickets.models import TicketRating

    ticket = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="fees",
        subject="手续费",
        body="为什么国际转账收了两笔手续费？",
    )
    signed_in(customer)
    assert client.post(f"/support/tickets/{ticket.number}/rating/", {"score": "5"}).status_code == 302
    assert not TicketRating.objects.exists()  # not solved yet: refused with a message
    console = signed_in(agent, Client())
    console.post(f"/console/tickets/{ticket.number}/assign/", {"to": "nobody-valid"})
    assert Ticket.objects.get(pk=ticket.pk).assignee is None  # refused with a message
    console.post(f"/console/tickets/{ticket.number}/assign/", {"to": "me"})
    with committed():
        console.post(f"/console/tickets/{ticket.number}/status/", {"status": "solved"})
    assert ticket.number in mailoutbox[-1].subject and "/support/tickets/" in mailoutbox[-1].body
    page = client.get(f"/support/tickets/{ticket.number}/").content.decode()
    assert 'name="score"' in page
    assert client.post(f"/support/tickets/{ticket.number}/rating/", {"score": "9"}).status_code == 400
    client.post(f"/support/tickets/{ticket.number}/rating/", {"score": "2", "comment": "等太久了"})
    client.post(f"/support/tickets/{ticket.number}/rating/", {"score": "5"})
    rating = TicketRating.objects.get()
    assert (rating.score, rating.comment, rating.agent) == (2, "等太久了", agent)
    assert "等太久了" in console.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "50%" not in console.get("/console/tickets/").content.decode()
    assert "0%" in console.get("/console/tickets/").content.decode()  # 0 of 1 rating satisfied


def test_saved_replies_fill_the_reply_in_the_customers_language(
    client, signed_in, customer_en, agent, supervisor
):
    from okpay.tickets.actions import ticket_create
    from okpay.tickets.models import Macro

    ticket = ticket_create(
        requester=customer_en,
        email="",
        language="en",
        topic="dispute",
        subject="Refund refused",
        body="The shop will not refund my order.",
    )
    console = signed_in(agent, Client())
    assert console.get("/console/tickets/macros/").status_code == 403  # supervisors manage them
    boss = signed_in(supervisor, Client())
    assert (
        boss.post("/console/tickets/macros/new/", {"title": "", "body_zh": "", "body_en": ""}).status_code
        == 400
    )
    boss.post(
        "/console/tickets/macros/new/",
        {
            "title": "Merchant first",
            "body_zh": "{name}您好，请先联系商家（{number}）。",
            "body_en": "Hello {name}, please contact the merchant first ({number}).",
            "status_after": "pending",
            "is_active": "on",
        },
    )
    macro = Macro.objects.get()
    page = console.get(f"/console/tickets/{ticket.number}/?macro={macro.pk}").content.decode()
    assert f"Hello Emma, please contact the merchant first ({ticket.number})." in page
    assert console.get(f"/console/tickets/{ticket.number}/?macro=abc").status_code == 200
    assert AuditEvent.objects.filter(action="ticket.macro_saved", actor=supervisor).exists()


def test_a_question_about_a_transaction_carries_it_for_the_agent(
    client, signed_in, customer, customer_en, agent
):
    from okpay.wallet.actions import topup_demo
    from okpay.wallet.models import Transaction

    topup_demo(user=customer, amount_minor=50_000, currency="CNY", key="t1")
    topup_demo(user=customer_en, amount_minor=70_000, currency="EUR", key="t2")
    mine = Transaction.objects.get(user=customer)
    theirs = Transaction.objects.get(user=customer_en)
    signed_in(customer)
    detail = client.get(f"/account/transactions/{mine.pk}/").content.decode()
    assert f"/support/new/?transaction={mine.pk}" in detail
    form = client.get(f"/support/new/?transaction={mine.pk}").content.decode()
    assert mine.reference in form and f'name="transaction" value="{mine.pk}"' in form
    assert theirs.reference not in client.get(f"/support/new/?transaction={theirs.pk}").content.decode()
    client.post("/support/new/", {**QUESTION, "transaction": str(theirs.pk)})  # someone else's: dropped
    client.post("/support/new/", {**QUESTION, "transaction": str(mine.pk)})
    first, second = Ticket.objects.order_by("created_at", "id")
    assert first.transaction is None and second.transaction == mine
    console = signed_in(agent, Client())
    page = console.get(f"/console/tickets/{second.number}/").content.decode()
    assert (
        mine.reference in page and "¥500.00" in page
    )  # the account at a glance: balance, recent transactions
    assert AuditEvent.objects.filter(
        action="console.customer_viewed", actor=agent, subject_user=customer
    ).exists()


def test_agents_log_phone_calls_and_only_checked_callers_get_the_account(
    signed_in, customer, agent, client, mailoutbox, committed
):
    console = signed_in(agent, Client())
    call = {
        "email": customer.email.upper(),
        "language": "zh-hans",
        "topic": "account",
        "subject": "手机丢了",
        "body": "客户来电说手机丢了，想冻结账户并退出所有设备。",
        "call-direction": "in",
        "call-duration_minutes": "4",
    }
    with committed():
        response = console.post("/console/tickets/phone/", {**call, "verified": "on"})
    checked = Ticket.objects.get()
    assert response.status_code == 302 and checked.channel == "phone" and checked.requester == customer
    assert checked.priority == "high" and checked.messages.filter(kind="note", author=agent).exists()
    assert checked.calls.get().duration_seconds == 240 and checked.calls.get().direction == "in"
    assert mailoutbox[-1].to == [customer.email]
    console.post("/console/tickets/phone/", call)  # identity not checked: followed by link only
    unchecked = Ticket.objects.exclude(pk=checked.pk).get()
    assert unchecked.requester is None and unchecked.requester_email == customer.email.upper()
    assert console.post("/console/tickets/phone/", {**call, "email": "nope"}).status_code == 400
    signed_in(customer)
    assert client.get("/console/tickets/phone/").status_code == 403


def test_a_hand_off_does_not_ask_to_describe_the_problem_again(client, tiny_bot, signed_in, customer):
    """Issue 17: with the bot's conversation attached, the message is optional; the handed-off question
    stands for it and the whole conversation is on the question."""
    signed_in(customer)
    client.post("/bot/ask/", {"q": "我的手机丢了"})
    client.post("/bot/ask/", {"q": "转人工"})
    form = client.get("/support/new/?from=bot").content.decode()
    assert 'name="body"' in form and 'name="body" cols="40" rows="6" maxlength="5000" required' not in form
    response = client.post(
        "/support/new/", {"topic": "account", "subject": "手机丢了", "body": "", "from": "bot"}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    first = ticket.messages.filter(kind="customer").first()
    assert ticket.bot_conversation is not None and first is not None and first.body == "我的手机丢了"
    # without a conversation the message is still required: the form comes back, nothing is stored
    refused = client.post("/support/new/", {"topic": "account", "subject": "另一个问题", "body": ""})
    assert refused.status_code == 200 and 'aria-invalid="true"' in refused.content.decode()
    assert Ticket.objects.count() == 1
