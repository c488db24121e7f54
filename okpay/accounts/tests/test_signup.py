import re

import pytest
from django.test import Client

from okpay.accounts.models import User

pytestmark = pytest.mark.smoke

NEW = "a-long-new-passphrase-7"


def signup(client, committed, email, password=NEW, password2=None, **headers):
    with committed():
        return client.post(
            "/accounts/signup/",
            {
                "email": email,
                "full_name": "Li Lei",
                "new_password1": password,
                "new_password2": password2 or password,
            },
            **headers,
        )


def verify_link(message):
    return re.search(r"http\S+(/accounts/verify/\S+/)", message.body).group(1)


def test_signup_creates_unverified_customer_in_current_language(client, committed, mailoutbox):
    response = signup(client, committed, "Li.Lei@Example.com", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == "/accounts/signup/done/"
    user = User.objects.get(email="li.lei@example.com")
    assert user.role == "customer" and user.email_verified_at is None and user.language == "en"
    assert mailoutbox[0].subject == "Verify your OKPay email address"


def test_verification_link_verifies_then_sign_in_works(client, committed, mailoutbox):
    signup(client, committed, "lilei@example.com")
    assert mailoutbox[0].subject == "验证您的 OKPay 邮箱地址"
    response = client.get(verify_link(mailoutbox[0]))
    assert response.status_code == 200
    assert User.objects.get(email="lilei@example.com").email_verified_at is not None
    assert client.post("/accounts/login/", {"email": "lilei@example.com", "password": NEW}).status_code == 302


def test_tampered_verification_link_is_refused(client, committed, mailoutbox):
    signup(client, committed, "lilei@example.com")
    response = client.get(verify_link(mailoutbox[0])[:-3] + "xx/")
    assert response.status_code == 400
    assert User.objects.get(email="lilei@example.com").email_verified_at is None


def test_existing_email_gets_the_same_page_and_a_notice_not_a_second_account(
    client, committed, customer, mailoutbox
):
    response = signup(Client(), committed, customer.email.upper())
    assert response["Location"] == "/accounts/signup/done/"
    assert User.objects.filter(email__iexact=customer.email).count() == 1
    assert mailoutbox[0].to == [customer.email]
    assert mailoutbox[0].subject == "您已拥有 OKPay 账户"
    customer.refresh_from_db()
    assert customer.full_name == "王小明"


@pytest.mark.parametrize(
    ("password", "password2"), [("short1", "short1"), (NEW, NEW + "x"), ("12345678901", "12345678901")]
)
def test_bad_passwords_are_form_errors(client, committed, password, password2):
    response = signup(client, committed, "bad@example.com", password=password, password2=password2)
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert not User.objects.filter(email="bad@example.com").exists()


def test_invalid_email_is_a_form_error(client, committed):
    response = signup(client, committed, "not an email")
    assert response.status_code == 400 and b"errorlist" in response.content
    assert User.objects.count() == 0
