"""In Chromium: an operator (supervisor, English, 1280 px) finds the withdrawal queue from the console
home with its live line, filters it, approves a held withdrawal with a note, shows a bank card's full
number (audited), marks a payout sent then failed with a reason (the money comes back), and exports a
payout batch as CSV; a Chinese-speaking supervisor reads the queue and a withdrawal on a 390 px phone.
Screenshots of the queue and a detail at both widths. The new strings are asserted in English or
selected by element: their Chinese arrives with the catalog."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.models import AuditEvent
from okpay.payouts.models import PayoutDestination, Withdrawal
from okpay.payouts.withdrawals import withdrawal_submit
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CN_CARD = "6222021001122334458"
IBAN = "DE89370400440532013000"


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def queue(make_user, settings):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.wallet.fx import rates_refresh

    rates_refresh()
    payee = make_user(email="payee@example.com", full_name="王小明", verification_level=2)
    topup_demo(user=payee, amount_minor=1_000_000, currency="CNY", key="seed")
    now = timezone.now()
    card = PayoutDestination.objects.create(
        user=payee,
        kind="cn_bank_card",
        account=CN_CARD,
        country="CN",
        bank_code="ICBC",
        bank_name="中国工商银行",
        holder_name="王小明",
        usable_for_large_after=now,
    )
    iban = PayoutDestination.objects.create(
        user=payee,
        kind="iban",
        account=IBAN,
        country="DE",
        bank_name="Commerzbank",
        holder_name="Wang Xiaoming",
        usable_for_large_after=now,
    )
    ewallet = PayoutDestination.objects.create(
        user=payee, kind="ewallet", provider="alipay", account="13800138000", usable_for_large_after=now
    )

    def submit(destination, amount, key):
        return withdrawal_submit(
            user=payee,
            destination_id=destination.pk,
            amount_minor=amount,
            currency="CNY",
            speed="standard",
            key=key,
        )

    held = submit(iban, 500_000, "held")  # the first ≥ 500 EUR to the IBAN: under review
    old = submit(card, 12_000, "old")
    Withdrawal.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=6))  # past the target
    card_payout = submit(card, 10_000, "card")
    quick = submit(ewallet, 2_000, "quick")
    return {"payee": payee, "held": held, "old": old, "card": card_payout, "quick": quick}


def test_operator_works_the_withdrawal_queue(chromium, live_server, make_user, queue, screenshot):
    make_user(email="ops@okpay.example", role="supervisor", language="en")
    make_user(email="zhuguan@okpay.example", role="supervisor", language="zh-hans")
    site = live_server.url
    held, card = queue["held"], queue["card"]

    desktop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    desktop.set_default_timeout(20_000)
    sign_in(desktop, site, "ops@okpay.example")
    desktop.goto(site + "/console/")
    tile = desktop.locator("li.card").filter(has=desktop.locator("a[href='/console/withdrawals/']"))
    expect(tile).to_contain_text("1 to review · 3 to pay")
    tile.locator("a").click()
    expect(desktop).to_have_url(site + "/console/withdrawals/")
    rows = desktop.locator("table.withdrawal-queue tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text(queue["old"].reference)  # oldest first
    expect(rows.first.locator(".badge-danger")).to_contain_text("6 d")
    expect(desktop.locator(".status-tabs [aria-current=page]")).to_contain_text("4")
    screenshot(desktop, "en-1280-queue")

    desktop.locator("details.filters summary").click()
    desktop.locator("select[name=method]").first.select_option("ewallet")
    desktop.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(queue["quick"].reference)
    desktop.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(4)

    # the held withdrawal: approved with a note
    desktop.get_by_role("link", name=held.reference).click()
    expect(desktop.locator("h1")).to_contain_text("Under review")
    desktop.locator("#review-note").fill("Salary from the employer, payslips checked")
    desktop.get_by_role("button", name="Approve").click()
    expect(desktop.locator(".message-success")).to_contain_text("Decision recorded.")
    expect(desktop.locator("h1")).to_contain_text("Pending")
    expect(desktop.locator(".timeline")).to_contain_text("Salary from the employer")

    # the card payout: the full number on request, sent to the bank, then failed
    desktop.goto(site + f"/console/withdrawals/{card.pk}/")
    assert CN_CARD not in desktop.content()
    desktop.get_by_role("button", name="Show the full number").click()
    expect(desktop.locator(".full-number")).to_have_text("6222 0210 0112 2334 458")
    assert (
        AuditEvent.objects.filter(action="withdrawal.destination_revealed", data__withdrawal=card.pk).count()
        == 1
    )
    screenshot(desktop, "en-1280-detail-number-shown")
    desktop.get_by_role("button", name="Sent to the bank").click()
    expect(desktop.locator(".message-success")).to_contain_text("Marked as sent to the bank.")
    assert CN_CARD not in desktop.content()  # not on the page again after the look
    desktop.locator("#failure-code").select_option("name_mismatch")
    desktop.locator("#failure-note").fill("ICBC returned it: the name does not match")
    desktop.get_by_role("button", name="Mark failed and return the money").click()
    expect(desktop.locator(".message-success")).to_contain_text("back in the customer's balance")
    expect(desktop.locator("h1")).to_contain_text("Failed")
    screenshot(desktop, "en-1280-detail-failed")

    # the batch: the approved IBAN, the old card payout and the e-wallet, as CSV; all now processing
    desktop.goto(site + "/console/withdrawals/")
    desktop.locator("details.batch-export summary").click()
    with desktop.expect_download() as download:
        desktop.get_by_role("button", name="Export a payout batch (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert IBAN in text and CN_CARD in text and "13800138000" in text
    statuses = dict(Withdrawal.objects.values_list("pk", "status"))
    assert statuses == {
        held.pk: "processing",
        queue["old"].pk: "processing",
        card.pk: "failed",
        queue["quick"].pk: "processing",
    }
    desktop.context.close()
    account = wallet_account(queue["payee"], "CNY")
    account.refresh_from_db()
    assert account.available_balance == 1_000_000 - sum(
        w.total_minor for w in Withdrawal.objects.filter(status="processing")
    )
    assert ledger_verify() == []

    # a phone, in Chinese
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, site, "zhuguan@okpay.example")
    phone.goto(site + "/console/withdrawals/?status=all")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(phone.locator("table.withdrawal-queue tbody tr")).to_have_count(4)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # the queue's rows stack: nothing wider than the phone
    screenshot(phone, "zh-390-queue")
    phone.locator(f"a[href='/console/withdrawals/{card.pk}/']").first.click()
    expect(phone.locator("h1")).to_contain_text("失败")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "zh-390-detail")
    phone.context.close()
