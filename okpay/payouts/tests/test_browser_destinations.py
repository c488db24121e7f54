"""In Chromium: a customer adds a Chinese bank card in Chinese on a 390 px phone (a mistyped number is
refused next to the field and not written back; only the chosen kind's fieldset shows, without
script), then an IBAN in English at 1280 px, and sees both listed with their cooling-off badges.
Screenshots of both. The new page strings are selected by element or asserted in English: their
Chinese arrives with the catalog."""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.payouts.models import PayoutDestination

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CN_CARD = "6222 0210 0112 2334 458"
LIST = "/account/withdraw/destinations/"


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


def test_customer_adds_a_chinese_card_then_an_iban(chromium, live_server, make_user, screenshot):
    make_user(email="customer@example.com", full_name="王小明", language="zh-hans", time_zone="Asia/Shanghai")
    site = live_server.url

    # a phone, in Chinese
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, site, "customer@example.com")
    phone.goto(site + "/account/")
    phone.locator(f"main a[href='{LIST}']").click()
    expect(phone).to_have_url(site + LIST)
    phone.locator(f"main a[href='{LIST}new/']").click()
    form = phone.locator("form.destination-form")
    form.get_by_label("中国银行卡（银行转账）").check()
    expect(form.locator(".kind-fields-cn_bank_card")).to_be_visible()
    expect(form.locator(".kind-fields-iban")).to_be_hidden()
    expect(form.locator("select[name=cn_bank]")).to_contain_text("中国工商银行")
    form.locator("input[name=cn_card_number]").fill("6222 0210 0112 2334 457")  # one digit wrong
    form.locator("select[name=cn_bank]").select_option("ICBC")
    form.locator("input[name=cn_holder]").fill("王小明")
    form.locator("input[name=label]").fill("工资卡")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()

    form = phone.locator("form.destination-form")
    expect(form.locator(".field-error")).to_contain_text("卡号无效，请检查数字。")
    expect(form.locator("input[name=cn_card_number]")).to_have_value("")  # never written back
    expect(form.locator("input[name=cn_holder]")).to_have_value("王小明")
    screenshot(phone, "zh-390-card-refused")
    form.locator("input[name=cn_card_number]").fill(CN_CARD)
    form.locator("input[name=password]").fill(PASSWORD)
    screenshot(phone, "zh-390-card-form")
    form.locator("button[type=submit]").click()

    expect(phone).to_have_url(site + LIST)
    expect(phone.locator(".message-success")).to_be_visible()
    card = phone.locator("li.destination").filter(has_text="•••• 4458")
    expect(card).to_contain_text("中国银行卡（银行转账）")
    expect(card).to_contain_text("中国工商银行")
    expect(card).to_contain_text("工资卡")
    expect(card.locator(".badge-warn")).to_be_visible()
    assert "6222021001122334458" not in phone.content()
    screenshot(phone, "zh-390-list")
    phone.context.close()

    # a desktop, in English
    desktop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    desktop.set_default_timeout(20_000)
    sign_in(desktop, site, "customer@example.com")
    desktop.goto(site + "/account/")
    desktop.locator("#lang-select").select_option("en")  # saved for this signed-in customer
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    desktop.get_by_role("link", name="Payout destinations").click()
    desktop.get_by_role("link", name="Add a destination").click()
    expect(desktop.get_by_role("heading", name="Add a payout destination")).to_be_visible()
    form = desktop.locator("form.destination-form")
    form.get_by_label("Bank account (IBAN)").check()
    expect(form.locator(".kind-fields-cn_bank_card")).to_be_hidden()
    form.get_by_label("IBAN", exact=True).fill("GB82 WEST 1234 5698 7654 32")
    form.locator(".kind-fields-iban").get_by_label("Account holder").fill("Wang Xiaoming")
    form.get_by_label("Current password").fill(PASSWORD)
    screenshot(desktop, "en-1280-iban-form")
    form.get_by_role("button", name="Add destination").click()

    expect(desktop.locator(".message-success")).to_contain_text(
        "Added. Large withdrawals to it are possible from"
    )
    expect(desktop.get_by_role("heading", name="Payout destinations")).to_be_visible()
    iban = desktop.locator("li.destination").filter(has_text="•••• 5432")
    expect(iban).to_contain_text("Bank account (IBAN)")
    expect(iban).to_contain_text("United Kingdom")  # the registry does not know this bank: its country
    expect(iban.locator(".badge-warn")).to_contain_text("Cooling off until")
    card = desktop.locator("li.destination").filter(has_text="•••• 4458")
    expect(card).to_contain_text("Industrial and Commercial Bank of China")
    expect(desktop.locator(".badge-warn")).to_have_count(2)
    screenshot(desktop, "en-1280-list")
    desktop.context.close()
    assert PayoutDestination.objects.filter(removed_at__isnull=True).count() == 2
