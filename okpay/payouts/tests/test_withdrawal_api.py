"""Withdrawals API: quote (stores nothing), submit with the Idempotency-Key header (the same key and body
→ the one withdrawal, 201 again; another body → 409), list newest first in keyset pages, one, cancel
(the money back); write scope for changes; wallet customers only; another customer's id 404; refusals
in the API's error shape with nothing held; documented in the OpenAPI schema."""

import json

import pytest
from django.test import Client

from okpay.accounts.tests.factories import PASSWORD
from okpay.payouts.actions import destination_add
from okpay.payouts.models import Withdrawal
from okpay.payouts.providers import sandbox_sweep
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import wallet_account

pytestmark = pytest.mark.smoke

BASE = "/api/v1/payouts/withdrawals"
CN_CARD = "6222021001122334458"
START = 500_000


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"


@pytest.fixture(autouse=True)
def rates(db):
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


def token_client(user, scope: str = "write", prefix: str = "wdr123wdr123") -> Client:
    from okpay.accounts.actions import api_token_hash
    from okpay.accounts.models import ApiToken

    ApiToken.objects.create(
        user=user, name=scope, prefix=prefix, secret_hash=api_token_hash("s3cret"), scope=scope
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer okp_{prefix}_s3cret", HTTP_ACCEPT_LANGUAGE="en")


def card_for(user, cooled=True):
    added = destination_add(
        user=user,
        kind="cn_bank_card",
        data={"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "Emma Smith"},
        password=PASSWORD,
        network="203.0.113.9",
    )
    if cooled:
        added.usable_for_large_after = added.created_at
        added.save(update_fields=["usable_for_large_after"])
    return added


@pytest.fixture
def emma(customer_en):
    customer_en.verification_level = 1
    customer_en.save(update_fields=["verification_level"])
    topup_demo(user=customer_en, amount_minor=START, currency="CNY", key="seed")
    customer_en.card = card_for(customer_en)
    return customer_en


@pytest.fixture
def api(emma):
    return token_client(emma)


def balances(user) -> tuple[int, int]:
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    return account.available_balance, account.posted_balance


def body(user, **extra) -> dict:
    return {
        "amount": "100.00",
        "currency": "CNY",
        "destination_id": user.card.pk,
        "speed": "standard",
        **extra,
    }


def post(client, path, data, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, json.dumps(data), content_type="application/json", **headers)


def test_quote_stores_nothing(api, emma):
    response = post(api, f"{BASE}/quote", body(emma, amount="200"), key=None)
    assert response.status_code == 200, response.content
    quote = response.json()
    assert {k: quote[k] for k in ("amount", "fee", "amount_received", "total", "currency", "method")} == {
        "amount": "200.00",
        "fee": "1.00",
        "amount_received": "200.00",
        "total": "201.00",
        "currency": "CNY",
        "method": "bank_transfer",
    }
    assert quote["destination"]["masked"] == "•••• 4458" and quote["estimated_arrival"]
    assert CN_CARD not in response.content.decode()
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_submit_then_the_same_key_and_body_answer_the_same_withdrawal(api, emma, committed):
    with committed():
        first = post(api, BASE, body(emma))
    assert first.status_code == 201, first.content
    created = first.json()
    assert {k: created[k] for k in ("status", "amount", "fee", "amount_received", "total", "currency")} == {
        "status": "processing",  # the sandbox sends at once
        "amount": "100.00",
        "fee": "1.00",
        "amount_received": "100.00",
        "total": "101.00",
        "currency": "CNY",
    }
    assert created["method"] == "bank_transfer" and created["provider"] == "sandbox"
    assert created["destination"]["masked"] == "•••• 4458"
    assert created["reference"] == f"WD-{created['id']}"
    assert created["estimated_arrival"] > created["created_at"]
    assert balances(emma) == (START - 10_100, START)

    again = post(api, BASE, body(emma))
    assert again.status_code == 201
    assert again.json()["id"] == created["id"]
    assert Withdrawal.objects.count() == 1
    assert balances(emma) == (START - 10_100, START)  # held once

    reused = post(api, BASE, body(emma, amount="200"))
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Withdrawal.objects.count() == 1


def test_submit_needs_the_idempotency_key(api, emma):
    response = post(api, BASE, body(emma), key=None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    too_long = post(api, BASE, body(emma), key="k" * 101)
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": "0.50"}, 422, "amount_too_small"),
        ({"amount": "4999.50"}, 422, "insufficient_funds"),
        ({"speed": "instant"}, 422, "speed_unavailable"),
        ({"amount": "1e3"}, 400, "invalid_amount"),
        ({"currency": "XXX"}, 400, "unsupported_currency"),
        ({"destination_id": 999_999}, 404, "destination_not_found"),
        ({"speed": "turbo"}, 422, "invalid_request"),
        ({"destination_id": 2**70}, 422, "invalid_request"),
        ({"amount": "9" * 1000}, 422, "invalid_request"),
    ],
)
def test_refusals_hold_nothing(api, emma, change, status, code):
    for path in (BASE, f"{BASE}/quote"):
        response = post(api, path, body(emma, **change))
        assert response.status_code == status, response.content
        assert response.json()["error"]["code"] == code
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def test_limit_and_cooling_off_are_refused_at_submission(api, emma):
    emma.verification_level = 0
    emma.save(update_fields=["verification_level"])
    limit = post(api, BASE, body(emma, amount="1000"), key="a")
    assert (limit.status_code, limit.json()["error"]["code"]) == (422, "limit")
    emma.verification_level = 1
    emma.save(update_fields=["verification_level"])
    fresh = _new_cooling(emma)
    cooling = post(api, BASE, {**body(emma, amount="4500"), "destination_id": fresh.pk}, key="b")
    assert (cooling.status_code, cooling.json()["error"]["code"]) == (422, "cooling_off")
    assert not Withdrawal.objects.exists()
    assert balances(emma) == (START, START)


def _new_cooling(user):
    return destination_add(
        user=user,
        kind="ewallet",
        data={"provider": "alipay", "account": "13800138000"},
        password=PASSWORD,
        network="203.0.113.9",
    )


def test_list_newest_first_in_pages_and_one(api, emma):
    ids = [post(api, BASE, body(emma, amount=f"{n}.00"), key=f"k{n}").json()["id"] for n in (10, 20, 30)]
    page = api.get(f"{BASE}?limit=2").json()
    assert [row["id"] for row in page["results"]] == ids[::-1][:2]
    assert page["next_cursor"]
    rest = api.get(f"{BASE}?limit=2&cursor={page['next_cursor']}").json()
    assert [row["id"] for row in rest["results"]] == [ids[0]]
    assert rest["next_cursor"] is None
    assert api.get(f"{BASE}?cursor=nonsense").json()["error"]["code"] == "bad_cursor"
    one = api.get(f"{BASE}/{ids[0]}")
    assert one.status_code == 200 and one.json()["amount"] == "10.00"


def test_paid_and_failed_show_in_the_api(api, emma):
    paid = post(api, BASE, body(emma), key="p").json()
    failed = post(api, BASE, body(emma, amount="13.13"), key="f").json()
    sandbox_sweep(now=Withdrawal.objects.get(pk=failed["id"]).provider_due_at)
    assert api.get(f"{BASE}/{paid['id']}").json()["status"] == "paid"
    row = api.get(f"{BASE}/{failed['id']}").json()
    assert (row["status"], row["failure_code"]) == ("failed", "declined")
    assert row["failure_reason"] == "The receiving bank or provider declined the payment."
    assert balances(emma) == (START - 10_100, START - 10_100)


def test_cancel_gives_the_money_back(api, emma, settings, committed):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    created = post(api, BASE, body(emma)).json()
    assert created["status"] == "requested"
    with committed():
        response = api.post(f"{BASE}/{created['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert balances(emma) == (START, START)
    again = api.post(f"{BASE}/{created['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "canceled"
    assert balances(emma) == (START, START)


def test_a_withdrawal_on_its_way_cannot_be_cancelled(api, emma):
    created = post(api, BASE, body(emma)).json()
    response = api.post(f"{BASE}/{created['id']}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert balances(emma) == (START - 10_100, START)


def test_another_customers_withdrawal_is_404(api, emma, customer, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    topup_demo(user=customer, amount_minor=50_000, currency="CNY", key="c")
    customer.card = card_for(customer)
    theirs = post(token_client(customer, prefix="cus123cus123"), BASE, body(customer)).json()
    assert api.get(f"{BASE}/{theirs['id']}").status_code == 404
    assert api.post(f"{BASE}/{theirs['id']}/cancel").status_code == 404
    assert Withdrawal.objects.get(pk=theirs["id"]).status == "requested"
    assert theirs["id"] not in [row["id"] for row in api.get(BASE).json()["results"]]
    assert api.get(f"{BASE}/{2**70}").status_code in (404, 422)
    # their destination is not one of mine
    response = post(api, BASE, {**body(emma), "destination_id": customer.card.pk}, key="mine")
    assert response.status_code == 404
    assert Withdrawal.objects.filter(user=emma).count() == 0


def test_read_scope_reads_but_does_not_withdraw(emma):
    reader = token_client(emma, scope="read", prefix="rdr123rdr123")
    assert reader.get(BASE).status_code == 200
    for path in (BASE, f"{BASE}/quote", f"{BASE}/1/cancel"):
        refused = post(reader, path, body(emma))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert not Withdrawal.objects.exists()


def test_staff_and_anonymous_are_refused(agent, db):
    assert Client().get(BASE).status_code == 401
    staff = token_client(agent, prefix="agt123agt123")
    assert staff.get(BASE).status_code == 403


def test_the_session_needs_its_csrf_token(emma):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(emma)
    assert browser.get(BASE).status_code == 200
    assert post(browser, BASE, body(emma)).status_code in (401, 403)
    assert not Withdrawal.objects.exists()


def test_nul_in_the_body_is_refused(api, emma):
    response = post(api, BASE, body(emma, amount="10\x00"))
    assert 400 <= response.status_code < 500
    assert not Withdrawal.objects.exists()


def test_openapi_documents_the_endpoints(api):
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/payouts/withdrawals"] and "get" in paths["/api/v1/payouts/withdrawals"]
    assert "post" in paths["/api/v1/payouts/withdrawals/quote"]
    assert "get" in paths["/api/v1/payouts/withdrawals/{withdrawal_id}"]
    assert "post" in paths["/api/v1/payouts/withdrawals/{withdrawal_id}/cancel"]
    assert "Idempotency-Key" in paths["/api/v1/payouts/withdrawals"]["post"]["description"]
