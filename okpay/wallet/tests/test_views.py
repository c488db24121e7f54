"""My Account and merchant pages: rendering, permissions, refusals that move nothing, idempotent
forms, history filters, keyset pagination, CSV export and payment links."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from okpay.core.models import IdempotencyRecord
from okpay.wallet import actions, selectors
from okpay.wallet.choices import EntryKind, Side, TransactionStatus
from okpay.wallet.ledger import Line, entry_create, ledger_verify, wallet_account
from okpay.wallet.models import Payment, PaymentLink, Refund, Transaction

pytestmark = pytest.mark.smoke


@pytest.fixture
def emma(make_user):
    return make_user(email="emma@example.com", full_name="Emma", language="en", time_zone="Asia/Shanghai")


@pytest.fixture
def shop(make_user):
    return make_user(email="shop@example.com", full_name="Tea Shop", role="merchant", language="en")


@pytest.fixture
def other_shop(make_user):
    return make_user(email="other.shop@example.com", full_name="Other Shop", role="merchant", language="en")


def fund(user, amount_minor, currency="CNY", key="seed"):
    return actions.topup_demo(user=user, amount_minor=amount_minor, currency=currency, key=key)


def available(user, currency="CNY"):
    return {a.currency: a.available_balance for a in selectors.balances_for(user=user)}.get(currency, 0)


def paid(customer, merchant, amount_minor=10_000, key="p1", description="Green tea"):
    return actions.payment_create(
        customer=customer,
        merchant=merchant,
        amount_minor=amount_minor,
        currency="CNY",
        description=description,
        key=key,
    )


def customer_row(payment):
    return selectors.payment_transaction_for_customer(payment=payment)


def pay_data(merchant, amount="100.00", currency="CNY", key="k-1", confirm=True, **extra):
    data = {
        "merchant": merchant.pk,
        "amount": amount,
        "currency": currency,
        "description": "Green tea",
        "idempotency_key": key,
        **extra,
    }
    if confirm:
        data["confirm"] = "1"
    return data


# --- home -----------------------------------------------------------------------------------------


def test_home_shows_available_balance_per_currency(client, signed_in, emma):
    fund(emma, 12_345, "CNY", key="a")
    fund(emma, 500, "USD", key="b")
    signed_in(emma)
    page = client.get("/account/").content.decode()
    assert "CN¥123.45" in page
    assert "$5.00" in page


def test_home_shows_pending_hold(client, signed_in, emma, shop):
    fund(emma, 10_000)
    entry_create(
        key="hold-1",
        kind=EntryKind.WITHDRAWAL,
        pending=True,
        lines=[
            Line(wallet_account(emma, "CNY"), Side.DEBIT, 2_500),
            Line(wallet_account(shop, "CNY"), Side.CREDIT, 2_500),
        ],
    )
    signed_in(emma)
    page = client.get("/account/").content.decode()
    assert "CN¥75.00" in page
    assert "CN¥25.00 on hold (pending)" in page


def test_home_shows_verification_level_and_its_limits(client, signed_in, emma):
    emma.verification_level = 1
    emma.save()
    signed_in(emma)
    page = client.get("/account/").content.decode()
    assert '<span class="badge badge-ok">L1</span>' in page
    assert "Checked: ID document." in page
    assert "€1,000.00" in page and "€2,000.00" in page and "€5,000.00" in page


def test_home_lists_the_ten_most_recent_transactions(client, signed_in, emma):
    for number in range(12):
        actions.transaction_record(
            user=emma,
            kind="topup",
            status="completed",
            amount_minor=100,
            currency="CNY",
            reference=f"t:{number}",
            counterparty=f"Source {number:02d}",
        )
    signed_in(emma)
    page = client.get("/account/").content.decode()
    assert page.count('class="tx-link"') == 10
    assert "Source 11" in page and "Source 02" in page and "Source 01" not in page


def test_home_quick_actions_link_to_existing_pages(client, signed_in, emma):
    signed_in(emma)
    page = client.get("/account/").content.decode()
    for url in ("/account/pay/", "/account/topup/", "/account/transactions/"):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200


def test_home_hides_topup_when_demo_mode_is_off(client, signed_in, emma, settings):
    settings.DEMO_MODE = False
    signed_in(emma)
    assert 'href="/account/topup/"' not in client.get("/account/").content.decode()


def test_account_pages_need_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/"


def test_account_menu_links_my_account_and_merchant_area_for_merchants(client, signed_in, emma, shop):
    signed_in(emma)
    page = client.get("/account/").content.decode()
    assert '<a href="/account/">My Account</a>' in page
    assert 'href="/merchant/"' not in page
    merchant_page = Client()
    signed_in(shop, merchant_page)
    assert '<a href="/merchant/">Merchant area</a>' in merchant_page.get("/account/").content.decode()


# --- transaction detail ---------------------------------------------------------------------------


def test_payment_detail_shows_merchant_fee_timeline_and_help_links(client, signed_in, emma, shop):
    fund(emma, 20_000)
    row = customer_row(paid(emma, shop))
    signed_in(emma)
    page = client.get(f"/account/transactions/{row.pk}/").content.decode()
    assert "-CN¥100.00" in page
    assert "<dt>Merchant</dt><dd>Tea Shop</dd>" in page
    assert "<dt>Fee</dt><dd>None</dd>" in page
    payment_id = row.reference.split(":")[1]
    # the reference as people quote it (PAY-26), never the internal "payment:26"
    assert "Green tea" in page and f"<code>PAY-{payment_id}</code>" in page and row.reference not in page
    assert (
        f'href="/support/new/?transaction={row.pk}"' in page
    )  # get help: a question with the payment attached
    assert f'href="/account/disputes/contact/{payment_id}/"' in page  # the disputes app's flow
    assert f'href="/account/disputes/open/{payment_id}/?reason=unauthorized"' in page
    assert "topic=dispute" not in page  # the old stand-in (a question) is gone
    assert (
        "Contact the merchant" in page
        and "Report an unauthorised payment" in page
        and "Get help with this payment" in page
    )


def test_topup_detail_offers_only_general_help(client, signed_in, emma):
    row = fund(emma, 5_000)
    signed_in(emma)
    page = client.get(f"/account/transactions/{row.pk}/").content.decode()
    assert "Open a dispute" not in page and "Contact the merchant" not in page
    assert (
        f'href="/support/new/?transaction={row.pk}" data-chat-open data-chat-transaction="{row.pk}">'
        "Get help with this transaction" in page
    )


def test_timeline_shows_every_status_change(client, signed_in, emma, shop):
    fund(emma, 20_000)
    payment = paid(emma, shop)
    actions.refund_create(merchant=shop, payment=payment, amount_minor=1_000, reason="Broken cup", key="r1")
    signed_in(emma)
    page = client.get(f"/account/transactions/{customer_row(payment).pk}/").content.decode()
    assert page.count('<ol class="timeline">') == 1
    assert ">Completed</span>" in page and ">Partially refunded</span>" in page and "Broken cup" in page


def test_merchant_sees_fee_on_payment_received(client, signed_in, emma, shop):
    fund(emma, 20_000)
    payment = paid(emma, shop)
    row = Transaction.objects.get(user=shop, entry=payment.entry)
    signed_in(shop)
    page = client.get(f"/account/transactions/{row.pk}/").content.decode()
    assert "+CN¥99.40" in page
    assert "<dt>Fee</dt><dd>CN¥0.60</dd>" in page


def test_another_users_transaction_is_404(client, signed_in, emma, make_user):
    other = make_user(email="other@example.com", language="en")
    row = fund(other, 5_000)
    signed_in(emma)
    assert client.get(f"/account/transactions/{row.pk}/").status_code == 404
    assert client.get("/account/transactions/99999999999999999999/").status_code == 404


# --- demo top-up ----------------------------------------------------------------------------------


def test_topup_adds_demo_money_and_shows_the_receipt(client, signed_in, emma):
    signed_in(emma)
    page = client.get("/account/topup/").content.decode()
    assert "Demo: no real money." in page
    response = client.post(
        "/account/topup/", {"amount": "88.50", "currency": "USD", "idempotency_key": "t-1"}
    )
    row = Transaction.objects.get(user=emma)
    assert response.status_code == 302
    assert response["Location"] == f"/account/transactions/{row.pk}/"
    assert available(emma, "USD") == 8_850


def test_topup_double_submit_adds_money_once(client, signed_in, emma):
    signed_in(emma)
    data = {"amount": "10", "currency": "CNY", "idempotency_key": "same"}
    first, second = client.post("/account/topup/", data), client.post("/account/topup/", data)
    assert first["Location"] == second["Location"]
    assert available(emma) == 1_000
    assert Transaction.objects.filter(user=emma).count() == 1


def test_topup_refused_when_demo_mode_is_off(client, signed_in, emma, settings):
    settings.DEMO_MODE = False
    signed_in(emma)
    assert client.get("/account/topup/").status_code == 404
    response = client.post("/account/topup/", {"amount": "10", "currency": "CNY", "idempotency_key": "t"})
    assert response.status_code == 404
    assert available(emma) == 0
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-5", "CNY", "The amount must be greater than zero."),
        ("0", "CNY", "The amount must be greater than zero."),
        ("100000000000000", "CNY", "The amount is too large."),
        ("1.001", "CNY", "CNY amounts have at most 2 decimal places."),
        ("abc", "CNY", "Enter the amount as a number, e.g. 100.50."),
        ("10", "XXX", "This currency is not supported: XXX."),
    ],
)
def test_topup_bad_input_is_refused(client, signed_in, emma, amount, currency, message):
    signed_in(emma)
    response = client.post(
        "/account/topup/", {"amount": amount, "currency": currency, "idempotency_key": "t"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Transaction.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


# --- paying a merchant ----------------------------------------------------------------------------


def test_pay_form_lists_merchants(client, signed_in, emma, shop):
    signed_in(emma)
    page = client.get("/account/pay/").content.decode()
    assert f'<option value="{shop.pk}">Tea Shop</option>' in page
    assert 'name="idempotency_key"' in page


def test_pay_preview_shows_merchant_no_fee_and_balance_after(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(shop, amount="120.50", confirm=False))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<dt>Merchant</dt><dd>Tea Shop</dd>" in page
    assert "<dt>Fee for you</dt><dd>None</dd>" in page
    assert "<dt>Balance after</dt><dd>CN¥179.50</dd>" in page
    assert '<input type="hidden" name="idempotency_key" value="k-1">' in page
    assert Payment.objects.count() == 0


def test_pay_change_returns_to_the_filled_form(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(shop, amount="120.50", confirm=False, edit="1"))
    assert response.status_code == 200
    assert 'value="120.50"' in response.content.decode()
    assert Payment.objects.count() == 0


def test_pay_confirm_moves_money_and_shows_the_receipt(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(shop))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/account/transactions/{customer_row(payment).pk}/"
    assert available(emma) == 20_000
    assert available(shop) == 9_940
    assert ledger_verify() == []
    assert "Payment complete." in client.get(response["Location"]).content.decode()


def test_pay_double_submit_pays_once_and_both_go_to_the_same_receipt(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    first = client.post("/account/pay/", pay_data(shop, key="double"))
    second = client.post("/account/pay/", pay_data(shop, key="double"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1
    assert available(emma) == 20_000


def test_pay_same_key_with_another_amount_is_refused(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    client.post("/account/pay/", pay_data(shop, key="reuse"))
    response = client.post("/account/pay/", pay_data(shop, amount="50", key="reuse"))
    assert response.status_code == 400
    assert "This idempotency key was already used for a different request." in response.content.decode()
    assert Payment.objects.count() == 1
    assert available(emma) == 20_000


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-5", "CNY", "The amount must be greater than zero."),
        ("0", "CNY", "The amount must be greater than zero."),
        ("99999999999999999", "CNY", "The amount is too large."),
        ("1e999999999", "CNY", "Enter the amount as a number, e.g. 100.50."),
        ("１００", "CNY", "Enter the amount as a number, e.g. 100.50."),
        ("0.01", "CNY", "The smallest payment is"),
        ("1.001", "CNY", "CNY amounts have at most 2 decimal places."),
        ("abc", "CNY", "Enter the amount as a number, e.g. 100.50."),
        ("10", "XXX", "This currency is not supported: XXX."),
        ("300.01", "CNY", "Your available balance is not enough for this payment."),
    ],
)
def test_pay_bad_input_is_refused_and_nothing_moves(
    client, signed_in, emma, shop, amount, currency, message, confirm
):
    fund(emma, 30_000)
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(shop, amount=amount, currency=currency, confirm=confirm))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert available(emma) == 30_000
    assert available(shop) == 0
    assert Payment.objects.count() == 0
    assert Transaction.objects.count() == 1  # the top-up only


def test_pay_unknown_merchant_is_refused(client, signed_in, emma, make_user):
    fund(emma, 30_000)
    not_a_merchant = make_user(email="plain@example.com")
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(not_a_merchant))
    assert response.status_code == 400
    assert "Choose a merchant from the list." in response.content.decode()
    assert Payment.objects.count() == 0


def test_pay_without_idempotency_key_is_refused(client, signed_in, emma, shop):
    fund(emma, 30_000)
    signed_in(emma)
    response = client.post("/account/pay/", pay_data(shop, key=""))
    assert response.status_code == 400
    assert "This form has expired. Please start again." in response.content.decode()
    assert Payment.objects.count() == 0


# --- history --------------------------------------------------------------------------------------


def make_rows(user, count, *, start=None, **fields):
    start = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = []
    for number in range(count):
        values = {"kind": "topup", "status": "completed", "amount_minor": 100, "currency": "CNY", **fields}
        row = actions.transaction_record(
            user=user, reference=f"t:{number}", counterparty=f"Source {number:02d}", **values
        )
        Transaction.objects.filter(pk=row.pk).update(created_at=start + timedelta(minutes=number))
        rows.append(row)
    return rows


def test_history_first_page_has_25_rows_and_an_older_link(client, signed_in, emma):
    make_rows(emma, 30)
    signed_in(emma)
    page = client.get("/account/transactions/").content.decode()
    assert page.count('class="tx-link"') == 25
    assert "Source 29" in page and "Source 05" in page and "Source 04" not in page
    assert 'rel="next"' in page


def test_history_older_link_shows_the_next_five(client, signed_in, emma):
    rows = make_rows(emma, 30)
    signed_in(emma)
    response = client.get("/account/transactions/", {"before": f"2026-01-01T12:05:00+00:00_{rows[5].pk}"})
    page = response.content.decode()
    assert page.count('class="tx-link"') == 5
    assert all(f"Source {number:02d}" in page for number in range(5))
    assert 'rel="next"' not in page


def test_history_older_link_carries_the_cursor_of_the_last_row(client, signed_in, emma):
    rows = make_rows(emma, 30)
    signed_in(emma)
    page = client.get("/account/transactions/").content.decode()
    assert f'href="?before=2026-01-01T12%3A05%3A00%2B00%3A00_{rows[5].pk}" rel="next"' in page


def test_history_pagination_breaks_ties_by_id(client, signed_in, emma):
    rows = make_rows(emma, 30)
    Transaction.objects.filter(user=emma).update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    signed_in(emma)
    page = client.get(
        "/account/transactions/", {"before": f"2026-01-01T00:00:00+00:00_{rows[5].pk}"}
    ).content.decode()
    assert page.count('class="tx-link"') == 5
    assert "Source 04" in page and "Source 05" not in page


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "2026-01-01T12:05:00_7",
        "2026-13-01T00:00:00+00:00_1",
        "_",
        "x_-4",
        "0001-01-01T00:00:00+14:00_1",
        "9999-12-31T23:59:59-14:00_1",
        "2026-01-01T00:00:00+00:00_99999999999999999999999",
    ],
)
def test_history_tampered_cursor_shows_the_first_page(client, signed_in, emma, cursor):
    make_rows(emma, 30)
    signed_in(emma)
    response = client.get("/account/transactions/", {"before": cursor})
    assert response.status_code == 200
    assert response.content.decode().count('class="tx-link"') == 25
    assert "Source 29" in response.content.decode()


def test_history_filters_by_type_status_and_currency(client, signed_in, emma):
    make_rows(emma, 2)
    actions.transaction_record(
        user=emma,
        kind="payment",
        status="refunded",
        amount_minor=-300,
        currency="USD",
        reference="p:1",
        counterparty="Wanted Shop",
    )
    actions.transaction_record(
        user=emma,
        kind="payment",
        status="completed",
        amount_minor=-300,
        currency="USD",
        reference="p:2",
        counterparty="Completed Shop",
    )
    signed_in(emma)
    page = client.get("/account/transactions/", {"kind": "payment", "status": "refunded", "currency": "USD"})
    content = page.content.decode()
    assert content.count('class="tx-link"') == 1
    assert "Wanted Shop" in content


def test_history_filters_by_date_range(client, signed_in, emma):
    make_rows(emma, 3, start=datetime(2026, 1, 1, 4, 0, tzinfo=UTC))
    Transaction.objects.filter(reference="t:1").update(created_at=datetime(2026, 2, 10, 4, 0, tzinfo=UTC))
    signed_in(emma)
    content = client.get(
        "/account/transactions/", {"date_from": "2026-02-01", "date_to": "2026-02-28"}
    ).content.decode()
    assert content.count('class="tx-link"') == 1
    assert "Source 01" in content


def test_history_invalid_filters_are_ignored_with_a_message(client, signed_in, emma):
    make_rows(emma, 3)
    signed_in(emma)
    response = client.get(
        "/account/transactions/", {"kind": "bogus", "date_from": "not-a-date", "currency": "CNY"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Some filters had invalid values and were ignored: Type, From" in content
    assert content.count('class="tx-link"') == 3


def test_history_shows_only_own_rows(client, signed_in, emma, make_user):
    make_rows(make_user(email="other@example.com"), 3)
    signed_in(emma)
    assert client.get("/account/transactions/").content.decode().count('class="tx-link"') == 0


def test_csv_export_contains_every_filtered_row(client, signed_in, emma, shop):
    fund(emma, 20_000)
    payment = paid(emma, shop, amount_minor=12_345, description="=HYPERLINK(evil)")
    Transaction.objects.filter(user=emma).update(created_at=datetime(2026, 3, 1, 8, 30, tzinfo=UTC))
    signed_in(emma)
    response = client.get("/account/transactions/", {"format": "csv", "kind": "payment"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="okpay-transactions.csv"'
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["date", "type", "status", "amount", "fee", "currency", "counterparty", "description", "reference"],
        [
            "2026-03-01T16:30:00+08:00",
            "payment",
            "completed",
            "-123.45",
            "0.00",
            "CNY",
            "Tea Shop",
            "'=HYPERLINK(evil)",
            f"payment:{payment.pk}",
        ],
    ]


def test_csv_export_is_not_limited_to_one_page(client, signed_in, emma):
    make_rows(emma, 30)
    signed_in(emma)
    response = client.get("/account/transactions/", {"format": "csv", "before": "ignored"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 31
    assert lines[1].startswith("2026-01-01T20:29:00+08:00,topup,completed,1.00,0.00,CNY,Source 29,")


# --- merchant area --------------------------------------------------------------------------------


def test_customer_on_merchant_area_is_403(client, signed_in, emma):
    signed_in(emma)
    assert client.get("/merchant/").status_code == 403
    assert client.get("/merchant/links/").status_code == 403


def test_merchant_home_lists_payments_refund_status_and_fee_totals(client, signed_in, emma, shop):
    fund(emma, 50_000)
    first = paid(emma, shop, amount_minor=10_000, key="p1", description="Green tea")
    paid(emma, shop, amount_minor=5_000, key="p2", description="Oolong")
    actions.refund_create(merchant=shop, payment=first, amount_minor=2_000, reason="", key="r1")
    signed_in(shop)
    page = client.get("/merchant/").content.decode()
    assert page.index("Oolong") < page.index("Green tea")
    assert "Partially refunded" in page and "Not refunded" in page
    assert (
        "<dt>Payments</dt><dd>2</dd>\n        <dt>Received</dt><dd>CN¥150.00</dd>\n"
        "        <dt>Fees</dt><dd>CN¥0.90</dd>\n        <dt>Refunded</dt><dd>CN¥20.00</dd>"
    ) in page
    assert "CN¥129.10" in page  # balance: 99.40 + 49.70 - 20.00


def test_merchant_payment_detail_shows_refunds(client, signed_in, emma, shop):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    actions.refund_create(
        merchant=shop, payment=payment, amount_minor=2_000, reason="Late delivery", key="r1"
    )
    signed_in(shop)
    page = client.get(f"/merchant/payments/{payment.pk}/").content.decode()
    assert "Late delivery" in page
    assert "<dt>Can still be refunded</dt><dd>CN¥80.00</dd>" in page


def test_another_merchants_payment_is_404_and_refund_changes_nothing(
    client, signed_in, emma, shop, other_shop
):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    signed_in(other_shop)
    assert client.get(f"/merchant/payments/{payment.pk}/").status_code == 404
    response = client.post(
        f"/merchant/payments/{payment.pk}/",
        {"amount": "10", "reason": "", "idempotency_key": "x", "confirm": "1"},
    )
    assert response.status_code == 404
    assert Refund.objects.count() == 0
    assert available(emma) == 40_000


def test_partial_then_full_refund(client, signed_in, emma, shop):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    fund(shop, 1_000, key="shop-float")
    signed_in(shop)
    url = f"/merchant/payments/{payment.pk}/"
    asked = client.post(url, {"amount": "30.00", "reason": "One cup broken", "idempotency_key": "r-1"})
    # a refund moves money at once: the first step only shows what will happen, and stores nothing
    assert asked.status_code == 200 and "Confirm the refund" in asked.content.decode()
    assert "Refund CN¥30.00" in asked.content.decode() and not Refund.objects.exists()
    changed = client.post(
        url, {"amount": "30.00", "reason": "One cup broken", "idempotency_key": "r-1", "edit": "1"}
    )
    assert 'value="30.00"' in changed.content.decode() and not Refund.objects.exists()
    first = client.post(
        url, {"amount": "30.00", "reason": "One cup broken", "idempotency_key": "r-1", "confirm": "1"}
    )
    assert first.status_code == 302 and first["Location"] == url
    assert customer_row(payment).status == TransactionStatus.PARTIALLY_REFUNDED
    second = client.post(
        url, {"amount": "70", "reason": "Order cancelled", "idempotency_key": "r-2", "confirm": "1"}
    )
    assert second.status_code == 302
    payment.refresh_from_db()
    assert payment.refunded_minor == 10_000
    assert customer_row(payment).status == TransactionStatus.REFUNDED
    assert available(emma) == 50_000
    assert available(shop) == 9_940 + 1_000 - 10_000
    assert "This payment has been fully refunded." in client.get(url).content.decode()
    assert ledger_verify() == []


def test_refund_more_than_refundable_is_refused(client, signed_in, emma, shop):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    fund(shop, 50_000, key="shop-float")
    signed_in(shop)
    response = client.post(
        f"/merchant/payments/{payment.pk}/", {"amount": "100.01", "reason": "", "idempotency_key": "r-1"}
    )
    assert response.status_code == 400
    assert "You can refund at most the amount not yet refunded." in response.content.decode()
    assert Refund.objects.count() == 0
    assert available(emma) == 40_000


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be greater than zero."),
        ("1.001", "CNY amounts have at most 2 decimal places."),
        ("abc", "Enter the amount as a number, e.g. 100.50."),
    ],
)
def test_refund_bad_amount_is_refused(client, signed_in, emma, shop, amount, message):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    signed_in(shop)
    response = client.post(
        f"/merchant/payments/{payment.pk}/", {"amount": amount, "reason": "", "idempotency_key": "r"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Refund.objects.count() == 0


def test_refund_double_submit_refunds_once(client, signed_in, emma, shop):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    signed_in(shop)
    data = {"amount": "10", "reason": "Sorry", "idempotency_key": "r-same", "confirm": "1"}
    first = client.post(f"/merchant/payments/{payment.pk}/", data)
    second = client.post(f"/merchant/payments/{payment.pk}/", data)
    assert first.status_code == second.status_code == 302
    assert Refund.objects.count() == 1
    assert available(emma) == 41_000


def test_refund_beyond_merchant_balance_is_refused(client, signed_in, emma, shop):
    fund(emma, 50_000)
    payment = paid(emma, shop)
    signed_in(shop)
    response = client.post(
        f"/merchant/payments/{payment.pk}/",
        {"amount": "100", "reason": "", "idempotency_key": "r", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "Your available balance is not enough for this payment." in response.content.decode()
    assert Refund.objects.count() == 0


# --- payment links --------------------------------------------------------------------------------


def test_merchant_creates_a_payment_link_with_a_shareable_url(client, signed_in, shop):
    signed_in(shop)
    response = client.post(
        "/merchant/links/", {"amount": "49.90", "currency": "CNY", "description": "Tea set"}, follow=True
    )
    link = PaymentLink.objects.get()
    assert (link.merchant, link.amount_minor, link.currency, link.description) == (
        shop,
        4_990,
        "CNY",
        "Tea set",
    )
    assert (
        f'<code class="share-url">http://127.0.0.1:8000/pay/{link.token}/</code>' in response.content.decode()
    )


def test_payment_link_bad_amount_is_refused(client, signed_in, shop):
    signed_in(shop)
    response = client.post("/merchant/links/", {"amount": "-1", "currency": "CNY", "description": "Tea set"})
    assert response.status_code == 400
    assert "The amount must be greater than zero." in response.content.decode()
    assert PaymentLink.objects.count() == 0


def test_payment_link_asks_anonymous_visitors_to_sign_in(client, shop):
    link = actions.payment_link_create(
        merchant=shop, amount_minor=4_990, currency="CNY", description="Tea set"
    )
    response = client.get(f"/pay/{link.token}/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tea set" in page
    assert f'href="/accounts/login/?next=%2Fpay%2F{link.token}%2F"' in page
    post = client.post(f"/pay/{link.token}/", {"idempotency_key": "k"})
    assert post.status_code == 302 and post["Location"].startswith("/accounts/login/?next=")
    assert Payment.objects.count() == 0


def test_payment_link_pays_the_fixed_amount_once(client, signed_in, emma, shop):
    link = actions.payment_link_create(
        merchant=shop, amount_minor=4_990, currency="CNY", description="Tea set"
    )
    fund(emma, 10_000)
    signed_in(emma)
    assert "<dt>Balance after</dt><dd>CN¥50.10</dd>" in client.get(f"/pay/{link.token}/").content.decode()
    first = client.post(f"/pay/{link.token}/", {"idempotency_key": "link-1", "amount": "0.01"})
    second = client.post(f"/pay/{link.token}/", {"idempotency_key": "link-1"})
    payment = Payment.objects.get()
    assert (payment.amount_minor, payment.payment_link, payment.description) == (4_990, link, "Tea set")
    assert first["Location"] == second["Location"] == f"/account/transactions/{customer_row(payment).pk}/"
    assert available(emma) == 5_010


def test_payment_link_insufficient_balance_is_refused(client, signed_in, emma, shop):
    link = actions.payment_link_create(
        merchant=shop, amount_minor=4_990, currency="CNY", description="Tea set"
    )
    signed_in(emma)
    response = client.post(f"/pay/{link.token}/", {"idempotency_key": "link-1"})
    assert response.status_code == 400
    assert "Your available balance is not enough for this payment." in response.content.decode()
    assert Payment.objects.count() == 0


def test_inactive_or_unknown_payment_link_is_404(client, signed_in, emma, shop):
    link = actions.payment_link_create(
        merchant=shop, amount_minor=4_990, currency="CNY", description="Tea set"
    )
    PaymentLink.objects.filter(pk=link.pk).update(is_active=False)
    signed_in(emma)
    assert client.get(f"/pay/{link.token}/").status_code == 404
    assert client.post(f"/pay/{link.token}/", {"idempotency_key": "k"}).status_code == 404
    assert client.get("/pay/no-such-token/").status_code == 404
    assert Payment.objects.count() == 0
