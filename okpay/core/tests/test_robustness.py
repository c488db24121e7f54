"""Regression tests for the security probe (issue 10): hostile input gets a clear 4xx, never a 5xx,
and changes nothing. Each test is named after its finding."""

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import translation

from okpay.bot.models import BotConversation, BotTurn
from okpay.core.redirects import safe_next
from okpay.helpcenter.models import ArticleFeedback
from okpay.helpcenter.search import index_forget
from okpay.helpcenter.tests.factories import corpus_create
from okpay.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.smoke

NUL_MESSAGE_ZH = "您发送的内容包含不允许的字符"
NUL_MESSAGE_EN = "contains a character that is not allowed"
TOO_LARGE_EN = "too large"


@pytest.fixture
def corpus(db):
    index_forget()
    yield corpus_create()
    index_forget()


@pytest.fixture
def api(make_user, db):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    user = make_user(email="robust@example.com", language="en")
    ApiToken.objects.create(
        user=user, name="t", prefix="rob123rob123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    client = Client(HTTP_AUTHORIZATION="Bearer okp_rob123rob123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    client.user = user
    return client


def post_json(client, url, raw: str, **extra):
    return client.post(url, raw, content_type="application/json", **extra)


def assert_api_refusal(response, status, code):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


# --- finding 8: a NUL byte in input was a 500 on PostgreSQL ------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/help/contact/?article=a%00b",
        "/pay/a%00b/",
        "/help/search/?q=a%00b",
        "/support/tickets/a%00b/",
        "/help/zh-hans/articles/a%00b/",
        "/help/contact/?a%00=1",
    ],
)
def test_finding_8_nul_in_path_or_query_is_a_translated_400_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE_ZH in response.content.decode()
    assert response["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and NUL_MESSAGE_EN in english.content.decode()


def test_finding_8_nul_in_console_searches_is_400(client, agent, signed_in):
    signed_in(agent)
    for url in ("/console/customers/?q=a%00b", "/console/tickets/?q=a%00b", "/console/help/?q=a%00b"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert NUL_MESSAGE_ZH in response.content.decode()


def test_finding_8_nul_in_a_form_field_is_400_and_nothing_is_saved(client, db):
    response = client.post(
        "/support/new/",
        {
            "name": "Tom",
            "email": "tom@example.com",
            "topic": "withdrawal",
            "subject": "Late\x00withdrawal",
            "body": "My withdrawal has not arrived after four days.",
        },
    )
    assert response.status_code == 400
    assert NUL_MESSAGE_ZH in response.content.decode()
    assert not Ticket.objects.exists()


def test_finding_8_nul_in_url_encoded_and_multipart_fields_is_400(client, db):
    from urllib.parse import urlencode

    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = {
        "name": "Tom",
        "email": "tom@example.com",
        "topic": "withdrawal",
        "subject": "Late withdrawal",
        "body": "My withdrawal has not arrived after four days.",
    }
    encoded = client.post(
        "/support/new/",
        urlencode({**ticket, "body": "a\x00b" * 10}),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert encoded.status_code == 400 and NUL_MESSAGE_EN in encoded.content.decode()
    with_file = client.post(
        "/support/new/",
        {**ticket, "name": "T\x00m", "attachments": SimpleUploadedFile("shot.txt", b"hello")},
    )
    assert with_file.status_code == 400 and NUL_MESSAGE_ZH in with_file.content.decode()
    assert not Ticket.objects.exists()


def test_finding_8_multipart_is_checked_when_parsed_so_views_can_still_set_upload_handlers(db):
    from django.contrib.auth.models import AnonymousUser
    from django.core.files.uploadhandler import MemoryFileUploadHandler
    from django.core.handlers.exception import convert_exception_to_response
    from django.http import HttpResponse

    from okpay.core.middleware import InputGuardMiddleware

    def view(request):
        request.upload_handlers = [MemoryFileUploadHandler(request)]  # raises once the body was read
        request.POST  # noqa: B018 - parsing runs the check
        return HttpResponse(request.POST["subject"])

    factory = RequestFactory()
    ok = InputGuardMiddleware(convert_exception_to_response(view))(factory.post("/x/", {"subject": "fine"}))
    assert ok.status_code == 200 and ok.content == b"fine"
    refused = factory.post("/x/", {"subject": "a\x00b"})
    refused.user = AnonymousUser()
    with translation.override("en"):
        response = InputGuardMiddleware(convert_exception_to_response(view))(refused)
    assert response.status_code == 400 and NUL_MESSAGE_EN in response.content.decode()
    assert refused.POST.dict() == {}  # nothing of a refused body reaches the view


def test_finding_8_malformed_api_bodies_are_4xx_not_5xx(client, db):
    for raw in (b"\xff\xfe{", b'{"text": "a\x00b"}', b"[" * 100_000, b'{"text": "\\ud800', b"\x00"):
        response = client.post("/api/v1/bot/answer", raw, content_type="application/json")
        assert 400 <= response.status_code < 500, (raw[:20], response.status_code)
        assert response.json()["error"]["code"]
    assert not BotTurn.objects.exists()


def test_finding_8_nul_in_an_api_json_body_is_422_in_the_error_shape(client, db):
    for payload in ({"text": "a\u0000b"}, {"text": "hi", "extra": [{"deep": ["x\u0000"]}]}, {"a\u0000": 1}):
        response = post_json(client, "/api/v1/bot/answer", json.dumps(payload), HTTP_ACCEPT_LANGUAGE="en")
        assert NUL_MESSAGE_EN in assert_api_refusal(response, 422, "invalid_characters")
    # whatever the declared content type: the API reads every body as JSON
    plain = client.post("/api/v1/bot/answer", json.dumps({"text": "a\u0000b"}), content_type="text/plain")
    assert_api_refusal(plain, 422, "invalid_characters")
    assert not BotTurn.objects.exists() and not BotConversation.objects.exists()


# --- finding 9: a lone UTF-16 surrogate was a 500 on both databases --------------------------


def test_finding_9_lone_surrogate_in_tickets_api_is_422(api):
    ticket = {"topic": "withdrawal", "subject": "Withdrawal late", "body": "It has not arrived \ud800 yet."}
    response = post_json(api, "/api/v1/tickets", json.dumps(ticket))
    assert NUL_MESSAGE_EN in assert_api_refusal(response, 422, "invalid_characters")
    assert "surrogate" in response.json()["error"]["message"]
    assert not Ticket.objects.exists()
    for lone in ("\udfff", "\ud83d"):
        response = post_json(api, "/api/v1/tickets", json.dumps({**ticket, "body": "ok", "subject": lone}))
        assert_api_refusal(response, 422, "invalid_characters")
    assert not Ticket.objects.exists()


def test_finding_9_lone_surrogate_in_a_ticket_message_is_422_and_a_pair_is_fine(api):
    # a proper surrogate pair is an emoji, accepted as before
    ticket = {"topic": "withdrawal", "subject": "Withdrawal late \ud83d\ude00", "body": "It has not arrived."}
    created = post_json(api, "/api/v1/tickets", json.dumps(ticket))
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert Ticket.objects.get(number=number).subject.endswith("😀")
    refused = post_json(api, f"/api/v1/tickets/{number}/messages", json.dumps({"body": "more \ud800"}))
    assert_api_refusal(refused, 422, "invalid_characters")
    assert TicketMessage.objects.filter(ticket__number=number).count() == 1


def test_finding_9_query_strings_with_broken_percent_encoding_are_never_5xx(client, db, corpus):
    queries = [
        "q=%",
        "q=%zz%",
        "q=%E4%B8",
        "q=%ED%A0%80",  # a surrogate encoded as UTF-8: not valid UTF-8, decoded as U+FFFD
        "q=%ff%fe%fd",
        "q=" + "%" * 20_000,
        "q=" + "%E4%B8%AD" * 5_000,
        "&".join(f"k{i}=%ff" for i in range(1_500)),  # more parameters than Django parses
        "q=a&q=%C0%AF&page=%ff",
    ]
    for path in ("/help/search/", "/help/contact/", "/", "/api/v1/help/search"):
        for query in queries:
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500, (path, query[:40], response.status_code)
    too_many = client.get("/help/contact/?" + "&".join(f"k{i}=1" for i in range(1_500)))
    assert too_many.status_code == 400
    api_too_many = client.get("/api/v1/help/search?" + "&".join(f"k{i}=1" for i in range(1_500)))
    assert_api_refusal(api_too_many, 400, "bad_request")


# --- finding 10: an API body over 2.5 MB was a 500 --------------------------------------------


def test_finding_10_oversized_api_body_is_413_in_the_error_shape(client, db):
    huge = json.dumps({"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = post_json(client, "/api/v1/bot/answer", huge, HTTP_ACCEPT_LANGUAGE="en")
    assert TOO_LARGE_EN in assert_api_refusal(response, 413, "too_large")
    plain = client.post("/api/v1/bot/answer", huge, content_type="text/plain")
    assert_api_refusal(plain, 413, "too_large")
    assert not BotTurn.objects.exists()


def test_finding_10_api_handler_turns_request_data_too_big_into_413(db):
    """Behind the middleware, the API itself answers 413 too (not its catch-all 500)."""
    huge = json.dumps({"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    request = RequestFactory().post(
        "/api/v1/bot/answer", huge, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request.user, request.session = AnonymousUser(), SessionStore()
    response = resolve("/api/v1/bot/answer").func(request)
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "too_large"


def test_finding_10_oversized_html_form_is_a_413_page(client, corpus):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post("/help/feedback/reset-password/", {"helpful": "no", "comment": big})
    assert response.status_code == 413
    assert "太大" in response.content.decode()
    assert not ArticleFeedback.objects.exists()
    form = client.post(
        "/support/new/",
        {"email": "t@example.com", "topic": "withdrawal", "subject": "Big", "body": big},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert form.status_code == 413 and "too large" in form.content.decode()
    assert not Ticket.objects.exists()


# --- finding 11: open redirect through `next` -------------------------------------------------

EVIL_NEXTS = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
]
CRLF_NEXTS = ["/help/\r\nSet-Cookie: pwned=1", "/help/\nX: y", "/help/\r", "\r\n//evil.example"]


def assert_same_site(location: str):
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in location and "\n" not in location and "\r" not in location


def test_finding_11_help_feedback_next_stays_on_the_site(client, corpus):
    for nxt in EVIL_NEXTS + CRLF_NEXTS:
        response = client.post("/help/feedback/reset-password/", {"helpful": "yes", "next": nxt})
        assert response.status_code == 303, (nxt, response.status_code)
        assert_same_site(response["Location"])
        assert response["Location"] == "/help/"
        assert "pwned" not in response.cookies
    good = client.post(
        "/help/feedback/reset-password/",
        {"helpful": "yes", "next": "/help/zh-hans/articles/reset-password/?x=1#feedback"},
    )
    assert good["Location"] == "/help/zh-hans/articles/reset-password/?x=1#feedback"


def test_finding_11_console_bot_correction_next_stays_on_the_site(client, agent, signed_in):
    signed_in(agent)
    conversation = BotConversation.objects.create()
    turn = BotTurn.objects.create(conversation=conversation, text="hello", language="en")
    url = f"/console/bot/turns/{turn.pk}/correct/"
    for nxt in EVIL_NEXTS + CRLF_NEXTS:
        response = client.post(url, {"intent": "out_of_scope", "next": nxt})
        assert response.status_code == 302, (nxt, response.status_code)
        assert response["Location"] == "/console/bot/"
    good = client.post(url, {"intent": "out_of_scope", "next": "/console/bot/?show=all"})
    assert good["Location"] == "/console/bot/?show=all"


def test_finding_11_login_and_language_switch_next_stay_on_the_site(client, customer):
    from okpay.accounts.tests.factories import PASSWORD

    for nxt in EVIL_NEXTS + CRLF_NEXTS:
        signed_out = Client()
        response = signed_out.post(
            "/accounts/login/?next=" + nxt.replace("\r", "%0D").replace("\n", "%0A"),
            {"email": customer.email, "password": PASSWORD},
        )
        assert response.status_code == 302, nxt
        assert response["Location"] == "/account/"  # the customer's own start page
        switch = client.post("/i18n/setlang/", {"language": "en", "next": nxt})
        assert switch.status_code == 302, nxt
        assert_same_site(switch["Location"])
        per_language = client.post("/i18n/setlang/", {"language": "en", "next_en": nxt, "next": "/help/"})
        assert per_language.status_code == 302 and per_language["Location"] in ("/", "/help/"), nxt
    ok = client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    assert ok["Location"] == "/help/"


def test_finding_11_safe_next_rules():
    factory = RequestFactory()
    plain = factory.get("/")
    assert safe_next(plain, "/help/?q=1", "home") == "/help/?q=1"
    assert safe_next(plain, "http://testserver/help/", "home") == "http://testserver/help/"
    assert safe_next(plain, "https://evil.example/", "home") == "/"
    assert safe_next(plain, None, "helpcenter:index") == "/help/"
    assert safe_next(plain, "", "/somewhere/") == "/somewhere/"
    for bad in ("/a\x00b", "/a\tb", "/a\u202eb", "/a\x7fb", "\x01/help/"):
        assert safe_next(plain, bad, "home") == "/", repr(bad)
    secure = factory.get("/", secure=True)
    assert safe_next(secure, "http://testserver/help/", "home") == "/"  # no downgrade to http
    assert safe_next(secure, "https://testserver/help/", "home") == "https://testserver/help/"


# --- finding 18: a Host header outside ALLOWED_HOSTS was a 500 --------------------------------


def test_finding_18_foreign_host_header_is_400_everywhere(db):
    evil = Client(HTTP_HOST="evil.example")
    for url in ("/", "/help/", "/no-such-page/", "/support/new/", "/accounts/login/", "/api/v1/me"):
        response = evil.get(url)
        assert response.status_code == 400, (url, response.status_code)
    for url, data in (
        ("/accounts/login/", {"email": "a@example.com", "password": "x"}),
        ("/help/feedback/reset-password/", {"helpful": "yes"}),
        ("/bot/ask/", {"q": "hello"}),
    ):
        assert evil.post(url, data).status_code == 400, url
    json_post = evil.post("/api/v1/bot/answer", json.dumps({"text": "hi"}), content_type="application/json")
    assert json_post.status_code == 400
    page = evil.get("/no-such-page/").content.decode()
    assert "问问 OKPay" in page  # the error page renders whole, bot box included


def test_finding_18_error_page_bot_box_renders_without_a_user(rf, db):
    """The 400/403/404 pages render when no middleware attached request.user (or the session)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.session = SessionStore()
    for name in ("400.html", "403.html", "404.html", "500.html"):
        assert "OKPay" in render_to_string(name, request=request)
    bare = rf.get("/")
    assert "OKPay" in render_to_string("404.html", request=bare)


# --- finding 15: plain-text emails and subjects were HTML-escaped ------------------------------


def test_finding_15_plain_text_mail_is_not_html_escaped(make_user, committed, mailoutbox):
    from okpay.tickets.actions import ticket_create

    user = make_user(email="tom@example.com", full_name="<Tom & Jerry's>", language="en")
    with committed():
        ticket_create(
            requester=user,
            email="",
            language="en",
            topic="withdrawal",
            subject="Can't withdraw",
            body='I can\'t withdraw "everything" <now> & later.',
        )
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert "Can't withdraw" in mail.subject and "&#x27;" not in mail.subject
    assert "<Tom & Jerry's>" in mail.body
    assert 'I can\'t withdraw "everything" <now> & later.' in mail.body
    assert "&lt;" not in mail.body and "&amp;" not in mail.body and "&#x27;" not in mail.body
    html = {mimetype: content for content, mimetype in mail.alternatives}["text/html"]
    assert "&lt;Tom &amp; Jerry&#x27;s&gt;" in html and "<Tom & Jerry's>" not in html
    assert "&lt;now&gt;" in html and "<now>" not in html


def test_finding_15_account_mail_text_keeps_the_raw_name(make_user, committed, mailoutbox):
    from okpay.accounts.actions import password_reset_email_send

    make_user(email="jerry@example.com", full_name="<Tom & Jerry's>", language="en")
    with committed():
        password_reset_email_send(email="jerry@example.com", ip_address="127.0.0.1")
    mail = mailoutbox[-1]
    assert "Hello <Tom & Jerry's>," in mail.body
    html = {mimetype: content for content, mimetype in mail.alternatives}["text/html"]
    assert "&lt;Tom &amp; Jerry&#x27;s&gt;" in html
