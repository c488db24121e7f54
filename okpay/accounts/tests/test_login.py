from datetime import timedelta

import pytest
from django.test import Client

from okpay.accounts.models import AccountLock, UserSession
from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent

pytestmark = pytest.mark.smoke


def login(client, email, password):
    return client.post("/accounts/login/", {"email": email, "password": password})


def test_login_with_email_case_insensitive_records_session_and_audit(client, customer):
    response = login(client, "WANG@Example.com", PASSWORD)
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert UserSession.objects.filter(user=customer, session_key=client.session.session_key).exists()
    assert AuditEvent.objects.filter(action="login.succeeded", actor=customer).count() == 1


def test_wrong_password_and_unknown_email_get_the_same_generic_message(client, customer):
    wrong = login(client, customer.email, "wrong-password-1")
    unknown = login(Client(), "ghost@example.com", "wrong-password-1")
    assert wrong.status_code == unknown.status_code == 400
    generic = "邮箱地址或密码不正确。"
    assert generic in wrong.content.decode() and generic in unknown.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(client, customer, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    for _ in range(4):
        assert login(client, customer.email, "nope-nope-1").status_code == 400
    fifth = login(client, customer.email, "nope-nope-1")
    assert fifth.status_code == 429
    right = login(client, customer.email, PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login.locked", subject_user=customer).count() == 1
    assert AuditEvent.objects.filter(action="login.refused_locked").count() == 1

    time_machine.shift(timedelta(minutes=15, seconds=1))
    assert login(client, customer.email, PASSWORD).status_code == 302


def test_lock_time_doubles_on_repeat(client, customer, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    for _ in range(5):
        login(client, customer.email, "nope-nope-1")
    first = AccountLock.objects.get(email=customer.email)
    assert first.locked_until - first.last_locked_at == timedelta(minutes=15)
    time_machine.shift(timedelta(minutes=16))
    for _ in range(5):
        login(client, customer.email, "nope-nope-1")
    second = AccountLock.objects.get(email=customer.email)
    assert second.lock_count == 2
    assert second.locked_until - second.last_locked_at == timedelta(minutes=30)


def test_failures_spread_beyond_15_minutes_do_not_lock(client, customer, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    for _ in range(4):
        login(client, customer.email, "nope-nope-1")
    time_machine.shift(timedelta(minutes=16))
    assert login(client, customer.email, "nope-nope-1").status_code == 400
    assert login(client, customer.email, PASSWORD).status_code == 302


def test_unknown_email_locks_too_so_lockout_reveals_nothing(client, db):
    for _ in range(5):
        response = login(client, "ghost@example.com", "nope-nope-1")
    assert response.status_code == 429


def test_successful_login_clears_failures(client, customer):
    for _ in range(4):
        login(client, customer.email, "nope-nope-1")
    assert login(client, customer.email, PASSWORD).status_code == 302
    other = Client()
    for _ in range(4):
        assert login(other, customer.email, "nope-nope-1").status_code == 400


def test_unverified_account_cannot_sign_in_and_gets_a_new_link(client, make_user, committed, mailoutbox):
    user = make_user(email="new@example.com", verified=False)
    with committed():
        response = login(client, user.email, PASSWORD)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_next_parameter_is_followed_only_when_local(client, customer):
    response = client.post(
        "/accounts/login/?next=/accounts/security/", {"email": customer.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/security/"
    other = Client()
    response = other.post(
        "/accounts/login/?next=https://evil.example/", {"email": customer.email, "password": PASSWORD}
    )
    assert response["Location"] == "/account/"  # the customer's own start page, not the foreign one


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("customer", "/account/"),
        ("merchant", "/merchant/"),
        ("agent", "/console/"),
        ("supervisor", "/console/"),
    ],
)
def test_without_next_everyone_lands_on_their_own_start_page(client, make_user, role, landing):
    user = make_user(email=f"{role}@example.com", role=role)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == landing
    # signed in already: the login page sends them there too
    assert client.get("/accounts/login/")["Location"] == landing


def test_logout_requires_post_and_ends_the_session(client, customer, signed_in):
    signed_in(customer)
    key = client.session.session_key
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()
    assert client.get("/accounts/profile/").status_code == 302
