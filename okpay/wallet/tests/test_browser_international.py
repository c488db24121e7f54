"""In Chromium: the demo customer sends money abroad in English (quote → confirmation with rate,
mark-up, fees and amount received → confirm → receipt), then views the history and the detail in
Chinese."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo")
    return live_server.url


def test_international_payment_in_english_then_history_in_chinese(page, site, screenshot):
    page.goto(site + "/accounts/login/")
    page.get_by_label("邮箱地址", exact=True).fill("customer@example.com")
    page.get_by_label("密码").fill("okpay-demo-2026")
    page.get_by_role("main").get_by_role("button", name="登录").click()
    page.goto(site + "/account/")
    page.locator("#lang-select").select_option("en")  # saved for this signed-in customer
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Send money abroad").click()
    page.get_by_label("You send in").select_option("CNY")
    page.get_by_label("Amount you send").fill("2000")
    page.get_by_label("Recipient's country").select_option("GB")
    page.get_by_label("Recipient gets").select_option("GBP")
    page.get_by_label("Recipient's full name").fill("Alice Johnson")
    page.get_by_label("Recipient's IBAN or account number").fill("GB29 NWBK 6016 1331 9268 19")
    screenshot(page, "quote-form")
    page.get_by_role("button", name="Get a quote").click()

    expect(page.get_by_role("heading", name="Confirm your transfer")).to_be_visible()
    table = page.locator("table.quote")
    for label in (
        "You send",
        "Fixed fee",
        "Exchange rate applied",
        "Our mark-up over the reference rate",
        "Recipient gets",
        "Estimated arrival",
        "Total taken from your balance",
    ):
        expect(table.get_by_role("rowheader", name=label, exact=False).first).to_be_visible()
    expect(table).to_contain_text("0.5%")
    expect(table).to_contain_text("1 CNY = ")
    expect(table).to_contain_text("£")
    screenshot(page, "confirmation")
    page.get_by_role("button", name="Confirm and send").click()

    expect(page.get_by_role("heading", name="International transfer")).to_be_visible()
    expect(page.get_by_text("Processing")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel (possible until", exact=False)).to_be_visible()
    screenshot(page, "receipt")

    page.locator("#lang-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.goto(site + "/account/transactions/")
    first = page.locator("main a[href^='/account/transactions/']").filter(has_text="Alice Johnson").first
    expect(first).to_contain_text("Alice Johnson")
    screenshot(page, "history-zh")
    first.click()
    expect(page.get_by_text("国际汇款").first).to_be_visible()
    expect(page.get_by_text("处理中").first).to_be_visible()
    screenshot(page, "detail-zh")
