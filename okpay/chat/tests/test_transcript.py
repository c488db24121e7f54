"""'Email me this transcript': the messages go only to a signed-in customer's verified address; any
other address gets a link to read them here (never visitor-written text), valid for a week; limited
per chat and per address; only the chat's own customer may ask."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from okpay.core.models import AuditEvent

pytestmark = pytest.mark.django_db

BASE = "/api/v1/chat"


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def chat_with_messages(client, text="我的转账<b>到哪了</b>") -> dict:
    chat = post(client, f"{BASE}/conversations").json()
    assert (
        post(
            client, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m1", "text": text}
        ).status_code
        == 201
    )
    return chat


def test_a_verified_customer_gets_the_messages_in_their_language(client, customer, committed, mailoutbox):
    client.force_login(customer)
    chat = chat_with_messages(client)
    with committed():
        response = post(client, f"{BASE}/conversations/{chat['id']}/transcript")
    assert response.status_code == 200, response.content
    assert response.json() == {"sent": "transcript", "to": customer.email}
    [mail] = mailoutbox
    assert mail.to == [customer.email] and mail.subject == "您与 OKPay 的聊天记录"
    assert "我的转账<b>到哪了</b>" in mail.body  # plain text as written
    html = mail.alternatives[0][0]
    assert "我的转账&lt;b&gt;到哪了&lt;/b&gt;" in html  # escaped in HTML
    assert "OKPay 智能助手: bot: " in mail.body  # the (scripted) bot answer is in it
    assert AuditEvent.objects.filter(action="chat.transcript_sent").count() == 1


def test_a_guest_gets_only_a_link_and_the_link_shows_the_chat(committed, mailoutbox):
    guest = Client()
    post(guest, f"{BASE}/guest")
    chat = chat_with_messages(guest, text="Call me at +44 20 7946 0000, Tom & Jerry's")
    assert (
        post(guest, f"{BASE}/conversations/{chat['id']}/transcript").json()["error"]["code"]
        == "email_required"
    )
    with committed():
        response = post(
            guest, f"{BASE}/conversations/{chat['id']}/transcript", {"email": "victim@example.com"}
        )
    assert response.json() == {"sent": "link", "to": "victim@example.com"}
    [mail] = mailoutbox
    assert "Tom" not in mail.body and "7946" not in mail.body and "Tom" not in mail.alternatives[0][0]
    link = next(line for line in mail.body.splitlines() if "/chat/transcript/" in line).strip()
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = Client().get("/" + path)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Tom &amp; Jerry&#x27;s" in content and page["X-Robots-Tag"] == "noindex"


def test_an_unverified_account_gets_a_link_not_the_messages(client, make_user, committed, mailoutbox):
    user = make_user(email="new@example.com", verified=False)
    client.force_login(user)
    chat = chat_with_messages(client, text="secret words")
    with committed():
        response = post(
            client, f"{BASE}/conversations/{chat['id']}/transcript", {"email": "other@example.com"}
        )
    assert response.json()["sent"] == "link"
    [mail] = mailoutbox
    assert "secret words" not in mail.body


def test_an_old_or_forged_link_does_not_work(client, customer, settings):
    from okpay.chat.actions import transcript_token
    from okpay.chat.models import Conversation

    client.force_login(customer)
    chat = chat_with_messages(client)
    token = transcript_token(Conversation.objects.get(pk=chat["id"]))
    assert Client().get(f"/chat/transcript/{token}/").status_code == 200
    assert Client().get(f"/chat/transcript/{token}x/").status_code == 404
    later = timezone.now() + timedelta(days=settings.OKPAY_CHAT_TRANSCRIPT_LINK_DAYS, minutes=1)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert Client().get(f"/chat/transcript/{token}/").status_code == 404


def test_limits_an_empty_chat_and_another_customers_chat(client, customer, customer_en, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_transcript_per_conversation": (2, 3600)}
    client.force_login(customer)
    empty = post(client, f"{BASE}/conversations").json()
    assert (
        post(client, f"{BASE}/conversations/{empty['id']}/transcript").json()["error"]["code"]
        == "transcript_empty"
    )
    chat = chat_with_messages(client)
    assert post(client, f"{BASE}/conversations/{chat['id']}/transcript").status_code == 200
    assert post(client, f"{BASE}/conversations/{chat['id']}/transcript").status_code == 200
    third = post(client, f"{BASE}/conversations/{chat['id']}/transcript")
    assert third.status_code == 429 and third.json()["error"]["code"] == "rate_limited"
    other = Client()
    other.force_login(customer_en)
    assert post(other, f"{BASE}/conversations/{chat['id']}/transcript").status_code == 404


@pytest.mark.parametrize(
    "email", ["a\x00@example.com", "\ud800@example.com", "x" * 300 + "@example.com", "nobody"]
)
def test_bad_addresses_get_a_4xx_and_send_nothing(email, mailoutbox):
    guest = Client()
    post(guest, f"{BASE}/guest")
    chat = chat_with_messages(guest)
    response = guest.post(
        f"{BASE}/conversations/{chat['id']}/transcript",
        json.dumps({"email": email}),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert mailoutbox == []
