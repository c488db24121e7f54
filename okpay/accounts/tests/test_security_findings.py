"""Regression tests for the accounts findings of the security probe (issue 10): 3 (API tokens survived a
password reset or change), 4 (sign-up timing told whether an address is taken), 5 (/admin/login/
bypassed lockout, audit and session list), 12 (no per-network or global failure budget on sign-in),
16 (the reset token reached the access log)."""

import io
import logging
import logging.config
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from okpay.accounts.log_filters import REDACTED, ResetTokenRedactFilter, reset_tokens_redact
from okpay.accounts.models import ApiToken, LoginFailure, User, UserSession
from okpay.accounts.tests.factories import PASSWORD
from okpay.accounts.tokens import password_reset_tokens
from okpay.core.models import AuditEvent

pytestmark = pytest.mark.smoke

NEW_PASSWORD = "a-brand-new-passphrase-42"


def login(client, email, password, **extra):
    return client.post("/accounts/login/", {"email": email, "password": password}, **extra)


def token_create(client, name, scope) -> str:
    response = client.post("/accounts/api-tokens/", {"name": name, "scope": scope})
    assert response.status_code == 200
    return response.context["new_token"]


def token_works(token: str) -> bool:
    status = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
    assert status in (200, 401)
    return status == 200


# --- 3: API tokens and passwords ---------------------------------------------------------------


def reset_password_through_the_email(committed, user):
    browser = Client()
    with committed():
        browser.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http\S+(/accounts/password/reset/\S+/\S+/)", mail.outbox[-1].body).group(1)
    form_url = browser.get(link)["Location"]
    with committed():
        done = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password/reset/done/"


@pytest.mark.parametrize(
    ("who", "notice_subject", "notice_text"),
    [
        ("customer", "您的 OKPay 密码已更改", "您的 2 个 API 令牌已全部撤销"),
        ("customer_en", "Your OKPay password was changed", "All 2 of your API tokens have been revoked"),
    ],
)
def test_finding_03_password_reset_revokes_every_api_token_and_says_so(
    request, client, signed_in, committed, customer_en, who, notice_subject, notice_text
):
    user = request.getfixturevalue(who)
    bystander_browser = signed_in(customer_en, Client()) if who != "customer_en" else None
    signed_in(user)
    write, read = token_create(client, "shop", "write"), token_create(client, "report", "read")
    bystander = token_create(bystander_browser, "other", "read") if bystander_browser else None
    assert token_works(write) and token_works(read)

    reset_password_through_the_email(committed, user)

    assert not token_works(write) and not token_works(read)
    assert ApiToken.objects.filter(user=user, revoked_at=None).count() == 0
    if bystander:
        assert token_works(bystander)  # only the reset account's tokens
    revocations = AuditEvent.objects.filter(action="api_token.revoked", subject_user=user)
    assert sorted(e.data["reason"] for e in revocations) == ["password_reset", "password_reset"]
    assert sorted(e.data["id"] for e in revocations) == sorted(
        ApiToken.objects.filter(user=user).values_list("pk", flat=True)
    )
    completed = AuditEvent.objects.get(action="password_reset.completed", subject_user=user)
    assert completed.data["api_tokens_revoked"] == 2
    notice = mail.outbox[-1]
    assert notice.to == [user.email] and notice.subject == notice_subject
    assert notice_text in notice.body
    assert notice_text in notice.alternatives[0][0]
    assert "/accounts/api-tokens/" in notice.body


def test_finding_03_password_reset_without_tokens_does_not_mention_them(client, committed, customer):
    reset_password_through_the_email(committed, customer)
    assert "API" not in mail.outbox[-1].body
    assert not AuditEvent.objects.filter(action="api_token.revoked").exists()


def change_password(client, committed, **extra):
    with committed():
        return client.post(
            "/accounts/password/change/",
            {
                "current_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
                **extra,
            },
        )


def test_finding_03_password_change_offers_to_revoke_api_tokens_ticked_by_default(
    client, signed_in, committed, customer
):
    signed_in(customer)
    write, read = token_create(client, "shop", "write"), token_create(client, "report", "read")
    page = client.get("/accounts/password/change/").content.decode()
    checkbox = re.search(r'<input type="checkbox" name="revoke_api_tokens"[^>]*>', page)
    assert checkbox and "checked" in checkbox.group(0)
    assert "同时撤销我的 2 个 API 令牌" in page

    response = change_password(client, committed, revoke_api_tokens="on")

    assert response.status_code == 302
    assert not token_works(write) and not token_works(read)
    revocations = AuditEvent.objects.filter(action="api_token.revoked", actor=customer, subject_user=customer)
    assert [e.data["reason"] for e in revocations] == ["password_change", "password_change"]
    assert AuditEvent.objects.get(action="password.changed").data["api_tokens_revoked"] == 2
    assert "您的 2 个 API 令牌已全部撤销" in mail.outbox[-1].body
    assert "已撤销 2 个 API 令牌。" in client.get("/accounts/security/").content.decode()


def test_finding_03_password_change_keeps_tokens_when_the_box_is_unticked(
    client, signed_in, committed, customer
):
    signed_in(customer)
    write = token_create(client, "shop", "write")
    assert change_password(client, committed).status_code == 302  # an unticked box is not sent
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert token_works(write)
    assert not AuditEvent.objects.filter(action="api_token.revoked").exists()
    assert "API" not in mail.outbox[-1].body


def test_finding_03_wrong_current_password_revokes_nothing(client, signed_in, customer):
    signed_in(customer)
    write = token_create(client, "shop", "write")
    response = client.post(
        "/accounts/password/change/",
        {
            "current_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "revoke_api_tokens": "on",
        },
    )
    assert response.status_code == 400
    assert token_works(write)
    assert not AuditEvent.objects.filter(action="api_token.revoked").exists()


def test_finding_03_no_checkbox_without_tokens(client, signed_in, customer):
    signed_in(customer)
    ApiToken.objects.create(
        user=customer, name="old", prefix="dead", secret_hash="x", revoked_at="2026-01-01T00:00Z"
    )
    assert "revoke_api_tokens" not in client.get("/accounts/password/change/").content.decode()


# --- 4: sign-up timing -------------------------------------------------------------------------


def test_finding_04_signup_for_a_taken_address_hashes_the_password_too(committed, customer):
    hasher_class = type(get_hasher("default"))
    original = hasher_class.encode

    def signup(email):
        counting = mock.patch.object(hasher_class, "encode", autospec=True, side_effect=original)
        with counting as encode, committed():
            response = Client().post(
                "/accounts/signup/",
                {
                    "email": email,
                    "full_name": "Li Lei",
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                },
            )
        assert response["Location"] == "/accounts/signup/done/"
        return encode.call_count

    new_path = signup("li.lei@example.com")
    taken_path = signup(customer.email)

    assert new_path >= 1
    assert taken_path == new_path
    assert User.objects.get(email="li.lei@example.com").check_password(NEW_PASSWORD)
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)  # the taken path changed nothing
    assert [m.to for m in mail.outbox] == [["li.lei@example.com"], [customer.email]]  # one email each


# --- 5: /admin/login/ --------------------------------------------------------------------------


def test_finding_05_admin_login_never_checks_a_password(client, admin_user):
    for _ in range(12):
        response = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": "x"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    right = client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert right.status_code == 302 and right["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()


def test_finding_05_admin_sign_in_goes_through_the_products_sign_in(client, admin_user):
    first = client.get("/admin/")
    assert first.status_code == 302
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert client.get(second["Location"]).status_code == 200
    signed = client.post(second["Location"], {"email": admin_user.email, "password": PASSWORD})
    assert signed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert UserSession.objects.filter(user=admin_user, session_key=client.session.session_key).exists()
    assert AuditEvent.objects.filter(action="login.succeeded", actor=admin_user).count() == 1


def test_finding_05_admin_login_does_not_bypass_the_lock_or_sign_out_others(client, admin_user, signed_in):
    attacker = Client()
    for _ in range(django_settings.OKPAY_LOCKOUT_FAILURES):
        login(attacker, admin_user.email, "wrong-password-1")
    assert AuditEvent.objects.filter(action="login.locked", subject_user=admin_user).count() == 1
    attacker.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert attacker.get("/admin/").status_code == 302
    assert "_auth_user_id" not in attacker.session

    # A session opened for the admin (via the product's sign-in) ends with "sign out other sessions".
    AuditEvent.objects.all().delete()
    from okpay.accounts.models import AccountLock

    AccountLock.objects.all().delete()
    admin_browser = signed_in(admin_user, Client())
    assert admin_browser.get("/admin/").status_code == 200
    signed_in(admin_user)
    client.post("/accounts/security/sessions/end-others/")
    assert admin_browser.get("/admin/").status_code == 302


def test_finding_05_admin_sign_out_and_password_change_are_the_products(client, admin_user, signed_in):
    signed_in(admin_user)
    assert client.get("/admin/password_change/")["Location"] == "/accounts/password/change/"
    assert client.get("/admin/logout/").status_code == 405
    key = client.session.session_key
    assert client.post("/admin/logout/")["Location"] == "/"
    assert not UserSession.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(action="logout", actor=admin_user).count() == 1
    assert client.get("/admin/").status_code == 302


def test_finding_05_admin_login_next_stays_on_this_site(client, db):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


# --- 12: failure budgets per network and site-wide ---------------------------------------------


def spray(budget: int, ip: str, per_address: int = 3) -> None:
    """`budget` failures from `ip`, spread so that no address reaches its own lock."""
    browser = Client(REMOTE_ADDR=ip)
    for n in range(budget):
        response = login(browser, f"victim{n // per_address}@example.com", "Summer2026!")
        assert response.status_code == 400, n


def test_finding_12_one_network_cannot_spray_passwords_across_accounts(customer, customer_en, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    budget = django_settings.OKPAY_LOGIN_FAILURES_PER_NETWORK
    spray(budget, "203.0.113.7")
    attacker = Client(REMOTE_ADDR="203.0.113.7")

    refused = login(attacker, customer.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 429
    assert "您所在网络的登录失败次数过多" in refused.content.decode()
    assert "18:15" in refused.content.decode()  # 10:15 UTC in Asia/Shanghai
    assert "_auth_user_id" not in attacker.session
    refused_en = login(attacker, customer_en.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many failed sign-in attempts have come from your network" in refused_en.content.decode()
    assert LoginFailure.objects.count() == budget  # refusals do not extend the pause
    event = AuditEvent.objects.filter(action="login.refused_network_limited", subject_user=customer).get()
    assert event.data["network"] == "203.0.113.7" and event.ip_address == "203.0.113.7"

    assert login(Client(REMOTE_ADDR="198.51.100.1"), customer.email, PASSWORD).status_code == 302

    time_machine.shift(timedelta(minutes=15))
    assert login(attacker, customer.email, PASSWORD).status_code == 302


def test_finding_12_ipv6_addresses_in_one_64_share_a_budget(customer, settings):
    settings.OKPAY_LOGIN_FAILURES_PER_NETWORK = 4
    for n in range(4):
        browser = Client(REMOTE_ADDR=f"2001:db8:0:1::{n + 1:x}")
        assert login(browser, f"victim{n}@example.com", "Summer2026!").status_code == 400
    assert login(Client(REMOTE_ADDR="2001:db8:0:1:ffff::9"), customer.email, PASSWORD).status_code == 429
    assert login(Client(REMOTE_ADDR="2001:db8:0:2::1"), customer.email, PASSWORD).status_code == 302


def test_finding_12_site_wide_budget_stops_a_distributed_spray(customer, settings, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    settings.OKPAY_LOGIN_FAILURES_GLOBAL = 6
    for n in range(6):  # six networks, six addresses: neither a network nor an address budget is hit
        assert (
            login(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), f"v{n}@example.com", "Summer2026!").status_code
            == 400
        )
    response = login(Client(REMOTE_ADDR="198.51.100.20"), customer.email, PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "sign-in to OKPay is paused until 18:15" in response.content.decode()
    assert (
        AuditEvent.objects.filter(action="login.refused_global_limited", subject_user=customer).count() == 1
    )
    time_machine.shift(timedelta(minutes=15))
    assert login(Client(REMOTE_ADDR="198.51.100.20"), customer.email, PASSWORD).status_code == 302


def test_finding_12_budgets_are_policy_settings():
    from config.settings import base

    policy = (
        base.OKPAY_LOGIN_FAILURE_WINDOW,
        base.OKPAY_LOGIN_FAILURES_PER_NETWORK,
        base.OKPAY_LOGIN_FAILURES_GLOBAL,
    )
    assert policy == (timedelta(minutes=15), 30, 1000)


# --- 16: the reset token in logs ---------------------------------------------------------------


def reset_path(user) -> tuple[str, str, str]:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return path, uid, token


@pytest.fixture
def uvicorn_loggers():
    """Restore the uvicorn loggers after a test configured them."""
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (lg.handlers[:], lg.filters[:], lg.level, lg.propagate)
        for name, lg in ((n, logging.getLogger(n)) for n in names)
    }
    yield
    for name, (handlers, filters, level, propagate) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers, lg.filters, lg.level, lg.propagate = handlers, filters, level, propagate


def test_finding_16_uvicorn_access_log_line_has_no_reset_token(customer, uvicorn_loggers):
    from okpay.core.management.commands.serve import uvicorn_log_config

    path, uid, token = reset_path(customer)
    logging.config.dictConfig(uvicorn_log_config())
    access = logging.getLogger("uvicorn.access")
    out = io.StringIO()
    for handler in access.handlers:
        handler.setStream(out)
    # The call uvicorn's HTTP protocol makes for every response.
    access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:51234", "GET", path, "1.1", 302)
    access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:51234", "GET", f"{path}?utm=x", "1.1", 302)

    line = out.getvalue()
    assert token not in line and uid not in line
    assert f'"GET /accounts/password/reset/{REDACTED}/{REDACTED}/ HTTP/1.1" 302' in line
    assert f"/accounts/password/reset/{REDACTED}/{REDACTED}/?utm=x" in line


def test_finding_16_django_request_log_has_no_reset_token(client, customer):
    from config.settings import base

    path, uid, token = reset_path(customer)
    customer.set_password(NEW_PASSWORD)  # the token is now spent: the link answers 400, which is logged
    customer.save()
    request_logger = logging.getLogger("django.request")
    test_level = request_logger.level
    logging.config.dictConfig(base.LOGGING)  # what runs outside tests
    request_logger.setLevel(logging.NOTSET)  # the test settings quieten it; base does not
    out = io.StringIO()
    try:
        for handler in logging.getLogger().handlers:
            handler.setStream(out)
        assert client.get(path).status_code == 400
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
        request_logger.setLevel(test_level)
    line = out.getvalue()
    assert "Bad Request" in line
    assert token not in line and uid not in line and REDACTED in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/accounts/password/reset/MQ/set-password/", f"/accounts/password/reset/{REDACTED}/set-password/"),
        ("/accounts/password/reset/sent/", "/accounts/password/reset/sent/"),
        ("/accounts/password/reset/done/", "/accounts/password/reset/done/"),
        (
            "/accounts/login/?next=%2Faccounts%2Fpassword%2Freset%2FMQ%2Fcxyz-abc%2F",
            f"/accounts/login/?next=%2Faccounts%2Fpassword%2Freset%2F{REDACTED}%2F{REDACTED}%2F",
        ),
    ],
)
def test_finding_16_only_reset_secrets_are_redacted(text, expected):
    assert reset_tokens_redact(text) == expected


def test_finding_16_filter_knows_the_token_free_step_of_the_view():
    from okpay.accounts.log_filters import TOKEN_FREE_STEP
    from okpay.accounts.views import RESET_TOKEN_IN_URL

    assert TOKEN_FREE_STEP == RESET_TOKEN_IN_URL


def test_finding_16_filter_keeps_the_record_and_rewrites_mapping_args():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%(path)s", ({"path": "/accounts/password/reset/MQ/abc-def/"},), None
    )
    assert ResetTokenRedactFilter().filter(record) is True
    assert record.getMessage() == f"/accounts/password/reset/{REDACTED}/{REDACTED}/"
