"""In Chromium on a phone-sized screen: a customer tops up (demo), pays a merchant through the demo
shop (form → confirmation → receipt), finds the payment in the history and opens it. Screenshots of
every step go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.wallet.models import Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user):
    customer = make_user(email="lin@example.com", full_name="Lin", language="en", time_zone="Asia/Shanghai")
    shop = make_user(email="teashop@example.com", full_name="Tea Shop", role="merchant", language="en")
    return customer, shop


def test_customer_tops_up_pays_a_merchant_and_finds_the_receipt(page, live_server, people, screenshot):
    customer, _shop = people
    csp_violations = []
    page.on(
        "console",
        lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    page.goto(f"{live_server.url}/accounts/login/?next=/account/")
    page.locator("input[name=email]").fill(customer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My Account")
    expect(page.get_by_text("No balance yet.")).to_be_visible()
    screenshot(page, "account-empty")

    page.locator("details.account-menu summary").click()
    expect(page.locator(".account-menu").get_by_role("link", name="My Account")).to_be_visible()
    screenshot(page, "account-menu")
    page.locator("details.account-menu summary").click()

    page.get_by_role("link", name="Top up (demo)").click()
    expect(page.get_by_text("Demo: no real money.")).to_be_visible()
    page.get_by_label("Amount").fill("abc")
    page.get_by_role("button", name="Add demo money").click()
    expect(page.get_by_text("Enter the amount as a number, e.g. 100.50.")).to_be_visible()
    screenshot(page, "topup-error")
    page.get_by_label("Amount").fill("500")
    page.get_by_label("Currency").select_option("CNY")
    screenshot(page, "topup-form")
    page.get_by_role("button", name="Add demo money").click()
    expect(page.locator(".receipt-amount")).to_have_text("+CN¥500.00")
    expect(page.get_by_text("Demo money added to your balance.")).to_be_visible()
    screenshot(page, "topup-receipt")

    page.get_by_role("link", name="My Account").first.click()
    expect(page.locator(".balance-amount")).to_have_text("CN¥500.00")
    screenshot(page, "account-with-balance")

    page.get_by_role("link", name="Pay a merchant").click()
    page.get_by_label("Merchant").select_option(label="Tea Shop")
    page.get_by_label("Amount").fill("120.50")
    page.get_by_label("What are you paying for?").fill("Oolong tea, 250 g")
    screenshot(page, "pay-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm payment")
    confirmation = page.locator(".receipt .meta")
    expect(confirmation).to_contain_text("Tea Shop")
    expect(confirmation).to_contain_text("Fee for you")
    expect(confirmation).to_contain_text("CN¥379.50")
    screenshot(page, "pay-confirm")
    page.get_by_role("button", name="Pay CN¥120.50").click()

    expect(page.get_by_text("Payment complete.")).to_be_visible()
    expect(page.locator(".receipt-amount")).to_have_text("-CN¥120.50")
    receipt_url = page.url
    assert re.search(r"/account/transactions/\d+/$", receipt_url)
    assert Payment.objects.get().amount_minor == 12_050
    screenshot(page, "pay-receipt")

    page.get_by_role("link", name="Transaction history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transaction history")
    expect(page.locator(".tx-link")).to_have_count(2)
    screenshot(page, "history")
    page.locator("details.filters summary").click()
    page.get_by_label("Type").select_option("payment")
    screenshot(page, "history-filters")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".tx-link")).to_have_count(1)
    screenshot(page, "history-filtered")
    page.locator(".tx-link", has_text="Tea Shop").click()
    expect(page).to_have_url(receipt_url)
    expect(page.get_by_role("link", name="Contact the merchant")).to_be_visible()
    expect(page.get_by_role("link", name="Report an unauthorised payment")).to_be_visible()
    screenshot(page, "payment-detail")

    assert csp_violations == []


def test_merchant_refunds_part_of_a_payment_and_shares_a_payment_link(page, live_server, people, screenshot):
    from okpay.wallet import actions

    customer, shop = people
    actions.topup_demo(user=customer, amount_minor=50_000, currency="CNY", key="seed")
    actions.payment_create(
        customer=customer,
        merchant=shop,
        amount_minor=12_050,
        currency="CNY",
        description="Oolong tea, 250 g",
        key="p1",
    )

    page.goto(f"{live_server.url}/accounts/login/?next=/merchant/")
    page.locator("input[name=email]").fill(shop.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merchant area")
    expect(page.locator(".balance-amount")).to_have_text("CN¥119.78")
    screenshot(page, "merchant-home")

    page.locator(".tx-link", has_text="Lin").click()
    page.get_by_label("Amount to refund").fill("200")
    page.get_by_role("button", name="Send refund").click()
    expect(page.get_by_text("You can refund at most the amount not yet refunded.")).to_be_visible()
    screenshot(page, "refund-too-much")
    page.get_by_label("Amount to refund").fill("20.50")
    page.get_by_label("Reason").fill("One bag was damaged")
    page.get_by_role("button", name="Send refund").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the refund")  # money moves only now
    screenshot(page, "refund-confirm")
    page.get_by_role("button", name="Refund CN¥20.50").click()
    expect(page.get_by_text("The refund was sent to the customer.")).to_be_visible()
    expect(page.locator(".receipt-status")).to_have_text("Partially refunded")
    screenshot(page, "refund-done")

    page.get_by_role("link", name="Merchant area").first.click()
    page.get_by_role("link", name="Payment links").click()
    page.get_by_label("Amount").fill("88")
    page.get_by_label("Description").fill("Tea tasting ticket")
    page.get_by_role("button", name="Create link").click()
    share_url = page.locator("code.share-url").first.inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/pay/[\w-]+/", share_url)
    screenshot(page, "payment-links")

    path = share_url.removeprefix("http://127.0.0.1:8000")
    page.context.clear_cookies()
    page.goto(live_server.url + path)
    expect(
        page.get_by_role("link", name="登录并付款").or_(page.get_by_role("link", name="Sign in to pay"))
    ).to_be_visible()
    screenshot(page, "paylink-anonymous")
    page.locator("main a.button").click()
    page.locator("input[name=email]").fill(customer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    expect(page.get_by_role("button", name="Pay CN¥88.00")).to_be_visible()
    screenshot(page, "paylink-confirm")
    page.get_by_role("button", name="Pay CN¥88.00").click()
    expect(page.locator(".receipt-amount")).to_have_text("-CN¥88.00")
    screenshot(page, "paylink-receipt")
