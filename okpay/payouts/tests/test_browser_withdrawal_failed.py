"""In Chromium, the story of a failed withdrawal with the manual provider: a Chinese-speaking customer on
a 390 px phone withdraws ¥100.00 to a bank card and sees ¥101.00 (amount + fee) leave the available
balance; an operator in the console marks it sent to the bank, then failed because the receiving
account is closed; the customer sees 失败 with the translated reason on the status page and the
balance back to the last fen, and the ledger still balances. Screenshots of each step."""

import re

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.payouts.actions import destination_add
from okpay.payouts.models import Withdrawal
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM = "/account/withdraw/"


@pytest.fixture(autouse=True)
def manual(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_failed_withdrawal_gives_back_amount_and_fee(chromium, live_server, make_user, screenshot):
    from okpay.wallet.fx import rates_refresh

    rates_refresh()
    site = live_server.url
    wang = make_user(
        email="wang@example.com", full_name="王小明", language="zh-hans", time_zone="Asia/Shanghai"
    )
    topup_demo(user=wang, amount_minor=500_000, currency="CNY", key="seed")  # ¥5,000.00
    card = destination_add(
        user=wang,
        kind="cn_bank_card",
        data={"card_number": "6222021001122334458", "bank_code": "ICBC", "holder_name": "王小明"},
        password=PASSWORD,
        network="203.0.113.9",
    )
    make_user(email="ops@okpay.example", role="supervisor", language="en")
    account = wallet_account(wang, "CNY")

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, site, "wang@example.com")
    phone.goto(site + "/account/")
    phone.locator(f"main .quick-actions a[href='{FORM}']").click()
    expect(phone.locator("h1")).to_have_text("资金转出")
    expect(phone.locator(".balances")).to_contain_text("¥5,000.00")
    form = phone.locator("form.withdraw-form")
    form.locator("input[name=amount]").fill("100")
    expect(form.locator("input[name=destination]")).to_be_checked()  # the only destination
    form.locator("button[type=submit]").click()

    expect(phone).to_have_url(re.compile(r"/account/withdraw/confirm/\?"))
    expect(phone.locator(".quote-fee")).to_have_text("¥1.00")
    expect(phone.locator(".quote-total")).to_have_text("¥101.00")
    fits(phone)
    screenshot(phone, "zh-390-confirm")
    phone.get_by_role("button", name="确认转出").click()

    expect(phone).to_have_url(re.compile(r"/account/withdraw/\d+/$"))
    expect(phone.locator(".withdrawal-status")).to_contain_text("待处理")  # waits for the operators
    expect(phone.locator(".badge-sandbox")).to_have_count(0)
    expect(phone.get_by_role("link", name="取消这笔资金转出")).to_be_visible()
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.status, withdrawal.provider, withdrawal.destination_id) == (
        "requested",
        "manual",
        card.pk,
    )
    fits(phone)
    screenshot(phone, "zh-390-pending")
    account.refresh_from_db()
    assert account.available_balance == 500_000 - 10_100  # amount + fee held at once
    phone.goto(site + FORM)
    expect(phone.locator(".balances")).to_contain_text("¥4,899.00")
    expect(phone.locator(".balances")).to_contain_text("¥101.00")  # on hold
    screenshot(phone, "zh-390-balance-held")

    # the operator: sent to the bank, then failed (the receiving account is closed)
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    desk.set_default_timeout(20_000)
    sign_in(desk, site, "ops@okpay.example")
    desk.goto(site + f"/console/withdrawals/{withdrawal.pk}/")
    desk.get_by_role("button", name="Sent to the bank").click()
    expect(desk.locator(".message-success")).to_contain_text("Marked as sent to the bank.")
    phone.goto(site + f"/account/withdraw/{withdrawal.pk}/")
    expect(phone.locator(".withdrawal-status")).to_contain_text("转出中")
    expect(phone.get_by_role("link", name="取消这笔资金转出")).to_have_count(0)  # on its way: no cancel
    desk.locator("#failure-code").select_option("account_closed")
    desk.locator("#failure-note").fill("ICBC: account closed")
    desk.get_by_role("button", name="Mark failed and return the money").click()
    expect(desk.locator("h1")).to_contain_text("Failed")
    desk.context.close()

    # the customer: 失败, the reason in Chinese, everything back
    phone.reload()
    expect(phone.locator(".withdrawal-status")).to_contain_text("失败")
    failure = phone.locator(".withdrawal-failure")
    expect(failure).to_contain_text("这笔资金转出失败。")
    expect(failure).to_contain_text("收款账户已注销。")
    expect(failure).to_contain_text("全部金额和手续费已退回您的余额。")
    expect(phone.locator(".timeline li")).to_have_count(3)  # pending, in transit, failed
    expect(phone.locator(".withdrawal-arrival")).to_have_count(0)  # no arrival promised any more
    fits(phone)
    screenshot(phone, "zh-390-failed")
    phone.goto(site + FORM)
    expect(phone.locator(".balances")).to_contain_text("¥5,000.00")
    expect(phone.locator(".balances")).not_to_contain_text("¥101.00")
    expect(phone.locator(f".withdrawal-row[data-withdrawal='{withdrawal.pk}']")).to_contain_text("失败")
    fits(phone)
    screenshot(phone, "zh-390-balance-back")
    phone.context.close()

    account.refresh_from_db()
    assert account.available_balance == 500_000
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.failure_code) == ("failed", "account_closed")
    assert ledger_verify() == []
