"""Regression tests for the wallet findings of the security probe (issue 10): 2 (country look-alikes
and the API's recipient validation), 7 (a 0.01 payment), 17 (amount notation). Finding 1 (limits
raced on PostgreSQL) is in test_concurrency.py."""

import json
from pathlib import Path

import pytest
from django.test import Client

from okpay.wallet import actions
from okpay.wallet.errors import WalletError
from okpay.wallet.fx import quote_create, rates_store
from okpay.wallet.international.screening import country_normalise
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import InternationalTransfer, Payment, PaymentLink, Quote
from okpay.wallet.money import parse_amount

pytestmark = pytest.mark.smoke

FIXTURE = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()


@pytest.fixture
def api(make_user, db):
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    rates_store(xml=FIXTURE)
    user = make_user(email="api@example.com", verification_level=2, language="en")
    actions.topup_demo(user=user, amount_minor=5_000_000, currency="CNY", key="seed")
    ApiToken.objects.create(
        user=user, name="t", prefix="abc123abc123", secret_hash=api_token_hash("s3cret"), scope="write"
    )
    client = Client(HTTP_AUTHORIZATION="Bearer okp_abc123abc123_s3cret", HTTP_ACCEPT_LANGUAGE="en")
    client.user = user
    return client


def post(client, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


# --- finding 2: look-alike or invalid country codes ---------------------------------------------


@pytest.mark.parametrize("country", ["KР", "ZZ", "1!", "K1", "ＺＺ", "XK"])
def test_finding_02_api_quote_refuses_countries_outside_the_allow_list(api, country):
    response = post(
        api,
        "/api/v1/wallet/quotes",
        {"from_currency": "CNY", "to_currency": "USD", "amount": "100", "recipient_country": country},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported_country"
    assert "supported countries" in response.json()["error"]["message"]
    assert Quote.objects.count() == 0


def test_finding_02_full_width_sanctioned_code_is_normalised_and_blocked(api):
    assert country_normalise("ＫＰ") == "KP" and country_normalise(" us ") == "US"
    quote = post(
        api,
        "/api/v1/wallet/quotes",
        {"from_currency": "CNY", "to_currency": "USD", "amount": "100", "recipient_country": "ＫＰ"},
    )
    assert quote.status_code == 201
    transfer = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": quote.json()["id"],
            "recipient_name": "Kim",
            "recipient_country": "ＫＰ",
            "recipient_account": "KP-0001-0002",
        },
        key="kp",
    )
    assert transfer.status_code == 201
    assert transfer.json()["status"] == "blocked" and transfer.json()["reason_codes"] == ["blocked_country"]
    assert wallet_account(api.user, "CNY").available_balance == 5_000_000


def test_finding_02_transfer_with_a_look_alike_country_changes_nothing(api):
    quote = quote_create(
        user=api.user,
        from_currency="CNY",
        to_currency="USD",
        source_amount_minor=10_000,
        recipient_country="US",
    )
    response = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": str(quote.pk),
            "recipient_name": "John",
            "recipient_country": "UЅ",  # Cyrillic Ѕ
            "recipient_account": "US-ACC-1",
        },
        key="lookalike",
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "unsupported_country"
    assert InternationalTransfer.objects.count() == 0
    quote.refresh_from_db()
    assert quote.used_at is None


@pytest.mark.parametrize("account", ["US-ACC-<1>", "ＵＳ—ＡＣＣ", "acc\u200b12345", "12"])
def test_finding_02_api_applies_the_forms_recipient_account_rule(api, account):
    quote = quote_create(
        user=api.user,
        from_currency="CNY",
        to_currency="USD",
        source_amount_minor=10_000,
        recipient_country="US",
    )
    response = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": str(quote.pk),
            "recipient_name": "John",
            "recipient_country": "US",
            "recipient_account": account,
        },
        key=f"acct-{len(account)}",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid_recipient_account", "invalid_request")
    assert InternationalTransfer.objects.count() == 0


def test_finding_02_full_width_account_is_normalised_like_the_form(api):
    quote = quote_create(
        user=api.user,
        from_currency="CNY",
        to_currency="USD",
        source_amount_minor=10_000,
        recipient_country="US",
    )
    response = post(
        api,
        "/api/v1/wallet/transfers",
        {
            "quote_id": str(quote.pk),
            "recipient_name": "John",
            "recipient_country": "us",
            "recipient_account": "ｕｓ ａｃｃ １２３",
        },
        key="fw",
    )
    assert response.status_code == 201
    assert InternationalTransfer.objects.get().recipient_account == "USACC123"


# --- finding 7: a payment the fee would swallow --------------------------------------------------


def test_finding_07_tiny_payment_is_refused_with_a_message_not_a_500(make_user):
    customer = make_user(email="c@example.com")
    merchant = make_user(email="m@example.com", role="merchant")
    actions.topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="seed")
    for amount in (1, 2, 99):
        with pytest.raises(WalletError) as refused:
            actions.payment_create(
                customer=customer,
                merchant=merchant,
                amount_minor=amount,
                currency="CNY",
                description="x",
                key=f"{amount}",
            )
        assert refused.value.code == "amount_too_small"
    payment = actions.payment_create(
        customer=customer, merchant=merchant, amount_minor=100, currency="CNY", description="x", key="ok"
    )
    assert payment.fee_minor == 1 and wallet_account(merchant, "CNY").posted_balance == 99
    assert ledger_verify() == []


def test_finding_07_tiny_payment_link_cannot_be_created(client, signed_in, make_user):
    merchant = make_user(email="m@example.com", role="merchant", language="en")
    signed_in(merchant)
    response = client.post("/merchant/links/", {"amount": "0.01", "currency": "CNY", "description": "tiny"})
    assert response.status_code == 400
    assert "The smallest payment is" in response.content.decode()
    assert PaymentLink.objects.count() == 0


def test_finding_07_old_tiny_payment_link_is_refused_when_paid(client, signed_in, make_user):
    merchant = make_user(email="m@example.com", role="merchant", language="en")
    customer = make_user(email="c@example.com", language="en")
    actions.topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="seed")
    link = PaymentLink.objects.create(
        merchant=merchant, token="tinytoken123", amount_minor=1, currency="CNY", description="old"
    )
    signed_in(customer)
    page = client.get(f"/pay/{link.token}/")
    assert page.status_code == 200
    response = client.post(f"/pay/{link.token}/", {"idempotency_key": "tiny-1", "confirm": "1"})
    assert response.status_code == 400
    assert "The smallest payment is" in response.content.decode()
    assert Payment.objects.count() == 0
    assert wallet_account(customer, "CNY").available_balance == 10_000


# --- finding 17: amounts in plain decimal notation only -------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("100", 10_000),
        (" 1,234.50 ", 123_450),
        ("0.5", 50),
        ("12345678.9", 1_234_567_890),
        ("1,000,000", 100_000_000),
    ],
)
def test_finding_17_plain_decimal_amounts_are_accepted(text, minor):
    assert parse_amount(text, "CNY") == minor


@pytest.mark.parametrize(
    "text",
    [
        "1e2",
        "1E2",
        "1_000",
        "１００",
        "١٠٠",
        "٣",
        "1,00",
        "12,3456",
        "1.",
        ".5",
        "+5",
        "0x10",
        "1 000",
        "Infinity",
    ],
)
def test_finding_17_other_notations_are_refused(text):
    with pytest.raises(WalletError) as refused:
        parse_amount(text, "CNY")
    assert refused.value.code == "invalid_amount"
