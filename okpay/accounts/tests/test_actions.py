"""The accounts actions take domain values, never the request: called from a task, a command or a
test they work the same, and their audit rows take IP address and user agent from the audit
context. Only okpay.accounts.sessions (the browser's own session) takes the request."""

import inspect

import pytest
from django.test import Client

from okpay.accounts import actions, sessions
from okpay.accounts.models import ApiToken, LoginFailure, UserSession
from okpay.accounts.tests.factories import PASSWORD
from okpay.core.audit import AuditContext, audit_context
from okpay.core.errors import DomainError
from okpay.core.models import AuditEvent


def test_no_action_takes_the_request():
    for name in actions.__all__:
        value = getattr(actions, name)
        if callable(value) and not inspect.isclass(value):
            assert "request" not in inspect.signature(value).parameters, name


def test_sessions_module_is_the_only_one_with_the_request():
    public = [
        f for n, f in vars(sessions).items() if inspect.isfunction(f) and f.__module__ == sessions.__name__
    ]
    assert public and all(
        "request" in inspect.signature(f).parameters for f in public if not f.__name__.startswith("_")
    )


def test_failed_sign_in_counts_by_network_and_audits_the_context(customer):
    context = AuditContext(ip_address="2001:db8:1:2::7", user_agent="Probe/1.0", channel="web")
    with audit_context(context):
        result = actions.credentials_check(
            email=customer.email, password="wrong", network=actions.ip_network_key(context.ip_address)
        )
    assert result.user is None and result.error == "invalid"
    failure = LoginFailure.objects.get(email=customer.email)
    assert (failure.ip_address, failure.network) == ("2001:db8:1:2::7", "2001:db8:1:2::/64")
    event = AuditEvent.objects.get(action="login.failed")
    assert (event.ip_address, event.user_agent, event.subject_user) == (
        "2001:db8:1:2::7",
        "Probe/1.0",
        customer,
    )


def test_right_password_passes_without_a_session(customer):
    result = actions.credentials_check(email=" WANG@example.com ", password=PASSWORD, network="192.0.2.1")
    assert result.user == customer and result.error is None
    assert not UserSession.objects.exists()  # signing in is sessions.sign_in's part


def test_token_actions_take_the_user(customer, customer_en):
    token, secret = actions.api_token_create(user=customer, name="shop", scope="write")
    assert secret.startswith(f"okp_{token.prefix}_")
    assert not actions.api_token_revoke(user=customer_en, token_id=token.pk)  # not theirs
    assert actions.api_token_revoke(user=customer, token_id=token.pk)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    with pytest.raises(DomainError) as refused:
        actions.api_token_create(user=customer, name="x", scope="admin")
    assert refused.value.code == "invalid_scope"


def test_password_change_counts_only_the_other_sessions(client, customer, signed_in, committed):
    signed_in(customer)
    other = signed_in(customer, Client())
    with committed():
        response = client.post(
            "/accounts/password/change/",
            {
                "current_password": PASSWORD,
                "new_password1": "a-new-pass-word-7",
                "new_password2": "a-new-pass-word-7",
            },
        )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="password.changed").data["sessions_ended"] == 1
    # this browser's row follows the rotated session key; the other browser's is gone
    assert list(UserSession.objects.filter(user=customer).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
    assert other.get("/accounts/profile/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
