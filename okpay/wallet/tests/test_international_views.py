import re

import pytest
from django.test import Client

from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import rates_refresh
from okpay.wallet.ledger import wallet_account
from okpay.wallet.models import InternationalTransfer, Quote

pytestmark = pytest.mark.smoke

FORM = {
    "from_currency": "CNY",
    "amount": "1000",
    "recipient_country": "US",
    "to_currency": "USD",
    "recipient_name": "John Smith",
    "recipient_account": "US12 3456 7890",
    "recipient_address": "",
    "sender_address": "",
    "purpose": "tuition",
}


@pytest.fixture
def sender(make_user, signed_in, db):
    rates_refresh()
    user = make_user(email="intl@example.com", verification_level=2, language="en")
    topup_demo(user=user, amount_minor=1_000_000, currency="CNY", key="seed")
    signed_in(user)
    return user


def confirm(client, response):
    page = client.get(response["Location"])
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    return page, key


def test_quote_confirmation_discloses_everything_then_receipt(client, sender):
    response = client.post("/account/international/", FORM)
    assert response.status_code == 302
    page, key = confirm(client, response)
    html = page.content.decode()
    for text in (
        "You send",
        "Fixed fee",
        "Exchange rate applied",
        "Our mark-up over the reference rate",
        "0.5%",
        "Recipient gets",
        "Estimated arrival",
        "Total taken from your balance",
    ):
        assert text in html, text
    done = client.post(response["Location"], {"idempotency_key": key})
    assert done.status_code == 302
    again = client.post(response["Location"], {"idempotency_key": key})  # double submit
    assert again["Location"] == done["Location"]
    assert InternationalTransfer.objects.count() == 1
    receipt = client.get(done["Location"]).content.decode()
    assert "Processing" in receipt and "Cancel (possible until" in receipt
    transfer = InternationalTransfer.objects.get()
    # "get help" opens the live chat about this transfer's wallet transaction (a question without scripts)
    assert f'data-chat-transaction="{transfer.transaction_id}"' in receipt
    assert f"/support/new/?transaction={transfer.transaction_id}" in receipt


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-5"}, "greater than zero"),
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "abc"}, "as a number"),
        ({"amount": "1.001"}, "decimal places"),
        ({"amount": "99999999999999"}, "too large"),
        ({"to_currency": "CNY", "recipient_country": "CN"}, "not an international transfer"),
        ({"from_currency": "XXX"}, "Select a valid choice"),
        ({"recipient_account": "<script>"}, "letters and digits"),
    ],
)
def test_bad_input_is_refused_and_moves_nothing(client, sender, change, message):
    response = client.post("/account/international/", {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Quote.objects.count() == 0
    assert wallet_account(sender, "CNY").available_balance == 1_000_000


def test_tampered_or_foreign_quote_ids_are_404(client, sender, make_user):
    response = client.post("/account/international/", FORM)
    other = make_user(email="nosy@example.com")
    nosy = Client()
    nosy.force_login(other)
    assert nosy.get(response["Location"]).status_code == 404
    assert client.get("/account/international/quote/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/account/international/quote/not-a-uuid/").status_code == 404


def test_cancel_restores_the_balance(client, sender):
    response = client.post("/account/international/", FORM)
    _page, key = confirm(client, response)
    done = client.post(response["Location"], {"idempotency_key": key})
    transfer_id = int(done["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post(f"/account/international/{transfer_id}/cancel/")
    assert InternationalTransfer.objects.get().status == "canceled"
    assert wallet_account(sender, "CNY").available_balance == 1_000_000


def test_another_users_transfer_is_404_and_cannot_be_cancelled(client, sender, make_user):
    response = client.post("/account/international/", FORM)
    _page, key = confirm(client, response)
    done = client.post(response["Location"], {"idempotency_key": key})
    other = Client()
    other.force_login(make_user(email="thief@example.com"))
    assert other.get(done["Location"]).status_code == 404
    assert other.post(done["Location"] + "cancel/").status_code == 404
    assert InternationalTransfer.objects.get().status == "pending"
