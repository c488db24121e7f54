import json

import pytest
from django.test import Client

from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import rates_refresh
from okpay.wallet.ledger import wallet_account
from okpay.wallet.models import Payment

pytestmark = pytest.mark.smoke


@pytest.fixture
def api(make_user, db):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    user = make_user(email="api@example.com", verification_level=2, language="en")
    topup_demo(user=user, amount_minor=100_000, currency="CNY", key="seed")
    ApiToken.objects.create(
        user=user, name="t", prefix="abc123abc123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    ApiToken.objects.create(
        user=user, name="r", prefix="def456def456", secret_hash=api_token_hash("r3ad"), scope="read"
    )
    client = Client(HTTP_AUTHORIZATION="Bearer okp_abc123abc123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    client.user = user
    client.read_only = Client(HTTP_AUTHORIZATION="Bearer okp_def456def456_r3ad")
    return client


@pytest.fixture
def merchant(make_user):
    return make_user(email="m@example.com", role="merchant")


def post(client, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_balances_and_transactions(api):
    assert api.get("/api/v1/wallet/balances").json() == [
        {"currency": "CNY", "available_minor": 100_000, "posted_minor": 100_000, "pending_out_minor": 0}
    ]
    page = api.get("/api/v1/wallet/transactions").json()
    assert page["results"][0]["kind"] == "topup" and page["next_cursor"] is None


def test_payment_needs_an_idempotency_key(api, merchant):
    response = post(
        api, "/api/v1/wallet/payments", {"merchant_id": merchant.pk, "amount": "10", "currency": "CNY"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"
    assert Payment.objects.count() == 0


def test_same_key_same_request_replays_and_different_request_conflicts(api, merchant):
    body = {"merchant_id": merchant.pk, "amount": "10.50", "currency": "CNY", "description": "tea"}
    first = post(api, "/api/v1/wallet/payments", body, key="pay-1")
    second = post(api, "/api/v1/wallet/payments", body, key="pay-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    conflict = post(api, "/api/v1/wallet/payments", {**body, "amount": "11"}, key="pay-1")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1
    assert wallet_account(api.user, "CNY").available_balance == 100_000 - 1050


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("-1", "CNY", "amount_not_positive"),
        ("0", "CNY", "amount_not_positive"),
        ("99999999999999999", "CNY", "amount_too_large"),
        ("abc", "CNY", "invalid_amount"),
        # finding 17: plain decimal notation only
        ("1e2", "CNY", "invalid_amount"),
        ("1e9999", "CNY", "invalid_amount"),
        ("1_000", "CNY", "invalid_amount"),
        ("１００", "CNY", "invalid_amount"),
        ("١٠٠", "CNY", "invalid_amount"),
        ("1,00", "CNY", "invalid_amount"),
        ("NaN", "CNY", "invalid_amount"),
        # finding 7: a payment the fee would swallow is refused, not a 500
        ("0.01", "CNY", "amount_too_small"),
        ("0.99", "CNY", "amount_too_small"),
        ("1.001", "CNY", "too_many_decimals"),
        ("10", "XXX", "unsupported_currency"),
        ("5000", "CNY", "insufficient_funds"),
    ],
)
def test_bad_payments_are_refused_without_moving_money(api, merchant, amount, currency, code):
    response = post(
        api,
        "/api/v1/wallet/payments",
        {"merchant_id": merchant.pk, "amount": amount, "currency": currency},
        key=f"bad-{code}",
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == code
    assert Payment.objects.count() == 0
    assert wallet_account(api.user, "CNY").available_balance == 100_000
    retry = post(
        api,
        "/api/v1/wallet/payments",
        {"merchant_id": merchant.pk, "amount": "1", "currency": "CNY"},
        key=f"bad-{code}",
    )
    assert retry.status_code == 201  # validation failures are not stored against the key


def test_read_only_token_cannot_move_money(api, merchant):
    response = post(
        api.read_only,
        "/api/v1/wallet/payments",
        {"merchant_id": merchant.pk, "amount": "1", "currency": "CNY"},
        key="r",
    )
    assert response.status_code == 403
    assert Payment.objects.count() == 0


def test_quote_and_transfer_and_cancel(api):
    rates_refresh()
    quote = post(
        api,
        "/api/v1/wallet/quotes",
        {"from_currency": "CNY", "to_currency": "EUR", "amount": "100", "recipient_country": "DE"},
    ).json()
    assert quote["fee_total_minor"] == quote["fee_fixed_minor"] + quote["fee_percent_minor"]
    assert quote["markup_percent"] == "0.500"
    transfer = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": quote["id"],
            "recipient_name": "Hans Meier",
            "recipient_country": "de",
            "recipient_account": "DE89370400440532013000",
        },
        key="t-1",
    )
    assert transfer.status_code == 201 and transfer.json()["status"] == "pending"
    tid = transfer.json()["id"]
    cancelled = post(api, f"/api/v1/wallet/transfers/{tid}/cancel", {}, key="c-1")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "canceled"
    assert wallet_account(api.user, "CNY").available_balance == 100_000
    again = post(api, f"/api/v1/wallet/transfers/{tid}/cancel", {}, key="c-2")  # a refusal: 409, its code
    assert again.status_code == 409 and again.json()["error"]["code"] == "cannot_cancel"
    assert "can no longer be cancelled" in again.json()["error"]["message"]


def test_same_currency_and_tampered_quotes(api):
    rates_refresh()
    same = post(
        api,
        "/api/v1/wallet/quotes",
        {"from_currency": "CNY", "to_currency": "CNY", "amount": "10", "recipient_country": "CN"},
    )
    assert same.status_code == 400 and same.json()["error"]["code"] == "same_currency"
    bad = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": "00000000-0000-0000-0000-000000000000",
            "recipient_name": "x",
            "recipient_country": "DE",
            "recipient_account": "DE89370400",
        },
        key="t-x",
    )
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "quote_not_found"


def test_other_users_objects_are_404(api, make_user):
    other = make_user(email="o@example.com")
    row = topup_demo(user=other, amount_minor=100, currency="CNY", key="o")
    assert api.get(f"/api/v1/wallet/transactions/{row.pk}").status_code == 404


def test_bad_cursor_is_a_clear_error(api):
    response = api.get("/api/v1/wallet/transactions", {"cursor": "garbage"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_cursor"
