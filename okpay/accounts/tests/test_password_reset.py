import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings

from okpay.accounts.models import User, UserSession
from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent

pytestmark = pytest.mark.smoke

NEW_PASSWORD = "a-brand-new-passphrase-42"


def reset_link(message) -> str:
    match = re.search(r"(http\S+/accounts/password/reset/\S+/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def request_reset(client, committed, email, **extra):
    with committed():
        return client.post("/accounts/password/reset/", {"email": email}, **extra)


def test_login_page_links_to_forgot_password(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "忘记密码？" in response.content.decode()
    assert 'href="/accounts/password/reset/"' in response.content.decode()


def test_unknown_email_gets_the_same_response_and_no_email(client, committed, customer):
    known = request_reset(client, committed, customer.email)
    unknown = request_reset(Client(), committed, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert [m.to for m in mail.outbox] == [[customer.email]]
    page_known = client.get(known["Location"]).content
    page_unknown = Client().get(unknown["Location"]).content

    def strip(html):
        return re.sub(
            rb'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"|"X-CSRFToken": "[^"]+"|"csrf": "[^"]+"',
            b"",
            html,
        )

    assert strip(page_known) == strip(page_unknown)


def test_email_is_in_the_users_language_and_link_uses_site_url(
    client, committed, customer, customer_en, settings
):
    request_reset(client, committed, customer.email)
    request_reset(client, committed, customer_en.email)
    zh, en = mail.outbox
    assert zh.subject == "重置您的 OKPay 密码"
    assert en.subject == "Reset your OKPay password"
    assert reset_link(zh).startswith(settings.SITE_URL + "/accounts/password/reset/")
    assert "20" in en.body


@override_settings(ALLOWED_HOSTS=["*"])
def test_host_header_is_ignored(client, committed, customer, settings):
    request_reset(client, committed, customer.email, HTTP_HOST="evil.example")
    link = reset_link(mail.outbox[0])
    assert "evil.example" not in link
    assert link.startswith(settings.SITE_URL)


def test_full_reset_sets_password_ends_sessions_and_does_not_log_in(client, committed, customer, signed_in):
    other_device = signed_in(customer, Client())
    assert other_device.get("/accounts/profile/").status_code == 200
    assert UserSession.objects.filter(user=customer).count() == 1

    request_reset(client, committed, customer.email)
    link = reset_link(mail.outbox[0])
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].endswith("/set-password/")
    assert response["Referrer-Policy"] == "no-referrer"
    form_page = client.get(response["Location"])
    assert form_page.status_code == 200
    assert link.rstrip("/").rsplit("/", 1)[1] not in response["Location"]
    with committed():
        done = client.post(
            response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert done["Location"] == "/accounts/password/reset/done/"

    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert UserSession.objects.filter(user=customer).count() == 0
    assert other_device.get("/accounts/profile/").status_code == 302  # signed out
    assert "_auth_user_id" not in client.session  # no auto-login
    assert client.get("/accounts/profile/").status_code == 302
    notice = mail.outbox[-1]
    assert notice.to == [customer.email] and notice.subject == "您的 OKPay 密码已更改"
    assert AuditEvent.objects.filter(action="password_reset.completed", subject_user=customer).count() == 1


def test_token_cannot_be_used_twice(client, committed, customer):
    request_reset(client, committed, customer.email)
    link = reset_link(mail.outbox[0])
    target = client.get(link)["Location"]
    client.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = Client().get(link)
    assert again.status_code == 400
    assert "只能使用一次" in again.content.decode() or "20" in again.content.decode()
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_token_expires_after_20_minutes(client, committed, customer, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    request_reset(client, committed, customer.email)
    link = reset_link(mail.outbox[0])
    time_machine.shift(timedelta(minutes=19))
    assert client.get(link).status_code == 302
    time_machine.shift(timedelta(minutes=2))
    assert Client().get(link).status_code == 400


def test_expired_token_in_session_is_refused_on_submit(client, committed, customer, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    request_reset(client, committed, customer.email)
    target = client.get(reset_link(mail.outbox[0]))["Location"]
    time_machine.shift(timedelta(minutes=21))
    response = client.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_mismatched_or_weak_password_is_refused_and_nothing_changes(client, committed, customer):
    request_reset(client, committed, customer.email)
    target = client.get(reset_link(mail.outbox[0]))["Location"]
    mismatch = client.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert "两次输入的密码不一致" in mismatch.content.decode()
    weak = client.post(target, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_at_most_three_reset_emails_per_account_per_hour(client, committed, customer):
    for _ in range(5):
        response = request_reset(Client(REMOTE_ADDR=f"10.0.0.{len(mail.outbox)}"), committed, customer.email)
        assert response.status_code == 302  # the page never tells
    assert len(mail.outbox) == 3
    assert (
        AuditEvent.objects.filter(action="password_reset.account_rate_limited", subject_user=customer).count()
        == 2
    )


def test_at_most_ten_requests_per_ip_per_hour(committed, make_user):
    client = Client(REMOTE_ADDR="192.0.2.7")
    for n in range(10):
        assert request_reset(client, committed, f"user{n}@example.com").status_code == 302
    response = request_reset(client, committed, "user11@example.com")
    assert response.status_code == 429
    assert "请求过于频繁" in response.content.decode()


def test_invalid_link_shows_clear_error(client, db):
    response = client.get("/accounts/password/reset/MQ/not-a-token/")
    assert response.status_code == 400
    assert response["Referrer-Policy"] == "no-referrer"
    response = client.get("/accounts/password/reset/%%%/set-password/")
    assert response.status_code in (400, 404)


def test_invalid_email_input_is_a_form_error(client, db):
    response = client.post("/accounts/password/reset/", {"email": "not-an-email"})
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert not User.objects.filter(email="not-an-email").exists()
