"""A transfer's own page (issue 16 item 8): an estimated arrival only while the transfer is on its
way (not once cancelled, rejected, blocked or paid out); cancelling asks exactly once — the page's
cancel button opens a confirmation page (no one-click cancel, no script prompt on top), which
cancels."""

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import quote_create, rates_store
from okpay.wallet.international.actions import (
    international_cancel,
    international_review_decide,
    international_settle,
    international_submit,
    transfer_in_progress,
)
from okpay.wallet.ledger import wallet_account
from okpay.wallet.models import InternationalTransfer

FIXTURE = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()
ARRIVAL = "Estimated arrival"


@pytest.fixture
def sender(make_user, signed_in, db):
    rates_store(xml=FIXTURE)
    user = make_user(email="receipt@example.com", verification_level=2, language="en")
    topup_demo(user=user, amount_minor=5_000_000, currency="CNY", key="seed")
    signed_in(user)
    return user


def transfer_for(sender, *, amount=50_000, country="US") -> InternationalTransfer:
    quote = quote_create(
        user=sender,
        from_currency="CNY",
        to_currency="USD",
        source_amount_minor=amount,
        recipient_country=country,
    )
    return international_submit(
        user=sender,
        quote_id=quote.pk,
        key=uuid.uuid4().hex,
        recipient_name="John Smith",
        recipient_country=country,
        recipient_account="US-ACC-1",
        recipient_address="1 Main St, Springfield",
        sender_address="上海市浦东新区 1 号",
    )


def detail(client, transfer) -> str:
    response = client.get(f"/account/international/{transfer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- estimated arrival only while on the way -----------------------------------------------------


def test_a_pending_and_a_held_transfer_show_the_estimated_arrival(client, sender):
    pending = transfer_for(sender)
    held = transfer_for(sender, amount=1_000_000)  # ≈ 1,218 EUR: reviewed
    assert (pending.status, held.status) == ("pending", "under_review")
    assert ARRIVAL in detail(client, pending) and ARRIVAL in detail(client, held)


def test_a_cancelled_transfer_shows_no_estimated_arrival(client, sender):
    transfer = international_cancel(user=sender, transfer_id=transfer_for(sender).pk)
    assert transfer.status == "canceled"
    html = detail(client, transfer)
    assert ARRIVAL not in html and "1–2 business days" not in html
    assert "Cancelled" in html or "Canceled" in html


def test_a_rejected_transfer_shows_no_estimated_arrival(client, sender, supervisor):
    held = transfer_for(sender, amount=1_000_000)
    transfer = international_review_decide(
        reviewer=supervisor, transfer_id=held.pk, approve=False, note="documents missing"
    )
    assert transfer.status == "rejected"
    html = detail(client, transfer)
    assert ARRIVAL not in html and "documents missing" in html


def test_a_blocked_and_a_paid_transfer_show_no_estimated_arrival(client, sender):
    blocked = transfer_for(sender, country="KP")  # the API still quotes it; screening blocks it
    assert blocked.status == "blocked"
    assert ARRIVAL not in detail(client, blocked)
    pending = transfer_for(sender)
    InternationalTransfer.objects.filter(pk=pending.pk).update(
        cancel_until=timezone.now() - timedelta(seconds=1)
    )
    assert international_settle(transfer_id=pending.pk)
    html = detail(client, InternationalTransfer.objects.get(pk=pending.pk))
    assert ARRIVAL not in html and "Paid out" in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("under_review", True),
        ("pending", True),
        ("paid", False),
        ("canceled", False),
        ("rejected", False),
        ("blocked", False),
    ],
)
def test_in_progress_follows_the_transition_table(status, expected):
    assert transfer_in_progress(InternationalTransfer(status=status)) is expected


def test_the_confirmation_page_of_a_quote_shows_the_estimated_arrival(client, sender):
    response = client.post(
        "/account/international/",
        {
            "from_currency": "CNY",
            "amount": "100",
            "recipient_country": "US",
            "to_currency": "USD",
            "recipient_name": "John Smith",
            "recipient_account": "US123456",
        },
    )
    assert ARRIVAL in client.get(response["Location"]).content.decode()


# --- cancelling asks once ------------------------------------------------------------------------


def test_the_receipts_cancel_button_opens_the_confirmation_and_changes_nothing(client, sender):
    transfer = transfer_for(sender)
    html = detail(client, transfer)
    form = re.search(f'<form[^>]*action="/account/international/{transfer.pk}/cancel/"[^>]*>', html)
    assert form and 'method="get"' in form.group(0)  # no one-click cancel
    assert "confirm(" not in html and "onclick" not in html  # no script prompt either
    page = client.get(f"/account/international/{transfer.pk}/cancel/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cancel this transfer?" in text and "Yes, cancel the transfer" in text
    assert 'method="post"' in text and "No, keep the transfer" in text
    assert "confirm(" not in text and "onclick" not in text
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    assert wallet_account(sender, "CNY").available_balance < 5_000_000


def test_confirming_cancels_once_and_releases_the_money(client, sender):
    transfer = transfer_for(sender)
    response = client.post(f"/account/international/{transfer.pk}/cancel/")
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "canceled"
    assert wallet_account(sender, "CNY").available_balance == 5_000_000
    again = client.get(f"/account/international/{transfer.pk}/cancel/")  # no second confirmation
    assert again.status_code == 302 and again["Location"] == f"/account/international/{transfer.pk}/"
    page = client.get(again["Location"]).content.decode()
    assert "can no longer be cancelled" in page and "/cancel/" not in page


def test_the_confirmation_is_refused_after_the_window(client, sender):
    transfer = transfer_for(sender)
    InternationalTransfer.objects.filter(pk=transfer.pk).update(
        cancel_until=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(f"/account/international/{transfer.pk}/cancel/")
    assert response.status_code == 302
    assert InternationalTransfer.objects.get(pk=transfer.pk).status == "pending"


def test_someone_elses_cancel_page_is_404_and_other_methods_are_refused(client, sender, make_user):
    transfer = transfer_for(sender)
    other = Client()
    other.force_login(make_user(email="nosy-cancel@example.com"))
    assert other.get(f"/account/international/{transfer.pk}/cancel/").status_code == 404
    assert other.post(f"/account/international/{transfer.pk}/cancel/").status_code == 404
    assert client.put(f"/account/international/{transfer.pk}/cancel/").status_code == 405
    assert client.get("/account/international/999999/cancel/").status_code == 404
    assert InternationalTransfer.objects.get(pk=transfer.pk).status == "pending"
