"""Payout destinations API: list, add, remove with the password again; write scope for changes; another
customer's destination is 404 and unchanged; refusals in the API's error shape, never a 5xx."""

import json

import pytest
from django.test import Client

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent
from okpay.payouts.models import PayoutDestination

pytestmark = pytest.mark.smoke

BASE = "/api/v1/payouts/destinations"
CN_CARD = "6222021001122334458"
IBAN = "DE89370400440532013000"


def token_client(user, scope: str = "write", prefix: str = "abc123abc123") -> Client:
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    ApiToken.objects.create(
        user=user, name=scope, prefix=prefix, secret_hash=api_token_hash("s3cret"), scope=scope
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer okp_{prefix}_s3cret", HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api(customer_en):
    client = token_client(customer_en)
    client.user = customer_en
    return client


def send(client, method: str, path: str, body) -> object:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def add(client, **body):
    return send(client, "post", BASE, {"password": PASSWORD, **body})


def iban_body(**extra) -> dict:
    return {"kind": "iban", "iban": "de89 3704 0044 0532 0130 00", "holder_name": "Emma Smith", **extra}


def test_list_add_and_remove(api, committed, mailoutbox):
    assert api.get(BASE).json() == []
    with committed():
        created = add(api, **iban_body(label="Main"))
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("kind", "masked", "label", "cooling_off", "provider", "card_brand")} == {
        "kind": "iban",
        "masked": "•••• 3000",
        "label": "Main",
        "cooling_off": True,
        "provider": "",
        "card_brand": "",
    }
    assert body["bank_name"] == "Commerzbank"  # from the IBAN registry
    assert body["usable_for_large_after"] > body["created_at"]
    assert [row["id"] for row in api.get(BASE).json()] == [body["id"]]
    with committed():
        removed = send(api, "delete", f"{BASE}/{body['id']}", {"password": PASSWORD})
    assert removed.status_code == 200 and removed.json()["id"] == body["id"]
    assert api.get(BASE).json() == []
    assert PayoutDestination.objects.get(pk=body["id"]).removed_at is not None
    assert len(mailoutbox) == 2  # added, removed


def test_each_kind(api):
    cases = [
        (
            {"kind": "cn_bank_card", "card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "王小明"},
            "•••• 4458",
        ),
        ({"kind": "debit_card", "card_number": "4111 1111 1111 1111", "holder_name": "EMMA"}, "•••• 1111"),
        ({"kind": "ewallet", "provider": "paypal", "account": "Emma@Example.com"}, "em•••@example.com"),
    ]
    for body, masked in cases:
        response = add(api, **body)
        assert response.status_code == 201, response.content
        assert response.json()["masked"] == masked
    rows = {row["kind"]: row for row in api.get(BASE).json()}
    assert rows["cn_bank_card"]["bank_name"] == "Industrial and Commercial Bank of China"
    assert rows["debit_card"]["card_brand"] == "visa" and rows["ewallet"]["provider"] == "paypal"
    assert CN_CARD not in api.get(BASE).content.decode()
    assert "4111111111111111" not in api.get(BASE).content.decode()


def test_the_bank_name_follows_the_request_language(api):
    add(api, kind="cn_bank_card", card_number=CN_CARD, bank_code="ICBC", holder_name="王小明")
    chinese = api.get(BASE, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.json()[0]["bank_name"] == "中国工商银行"


def test_a_bad_iban_is_422_with_its_reason(api):
    response = add(api, **iban_body(iban="DE88370400440532013000"))
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "iban_checksum",
            "message": "This IBAN's check digits are wrong: please copy it again from your bank.",
        }
    }
    assert not PayoutDestination.objects.exists()


def test_a_wrong_password_is_403_and_nothing_is_stored(api):
    response = send(api, "post", BASE, {**iban_body(), "password": "wrong"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "reauth_password"
    assert not PayoutDestination.objects.exists()
    missing = send(api, "post", BASE, iban_body())
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"


def test_an_unknown_kind_is_422(api):
    response = add(api, kind="cash", account="x")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    assert not PayoutDestination.objects.exists()


def test_a_duplicate_is_409(api):
    assert add(api, **iban_body()).status_code == 201
    again = add(api, **iban_body())
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"


def test_remove_needs_the_password(api):
    destination_id = add(api, **iban_body()).json()["id"]
    refused = send(api, "delete", f"{BASE}/{destination_id}", {"password": "wrong"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reauth_password"
    assert PayoutDestination.objects.get(pk=destination_id).removed_at is None
    no_body = api.delete(f"{BASE}/{destination_id}")
    assert no_body.status_code == 422
    assert PayoutDestination.objects.get(pk=destination_id).removed_at is None


def test_remove_by_post_for_clients_without_delete_bodies(api):
    destination_id = add(api, **iban_body()).json()["id"]
    response = send(api, "post", f"{BASE}/{destination_id}/remove", {"password": PASSWORD})
    assert response.status_code == 200
    assert PayoutDestination.objects.get(pk=destination_id).removed_at is not None
    again = send(api, "post", f"{BASE}/{destination_id}/remove", {"password": PASSWORD})
    assert again.status_code == 404


def test_another_customers_destination_is_404_and_unchanged(api, customer):
    theirs_client = token_client(customer, prefix="zzz999zzz999")
    theirs = add(
        theirs_client, kind="cn_bank_card", card_number=CN_CARD, bank_code="ICBC", holder_name="王小明"
    )
    theirs_id = theirs.json()["id"]
    for response in (
        send(api, "delete", f"{BASE}/{theirs_id}", {"password": PASSWORD}),
        send(api, "post", f"{BASE}/{theirs_id}/remove", {"password": PASSWORD}),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert PayoutDestination.objects.get(pk=theirs_id).removed_at is None
    assert api.get(BASE).json() == []
    assert not AuditEvent.objects.filter(action="step_up.failed").exists()
    huge = send(api, "delete", f"{BASE}/{2**70}", {"password": PASSWORD})
    assert huge.status_code == 404


def test_a_read_only_token_may_list_but_not_change(api, customer_en):
    reader = token_client(customer_en, scope="read", prefix="def456def456")
    destination_id = add(api, **iban_body()).json()["id"]
    assert reader.get(BASE).status_code == 200
    refused = add(reader, **iban_body(iban="GB82WEST12345698765432"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    for response in (
        send(reader, "delete", f"{BASE}/{destination_id}", {"password": PASSWORD}),
        send(reader, "post", f"{BASE}/{destination_id}/remove", {"password": PASSWORD}),
    ):
        assert response.status_code == 403
    assert PayoutDestination.objects.filter(removed_at__isnull=True).count() == 1


def test_sign_in_is_needed(db):
    assert Client().get(BASE).status_code == 401
    assert send(Client(), "post", BASE, {**iban_body(), "password": PASSWORD}).status_code == 401


def test_staff_have_no_destinations(agent):
    client = token_client(agent)
    assert client.get(BASE).status_code == 403
    assert send(client, "post", BASE, {**iban_body(), "password": PASSWORD}).status_code == 403
    assert not PayoutDestination.objects.exists()


def test_the_session_works_with_its_csrf_token(customer_en):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer_en)
    assert browser.get(BASE).status_code == 200
    refused = send(browser, "post", BASE, {**iban_body(), "password": PASSWORD})
    assert refused.status_code == 403
    assert not PayoutDestination.objects.exists()
    browser.get("/account/withdraw/destinations/new/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    allowed = browser.post(
        BASE,
        json.dumps({**iban_body(), "password": PASSWORD}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert allowed.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        iban_body(iban="DE89\u0000370400440532013000"),
        iban_body(label="a\u0000b"),
        iban_body(iban="D" * 10_000),
        iban_body(holder_name="名" * 5_000),
        iban_body(label="x" * 100_000),
        {"kind": "iban", "password": "p" * 100_000},
        {"kind": ["iban"], "password": PASSWORD},
        {"kind": "iban", "iban": {"nested": True}, "password": PASSWORD},
    ],
)
def test_nul_and_huge_input_get_a_4xx(api, body):
    response = send(api, "post", BASE, {"password": PASSWORD, **body})
    assert 400 <= response.status_code < 500 and "error" in response.json()
    assert not PayoutDestination.objects.exists()


def test_the_endpoints_are_documented(api):
    schema = api.get("/api/v1/openapi.json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/payouts/destinations"])
    assert "delete" in schema["paths"]["/api/v1/payouts/destinations/{destination_id}"]
    assert "post" in schema["paths"]["/api/v1/payouts/destinations/{destination_id}/remove"]
