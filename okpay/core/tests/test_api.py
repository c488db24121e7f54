import json

import pytest
from django.test import Client

from okpay.accounts.models import ApiToken
from okpay.core.models import AuditEvent

pytestmark = pytest.mark.smoke


def create_token(client, name="cli", scope="read") -> str:
    response = client.post("/accounts/api-tokens/", {"name": name, "scope": scope})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.context["new_token"]


def test_me_without_auth_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["error"]["message"] == "请先登录，或提供有效的 API 令牌。"


def test_me_with_session(client, customer, signed_in):
    signed_in(customer)
    body = client.get("/api/v1/me").json()
    assert body["email"] == customer.email and body["role"] == "customer" and body["language"] == "zh-hans"


def test_token_is_shown_once_stored_hashed_and_works(client, customer, signed_in):
    signed_in(customer)
    token = create_token(client)
    row = ApiToken.objects.get(user=customer)
    assert token.startswith(f"okp_{row.prefix}_")
    assert token.split("_", 2)[2] not in row.secret_hash
    assert token not in client.get("/accounts/api-tokens/").content.decode()
    body = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["email"] == customer.email
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_read_token_cannot_write_and_write_token_can(client, customer, signed_in):
    signed_in(customer)
    read, write = create_token(client, "r", "read"), create_token(client, "w", "write")
    api = Client()
    denied = api.patch(
        "/api/v1/me",
        json.dumps({"language": "en"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read}",
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    customer.refresh_from_db()
    assert customer.language == "zh-hans"
    allowed = api.patch(
        "/api/v1/me",
        json.dumps({"language": "en", "name": "王"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {write}",
    )
    assert allowed.status_code == 200 and allowed.json()["language"] == "en"


def test_revoked_or_forged_tokens_are_refused(client, customer, signed_in):
    signed_in(customer)
    token = create_token(client)
    row = ApiToken.objects.get(user=customer)
    forged = token[:-4] + "AAAA"
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401
    client.post(f"/accounts/api-tokens/{row.pk}/revoke/")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_cannot_revoke_another_users_token(client, customer, customer_en, signed_in):
    signed_in(customer_en)
    create_token(client)
    theirs = ApiToken.objects.get(user=customer_en)
    other = signed_in(customer, Client())
    other.post(f"/accounts/api-tokens/{theirs.pk}/revoke/")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_session_writes_need_csrf(customer):
    client = Client(enforce_csrf_checks=True)
    from okpay.accounts.tests.factories import PASSWORD

    page = client.get("/accounts/login/")
    client.post(
        "/accounts/login/",
        {"email": customer.email, "password": PASSWORD, "csrfmiddlewaretoken": page.context["csrf_token"]},
    )
    response = client.patch("/api/v1/me", json.dumps({"language": "en"}), content_type="application/json")
    assert response.status_code in (401, 403)
    customer.refresh_from_db()
    assert customer.language == "zh-hans"


def test_validation_errors_use_the_error_shape(client, customer, signed_in):
    signed_in(customer)
    token = create_token(client, scope="write")
    response = Client().patch(
        "/api/v1/me",
        json.dumps({"language": "klingon"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"] == "The request is not valid."
    bad_tz = Client().patch(
        "/api/v1/me",
        json.dumps({"time_zone": "Mars/Base"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert bad_tz.status_code == 422 and bad_tz.json()["error"]["code"] == "invalid_time_zone"
    garbage = Client().patch(
        "/api/v1/me", "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert garbage.status_code in (400, 422) and "error" in garbage.json()


def test_unknown_api_path_is_json_404(client, db):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404


def test_openapi_document_lists_me(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_token_form_errors(client, customer, signed_in):
    signed_in(customer)
    response = client.post("/accounts/api-tokens/", {"name": "", "scope": "root"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
