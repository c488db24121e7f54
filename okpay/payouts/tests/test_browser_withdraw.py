"""In Chromium: a customer with a balance and a cooled-off Chinese bank card withdraws in Chinese on a
390 px phone — from My Account's 资金转出 to the form, the confirmation with the fee and the arrival
date, the status page "转出中" — and, once the sandbox's time has come (the clock moved past it and the
payout sweep run), sees it paid. Then an English customer at 1280 px withdraws from a euro balance to
a debit card, instant. Screenshots of each step. New page strings are selected by element or asserted
in English: their Chinese arrives with the catalog."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.payouts import policy
from okpay.payouts.actions import destination_add
from okpay.payouts.models import Withdrawal
from okpay.payouts.providers import sandbox_sweep
from okpay.wallet.actions import topup_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "/account/withdraw/"
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


def cooled(destination):
    destination.usable_for_large_after = destination.created_at
    destination.save(update_fields=["usable_for_large_after"])
    return destination


def test_withdraw_in_chinese_on_a_phone_then_in_english(
    chromium, live_server, make_user, screenshot, time_machine
):
    from okpay.wallet.fx import rates_refresh

    rates_refresh()
    site = live_server.url
    wang = make_user(
        email="wang@example.com", full_name="王小明", language="zh-hans", time_zone="Asia/Shanghai"
    )
    topup_demo(user=wang, amount_minor=500_000, currency="CNY", key="seed")  # ¥5,000.00
    cooled(
        destination_add(
            user=wang,
            kind="cn_bank_card",
            data={"card_number": "6222021001122334458", "bank_code": "ICBC", "holder_name": "王小明"},
            label="工资卡",
            password=PASSWORD,
            network="203.0.113.9",
        )
    )

    # a phone, in Chinese
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, site, "wang@example.com")
    phone.goto(site + "/account/")
    link = phone.locator(f"main .quick-actions a[href='{FORM}']")
    expect(link).to_have_text("资金转出")
    link.click()
    expect(phone).to_have_url(site + FORM)
    expect(phone.locator("h1")).to_have_text("资金转出")
    expect(phone.locator(".balances")).to_contain_text("¥5,000.00")
    form = phone.locator("form.withdraw-form")
    expect(form.locator("input[name=destination]")).to_be_checked()  # the only destination
    expect(form.locator(".field").filter(has=phone.locator("input[name=destination]"))).to_contain_text(
        "•••• 4458 · 中国工商银行 · 工资卡"
    )
    expect(form.locator("input[name=speed][value=standard]")).to_be_checked()
    expect(form.locator("input[name=speed][value=instant]")).to_have_count(0)  # a bank card: standard only
    form.locator("input[name=amount]").fill("0.5")
    form.locator("button[type=submit]").click()
    expect(phone.locator(".field-error")).to_contain_text(
        "最低资金转出金额为 ¥1.00。"
    )  # refused at its field
    screenshot(phone, "zh-390-too-small")
    phone.locator("form.withdraw-form input[name=amount]").fill("100")
    screenshot(phone, "zh-390-form")
    phone.locator("form.withdraw-form button[type=submit]").click()

    expect(phone).to_have_url(re.compile(r"/account/withdraw/confirm/\?"))
    expect(phone.locator(".quote-received")).to_have_text("¥100.00")
    expect(phone.locator(".quote-fee")).to_have_text("¥1.00")
    expect(phone.locator(".quote-total")).to_have_text("¥101.00")
    expect(phone.locator(".quote-method")).to_have_text("银行转账")
    arrival = timezone.localtime(policy.arrival("bank_transfer", timezone.now()).latest, SH)
    expect(phone.locator(".quote-arrival")).to_contain_text(
        f"{arrival.year}年{arrival.month}月{arrival.day}日"
    )
    expect(phone.locator(".quote-arrival")).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    assert Withdrawal.objects.count() == 0  # the confirmation stores nothing
    screenshot(phone, "zh-390-confirm")
    phone.locator("form.stack-actions button[type=submit]").click()

    expect(phone).to_have_url(re.compile(r"/account/withdraw/\d+/$"))
    expect(phone.locator(".withdrawal-status")).to_contain_text("转出中")
    expect(phone.locator(".badge-sandbox")).to_be_visible()
    expect(phone.locator(".timeline li")).to_have_count(2)  # requested, processing
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.amount_minor, withdrawal.fee_minor) == ("processing", 10_000, 100)
    screenshot(phone, "zh-390-processing")

    time_machine.move_to(withdrawal.provider_due_at + timedelta(minutes=1))
    assert sandbox_sweep() == 1
    phone.reload()
    expect(phone.locator(".withdrawal-status")).to_contain_text("已到账")
    expect(phone.locator(".withdrawal-paid-at")).to_be_visible()
    expect(phone.locator(".timeline li")).to_have_count(3)
    screenshot(phone, "zh-390-paid")
    phone.context.close()

    # a desktop, in English: a euro balance to a debit card, instant
    emma = make_user(email="emma@example.com", full_name="Emma", language="en", time_zone="Europe/London")
    topup_demo(user=emma, amount_minor=100_000, currency="EUR", key="seed")
    cooled(
        destination_add(
            user=emma,
            kind="iban",
            data={"iban": "DE89370400440532013000", "holder_name": "Emma Smith"},
            password=PASSWORD,
            network="203.0.113.9",
        )
    )
    cooled(
        destination_add(
            user=emma,
            kind="debit_card",
            data={"card_number": "4111111111111111", "holder_name": "EMMA SMITH"},
            password=PASSWORD,
            network="203.0.113.9",
        )
    )
    desktop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    desktop.set_default_timeout(20_000)
    sign_in(desktop, site, "emma@example.com")
    desktop.goto(site + "/account/")
    desktop.locator(".quick-actions").get_by_role("link", name="Withdraw funds").click()
    expect(desktop.get_by_role("heading", name="Withdraw funds")).to_be_visible()
    form = desktop.locator("form.withdraw-form")
    expect(form.locator("select[name=currency]")).to_have_value("EUR")  # the balance with money
    form.get_by_label("Amount to receive").fill("40")
    form.get_by_label(re.compile(r"Debit card •••• 1111")).check()
    form.get_by_label("Instant").check()
    screenshot(desktop, "en-1280-form")
    form.get_by_role("button", name="Continue").click()

    expect(desktop.get_by_role("heading", name="Confirm your withdrawal")).to_be_visible()
    expect(desktop.locator(".quote-method")).to_have_text("Debit card, instant")
    expect(desktop.locator(".quote-fee")).to_have_text("€2.00")  # 1.5% of 40.00 → the 2.00 minimum
    expect(desktop.locator(".quote-total")).to_have_text("€42.00")
    expect(desktop.locator(".quote-arrival")).to_contain_text(re.compile(r"^by .+ \d{2}:\d{2}$"))
    screenshot(desktop, "en-1280-confirm")
    desktop.get_by_role("button", name="Confirm and withdraw").click()

    expect(desktop.locator(".withdrawal-status")).to_contain_text("In transit")
    expect(desktop.locator(".withdrawal-status")).to_contain_text("Sandbox")
    expect(desktop.get_by_text("Cancel this withdrawal")).to_have_count(0)  # on its way
    screenshot(desktop, "en-1280-processing")
    desktop.get_by_role("link", name="Your withdrawals").click()
    expect(desktop.locator(".withdrawal-row")).to_have_count(1)
    expect(desktop.locator(".withdrawal-row")).to_contain_text("€40.00")
    screenshot(desktop, "en-1280-history")
    desktop.context.close()
