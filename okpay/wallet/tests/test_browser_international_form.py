"""In Chromium, as the demo customer, on the "send money abroad" form (issue 16 item 8): at 390 px in
Chinese and at 1280 px in English, a sanctioned country posted anyway (the list does not offer it)
is refused on the form before any quote exists, and the address fields appear as the amount crosses
the threshold that needs them (and go away below it). Nothing on the form is wider than the screen."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from okpay.wallet.models import Quote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "email": "邮箱地址",
        "password": "密码",
        "login": "登录",
        "send_in": "汇出币种",
        "amount": "汇出金额",
        "country": "收款人所在国家/地区",
        "gets": "收款人实收",
        "name": "收款人全名",
        "account": "收款人 IBAN 或账号",
        "recipient_address": "收款人地址（1,000 EUR 及以上必填）",
        "sender_address": "您的地址（1,000 EUR 及以上必填）",
        "quote": "获取报价",
        "sanctions": "朝鲜受制裁，不允许向其汇款。请选择其他国家或地区。",
        "first_country": "阿富汗 (AF)",
        "required": "请填写收款人地址：此金额需要填写。",
    },
    "en": {
        "email": "邮箱地址",  # the sign-in page is in Chinese until the language is switched
        "password": "密码",
        "login": "登录",
        "send_in": "You send in",
        "amount": "Amount you send",
        "country": "Recipient's country",
        "gets": "Recipient gets",
        "name": "Recipient's full name",
        "account": "Recipient's IBAN or account number",
        "recipient_address": "Recipient's address (needed from 1,000 EUR)",
        "sender_address": "Your address (needed from 1,000 EUR)",
        "quote": "Get a quote",
        "sanctions": "Transfers to North Korea are not allowed (sanctions).",
        "first_country": "Afghanistan (AF)",
        "required": "Enter the recipient's address: this amount needs it.",
    },
}


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo")
    return live_server.url


def sign_in(page, site, language):
    t = TEXT[language]
    page.goto(site + "/accounts/login/")
    page.get_by_label(t["email"], exact=True).fill("customer@example.com")
    page.get_by_label(t["password"]).fill("okpay-demo-2026")
    page.get_by_role("main").get_by_role("button", name=t["login"]).click()
    page.goto(site + "/account/")
    page.locator("#lang-select").select_option(language)  # saved for this signed-in customer
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh-hans" else "en")


def assert_fits(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"
    hidden = page.evaluate(
        "Math.max(0, ...[...document.querySelectorAll('.table-wrap')]"
        ".map(w => w.scrollWidth - w.clientWidth))"
    )
    assert hidden <= 0, f"a table is {hidden}px wider than its box (scrolled out of sight)"


def check_form(page, site, screenshot, language):
    t = TEXT[language]
    sign_in(page, site, language)
    quotes = Quote.objects.count()  # the demo's transfers have theirs
    page.goto(site + "/account/international/")
    country = page.get_by_label(t["country"])
    offered = country.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert "KP" not in offered and "IR" not in offered and "US" in offered
    assert country.locator("option").nth(1).inner_text() == t["first_country"]  # CLDR name, sorted
    recipient_address = page.get_by_label(t["recipient_address"])
    sender_address = page.get_by_label(t["sender_address"])
    expect(recipient_address).to_be_hidden()
    expect(sender_address).to_be_hidden()
    assert_fits(page)
    screenshot(page, f"form-{language}")

    # the address fields follow the amount (CNY at the demo's reference rates)
    page.get_by_label(t["send_in"]).select_option("CNY")
    page.get_by_label(t["amount"]).fill("20,000")
    expect(recipient_address).to_be_visible()
    expect(sender_address).to_be_visible()
    assert_fits(page)
    screenshot(page, f"addresses-{language}")
    page.get_by_label(t["amount"]).fill("100")
    expect(recipient_address).to_be_hidden()
    page.get_by_label(t["amount"]).fill("20000")
    expect(recipient_address).to_be_visible()
    page.get_by_label(t["send_in"]).select_option("USD")  # 20,000 USD: still needed
    expect(recipient_address).to_be_visible()
    page.get_by_label(t["amount"]).fill("100")
    page.get_by_label(t["send_in"]).select_option("CNY")

    # a sanctioned country posted anyway (as a tampered page would) is refused on the form
    country.evaluate("select => select.add(new Option('KP', 'KP'))")
    country.select_option("KP")
    page.get_by_label(t["gets"]).select_option("USD")
    page.get_by_label(t["name"]).fill("Kim")
    page.get_by_label(t["account"]).fill("KP12345678")
    page.get_by_role("button", name=t["quote"]).click()
    error = page.locator(".field-error").filter(has_text=t["sanctions"])
    expect(error).to_be_visible()
    assert page.url.rstrip("/").endswith("/account/international")
    assert Quote.objects.count() == quotes
    expect(page.get_by_label(t["name"])).to_have_value("Kim")  # what was typed stays
    assert_fits(page)
    screenshot(page, f"sanctioned-{language}")

    # a large amount without addresses, sent without the script's help: asked for on the form
    country.select_option("US")
    expect(page.get_by_label(t["gets"])).to_have_value("USD")  # the country's currency, picked for them
    page.get_by_label(t["amount"]).fill("20000")
    page.evaluate("document.querySelectorAll('[data-address-field]').forEach(el => el.hidden = true)")
    page.get_by_role("button", name=t["quote"]).click()
    expect(page.get_by_label(t["recipient_address"])).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(2)
    expect(page.locator(".field-error").first).to_contain_text(t["required"])
    assert Quote.objects.count() == quotes
    screenshot(page, f"addresses-required-{language}")


def test_form_refuses_a_sanctioned_country_and_asks_for_addresses_390_chinese(page, site, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    check_form(page, site, screenshot, "zh-hans")


def test_form_refuses_a_sanctioned_country_and_asks_for_addresses_1280_english(chromium, site, screenshot):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        check_form(page, site, screenshot, "en")
    finally:
        context.close()


def test_change_the_details_keeps_what_was_typed_and_cancelling_asks_once_390_english(page, site, screenshot):
    t = TEXT["en"]
    sign_in(page, site, "en")
    page.goto(site + "/account/international/")
    typed = {t["amount"]: "250.50", t["name"]: "Alice Johnson", t["account"]: "GB29 NWBK 6016 1331 9268 19"}
    page.get_by_label(t["send_in"]).select_option("CNY")
    page.get_by_label(t["country"]).select_option("GB")
    for label, value in typed.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Purpose (optional)").fill("birthday present")
    page.get_by_role("button", name=t["quote"]).click()
    expect(page.get_by_role("heading", name="Confirm your transfer")).to_be_visible()
    assert_fits(page)
    page.get_by_role("link", name="Change the details").click()

    for label, value in typed.items():
        expect(page.get_by_label(label)).to_have_value(value)
    expect(page.get_by_label("Purpose (optional)")).to_have_value("birthday present")
    expect(page.get_by_label(t["country"])).to_have_value("GB")
    expect(page.get_by_label(t["gets"])).to_have_value("GBP")
    page.get_by_role("button", name=t["quote"]).click()
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_role("heading", name="International transfer")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Estimated arrival")).to_be_visible()
    assert_fits(page)
    screenshot(page, "receipt")

    page.on("dialog", lambda dialog: pytest.fail(f"unexpected browser prompt: {dialog.message}"))
    page.get_by_role("button", name="Cancel (possible until", exact=False).click()
    expect(page.get_by_role("heading", name="Cancel this transfer?")).to_be_visible()
    assert_fits(page)
    screenshot(page, "cancel-confirmation")
    page.get_by_role("button", name="Yes, cancel the transfer").click()
    expect(
        page.get_by_text("The transfer is cancelled and the money is back in your balance.")
    ).to_be_visible()
    expect(page.get_by_role("rowheader", name="Estimated arrival")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel (possible until", exact=False)).to_have_count(0)
    assert_fits(page)
    screenshot(page, "cancelled")
