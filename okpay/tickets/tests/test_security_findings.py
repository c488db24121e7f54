"""Regression tests for the security probe (issue 10), findings 6, 13 and 14, on the question form."""

import asyncio
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from okpay.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.smoke

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# what a phisher would type into the form with someone else's address
LURE = {
    "name": "OKPay Security Team",
    "email": "victim@example.net",
    "topic": "account",
    "subject": "Your wallet is frozen: verify at okpay-verify.example",
    "body": "Log in at https://okpay-verify.example/login within 24 hours or your balance is lost.",
}
LURE_PARTS = ("OKPay Security Team", "frozen", "okpay-verify.example", "24 hours", "balance is lost")
QUESTION = {
    "topic": "withdrawal",
    "subject": "提现三天还没到账",
    "body": "我周一提现到招商银行卡，现在还没到账，请帮忙查一下。",
}


def _everything(mail) -> str:
    """Subject, text and HTML of an email."""
    return "\n".join([mail.subject, mail.body, *(content for content, _type in mail.alternatives)])


def _assert_quotes_nothing_typed(mail):
    text = _everything(mail)
    for part in LURE_PARTS:
        assert part not in text, part


# --- finding 6: the question form must not relay visitor text to unconfirmed addresses ----------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_finding_06_mail_to_a_guest_address_contains_no_visitor_text(client, committed, mailoutbox, language):
    with committed():
        response = client.post("/support/new/", LURE, HTTP_ACCEPT_LANGUAGE=language)
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.requester is None and ticket.language == language
    [mail] = mailoutbox
    assert mail.to == ["victim@example.net"]
    _assert_quotes_nothing_typed(mail)
    text = _everything(mail)
    # a neutral receipt: the number and the signed link, in both languages whichever the form used
    assert ticket.number in mail.subject and ticket.number in mail.body
    assert re.search(r"/support/open/[^\s\"<]+/", mail.body)
    assert "我们已收到您的问题" in mail.subject and "We received your question" in mail.subject
    assert "如果您没有联系过 OKPay" in text and "If you did not contact OKPay" in text
    # the question itself is kept for the team, unchanged
    assert ticket.subject == LURE["subject"] and ticket.requester_name == LURE["name"]


def test_finding_06_receipt_for_an_emailed_question_contains_no_sender_text(db, committed, mailoutbox):
    from email.message import EmailMessage

    from okpay.tickets.intake import email_intake

    message = EmailMessage()
    message["From"] = f"{LURE['name']} <victim@example.net>"  # a From header is easy to forge
    message["To"] = "support@okpay.example"
    message["Subject"] = LURE["subject"]
    message.set_content(LURE["body"])
    with committed():
        result = email_intake(message.as_bytes())
    assert result.outcome == "created"
    [mail] = mailoutbox
    assert mail.to == ["victim@example.net"] and result.ticket.number in mail.subject
    _assert_quotes_nothing_typed(mail)


def test_finding_06_signed_in_customer_still_gets_the_question_quoted(
    client, signed_in, customer, committed, mailoutbox
):
    signed_in(customer)
    with committed():
        client.post("/support/new/", QUESTION)
    [mail] = mailoutbox
    assert mail.to == [customer.email]
    assert QUESTION["subject"] in mail.subject and QUESTION["body"] in mail.body


def test_finding_06_receipts_per_address_are_limited(client, committed, mailoutbox, settings, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    settings.OKPAY_RATE_LIMITS = {
        **settings.OKPAY_RATE_LIMITS,
        "receipt_per_address_hour": (3, 3600),
        "receipt_per_address_day": (4, 24 * 3600),
    }
    time_machine.move_to(timezone.now().replace(hour=1, minute=0), tick=False)
    addresses = ["victim@example.net", "Victim@Example.NET", "victim+1@example.net", "victim+2@example.net"]
    pages = []
    for n, address in enumerate(addresses):  # one mailbox, spelled four ways, from four networks
        with committed():
            response = client.post(
                "/support/new/",
                {**QUESTION, "email": address},
                REMOTE_ADDR=f"203.0.113.{n + 1}",
                HTTP_ACCEPT_LANGUAGE="en",
                follow=True,
            )
        pages.append(response.content.decode())
    # the questions all reach the team; only three receipts are mailed this hour
    assert Ticket.objects.count() == 4 and len(mailoutbox) == 3
    assert "A confirmation is on its way" in pages[0] and "so we sent none this time" in pages[3]
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    for n in range(2):
        with committed():
            client.post(
                "/support/new/", {**QUESTION, "email": "victim@example.net"}, REMOTE_ADDR=f"198.51.100.{n}"
            )
    # next hour: the fourth receipt of the day goes out, the fifth does not
    assert Ticket.objects.count() == 6 and len(mailoutbox) == 4
    # other addresses are not affected
    with committed():
        client.post("/support/new/", {**QUESTION, "email": "someone@example.org"}, REMOTE_ADDR="198.51.100.9")
    assert len(mailoutbox) == 5 and mailoutbox[-1].to == ["someone@example.org"]


def test_finding_06_agent_mail_to_a_guest_quotes_neither_subject_nor_name(
    client, signed_in, agent, supervisor, committed, mailoutbox
):
    from okpay.tickets.actions import ticket_create
    from okpay.tickets.models import Macro

    ticket = ticket_create(
        requester=None,
        email=LURE["email"],
        name=LURE["name"],
        language="en",
        topic="account",
        subject=LURE["subject"],
        body=LURE["body"],
    )
    macro = Macro.objects.create(
        title="Hello", body_zh="{name}您好。", body_en="Hello {name}, this is question {number}."
    )
    console = signed_in(agent, Client())
    page = console.get(f"/console/tickets/{ticket.number}/?macro={macro.pk}").content.decode()
    assert f"Hello, this is question {ticket.number}." in page  # the typed name is not filled in
    mailoutbox.clear()
    with committed():
        console.post(f"/console/tickets/{ticket.number}/reply/", {"body": "Please tell us your user ID."})
        console.post(f"/console/tickets/{ticket.number}/status/", {"status": "solved"})
    reply, solved = mailoutbox
    assert reply.to == solved.to == [LURE["email"]]
    assert "Please tell us your user ID." in reply.body  # agent-written text is fine
    _assert_quotes_nothing_typed(reply)
    _assert_quotes_nothing_typed(solved)
    assert ticket.number in reply.subject and ticket.number in solved.subject


def test_finding_06_agent_mail_to_a_confirmed_customer_keeps_subject_and_name(
    signed_in, customer_en, agent, committed, mailoutbox
):
    from okpay.tickets.actions import ticket_create

    ticket = ticket_create(
        requester=customer_en, email="", language="en", topic="fees", subject="Two fees charged", body="Why?"
    )
    mailoutbox.clear()
    console = signed_in(agent, Client())
    with committed():
        console.post(f"/console/tickets/{ticket.number}/reply/", {"body": "The second is the FX fee."})
    [reply] = mailoutbox
    assert "Hello Emma," in reply.body and "Two fees charged" in reply.body


def test_finding_06_api_takes_no_anonymous_questions(db, mailoutbox):
    response = Client().post("/api/v1/tickets", {**LURE}, content_type="application/json")
    assert response.status_code == 401 and not Ticket.objects.exists() and not mailoutbox


# --- finding 13: upload size is capped before the body is read; every attempt counts ------------

SMALL_LIMIT = override_settings(
    OKPAY_TICKET_ATTACHMENT_MAX_BYTES=100_000, OKPAY_UPLOAD_FORM_MARGIN_BYTES=64_000
)
BIG = b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024)  # 3 MB, far over 3 × 100 KB + 64 KB


@SMALL_LIMIT
def test_finding_13_oversized_question_is_refused_before_the_body_is_read(client, db):
    response = client.post(
        "/support/new/",
        {**QUESTION, "email": "g@example.net", "attachments": [SimpleUploadedFile("big.png", BIG)]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "at most 3 files of 97 KB each" in response.content.decode()
    assert response.wsgi_request.environ["wsgi.input"].read_started is False  # not one byte read
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()


@SMALL_LIMIT
def test_finding_13_oversized_reply_is_refused_before_the_body_is_read(client, signed_in, customer):
    from okpay.tickets.actions import ticket_create

    ticket = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="fees",
        subject="手续费",
        body="为什么收两次？",
    )
    signed_in(customer)
    response = client.post(
        f"/support/tickets/{ticket.number}/reply/",
        {"body": "补充截图如下，请查看。", "attachments": [SimpleUploadedFile("big.png", BIG)]},
    )
    assert response.status_code == 413 and "文件太大" in response.content.decode()
    assert response.wsgi_request.environ["wsgi.input"].read_started is False
    assert ticket.messages.count() == 1


@SMALL_LIMIT
def test_finding_13_a_file_over_its_limit_is_dropped_while_it_arrives(client, db):
    too_big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 150_000  # under the request cap, over the file limit
    response = client.post(
        "/support/new/",
        {**QUESTION, "email": "g@example.net", "attachments": [SimpleUploadedFile("big.png", too_big)]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "The file is too large: the limit is 97 KB." in page
    assert response.wsgi_request.FILES.getlist("attachments") == []  # the handler dropped it, not the form
    assert 'value="提现三天还没到账"' in page  # the rest of the form is kept
    assert not Ticket.objects.exists()


def test_finding_13_files_beyond_the_count_are_not_kept(client, db):
    files = [SimpleUploadedFile(f"s{n}.png", PNG) for n in range(5)]
    response = client.post(
        "/support/new/",
        {**QUESTION, "email": "g@example.net", "attachments": files},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Attach at most 3 files." in response.content.decode()
    assert len(response.wsgi_request.FILES.getlist("attachments")) == 3
    assert not Ticket.objects.exists()


@SMALL_LIMIT
def test_finding_13_failed_uploads_use_up_the_guest_budget(client, db):
    for n in range(3):  # refused for size
        big = client.post(
            "/support/new/",
            {**QUESTION, "email": f"g{n}@example.net", "attachments": [SimpleUploadedFile("b.png", BIG)]},
        )
        assert big.status_code == 413
    for n in range(2):  # refused for content
        bad = client.post(
            "/support/new/",
            {
                **QUESTION,
                "email": f"h{n}@example.net",
                "attachments": [SimpleUploadedFile("x.png", b"MZ\x00\x00")],
            },
        )
        assert bad.status_code == 200
    response = client.post(
        "/support/new/", {**QUESTION, "email": "ok@example.net"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429 and "several questions in a short time" in response.content.decode()
    assert response.wsgi_request.environ["wsgi.input"].read_started is False
    assert not Ticket.objects.exists()
    # another network still has its budget
    assert (
        client.post(
            "/support/new/", {**QUESTION, "email": "ok@example.net"}, REMOTE_ADDR="192.0.2.7"
        ).status_code
        == 302
    )


def test_finding_13_api_attempts_count_too(make_user, db):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    user = make_user(email="api@example.com", language="en")
    ApiToken.objects.create(
        user=user, name="t", prefix="abc123abc123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    api = Client(HTTP_AUTHORIZATION="Bearer okp_abc123abc123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    good = {"topic": "fees", "subject": "Fees", "body": "Why was I charged twice?"}
    for _n in range(20):  # refused by the form
        bad = api.post("/api/v1/tickets", {**good, "topic": "nope"}, content_type="application/json")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    response = api.post("/api/v1/tickets", good, content_type="application/json")
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
    assert not Ticket.objects.exists()


def _asgi_run(app, scope, chunks):
    """Run an ASGI app; `chunks` feeds the body. Returns (response status, chunks pulled, body)."""
    from asgiref.sync import async_to_sync

    pulled, sent = [], []

    async def receive():
        if len(pulled) >= len(chunks):  # after the body, a server answers only on disconnect
            await asyncio.Event().wait()
        pulled.append(chunks[len(pulled)])
        return pulled[-1]

    async def send(message):
        sent.append(message)

    async_to_sync(app)(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], len(pulled), body.decode()


@pytest.fixture
def asgi_app(db):
    """Django's ASGI handler behind RequestBodyLimit, as config.asgi serves it (on the test
    database: connections are not closed between requests, as Django's test client does)."""
    from django.core import signals
    from django.core.handlers.asgi import ASGIHandler
    from django.db import close_old_connections

    from okpay.core.uploads import RequestBodyLimit

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield RequestBodyLimit(ASGIHandler())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _scope(headers):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/support/new/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept-language", b"en"), *headers],
        "client": ("192.0.2.1", 1234),
        "server": ("testserver", 80),
    }


@SMALL_LIMIT
def test_finding_13_asgi_never_receives_an_oversized_body(asgi_app):
    chunk = {"type": "http.request", "body": b"\x00" * 65536, "more_body": True}
    scope = _scope([(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"209715200")])
    status, pulled, page = _asgi_run(asgi_app, scope, [chunk] * 4000)  # 200 MB declared
    assert status == 413 and pulled == 0 and "at most 3 files" in page
    # without a Content-Length the body is cut off once it passes the cap (364 KB: 6 chunks)
    scope = _scope([(b"content-type", b"multipart/form-data; boundary=x")])
    status, pulled, page = _asgi_run(asgi_app, scope, [chunk] * 4000)
    assert status == 413 and pulled == 6
    assert not Ticket.objects.exists()


@SMALL_LIMIT
def test_finding_13_asgi_passes_a_body_within_the_cap(asgi_app):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    secret = "a" * 32  # CSRF is enforced here (the test client skips it): cookie and form field
    body = encode_multipart(
        BOUNDARY,
        {
            **QUESTION,
            "email": "g@example.net",
            "csrfmiddlewaretoken": secret,
            "attachments": [SimpleUploadedFile("bank.png", PNG)],
        },
    )
    scope = _scope(
        [
            (b"content-type", MULTIPART_CONTENT.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", f"csrftoken={secret}".encode()),
        ]
    )
    half = len(body) // 2
    chunks = [
        {"type": "http.request", "body": body[:half], "more_body": True},
        {"type": "http.request", "body": body[half:], "more_body": False},
    ]
    status, pulled, _page = _asgi_run(asgi_app, scope, chunks)
    assert status == 302 and pulled == 2
    assert Ticket.objects.get().messages.get().attachments.get().original_name == "bank.png"


# --- finding 14: Chinese text files are text ------------------------------------------------


def test_finding_14_chinese_txt_attachment_is_accepted_on_the_form(client, signed_in, customer):
    signed_in(customer)
    text = ("转账记录说明" * 20).encode()  # 120 CJK characters: byte 64 splits one
    client.post("/support/new/", {**QUESTION, "attachments": [SimpleUploadedFile("说明.txt", text)]})
    attachment = Ticket.objects.get().messages.get().attachments.get()
    assert attachment.content_type == "text/plain" and attachment.size == len(text)
