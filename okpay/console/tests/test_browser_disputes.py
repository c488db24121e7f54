"""In Chromium: an agent (English, 1280 px) opens the dispute queue from the console home, sees the
urgent dispute first, opens a dispute with both sides' evidence (images inline), starts the review,
adds an internal note and decides a partial refund; a Chinese-speaking agent reads the queue and a
dispute on a 390 px phone without sideways scrolling. Screenshots at both widths. New strings are
asserted in English or selected by element: their Chinese arrives with the catalog."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.disputes import actions
from okpay.disputes.models import Dispute
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(name, colour):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def disputes(make_user):
    buyer = make_user(email="wang@example.com", full_name="王小明", language="zh-hans")
    shop = make_user(email="shop@example.com", role="merchant", full_name="小店 Headphones Ltd")
    topup_demo(user=buyer, amount_minor=500_000, currency="CNY", key="seed")
    topup_demo(user=shop, amount_minor=100_000, currency="CNY", key="shop-seed")

    def paid(key, amount=20_000):
        return payment_create(
            customer=buyer,
            merchant=shop,
            amount_minor=amount,
            currency="CNY",
            description="蓝牙耳机",
            key=key,
        )

    normal = actions.dispute_contact_start(
        customer=buyer,
        payment_id=paid("p1").pk,
        body="还没收到货，物流一直没有更新",
        files=[png("chat.png", (220, 60, 60))],
    )
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=normal.pk, body="已发货，请耐心等待")
    normal = actions.dispute_open(
        customer=buyer,
        payment_id=normal.payment_id,
        reason="not_received",
        amount_minor=20_000,
        description="付款两周了还没有收到耳机，商家说已发货但物流单号查不到。",
        files=[png("tracking.png", (60, 60, 220))],
    )
    actions.dispute_merchant_contest(
        merchant=shop,
        dispute_id=normal.pk,
        statement="Shipped with SF Express on the 3rd; the courier's record shows it signed for.",
        files=[png("waybill.png", (60, 180, 60))],
    )
    urgent = actions.dispute_open(
        customer=buyer,
        payment_id=paid("p2", 8_800).pk,
        reason="unauthorized",
        amount_minor=8_800,
        description="这笔不是我付的",
    )
    actions.dispute_merchant_contest(
        merchant=shop, dispute_id=urgent.pk, statement="The customer's own device paid."
    )
    return {"buyer": buyer, "shop": shop, "normal": normal, "urgent": urgent}


def test_agent_reviews_a_dispute_at_1280_and_390(chromium, live_server, make_user, disputes, screenshot):
    make_user(email="agent@okpay.example", role="agent", full_name="Ada Agent", language="en")
    make_user(email="kefu@okpay.example", role="agent", full_name="客服小李", language="zh-hans")
    site = live_server.url
    normal, urgent, buyer = disputes["normal"], disputes["urgent"], disputes["buyer"]
    customer_before = wallet_account(buyer, "CNY").available_balance

    desktop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    desktop.set_default_timeout(20_000)
    sign_in(desktop, site, "agent@okpay.example")
    desktop.goto(site + "/console/")
    tile = desktop.locator("li.card").filter(has=desktop.locator("a[href='/console/disputes/']"))
    expect(tile).to_contain_text("2 to review · 1 urgent · 0 overdue")
    tile.locator("a").click()
    rows = desktop.locator("table.dispute-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(urgent.number)  # urgent first
    expect(rows.first.locator(".badge-danger")).to_contain_text("Urgent")
    screenshot(desktop, "en-1280-queue")

    desktop.get_by_role("link", name=normal.number).click()
    expect(desktop.locator("h1")).to_contain_text(normal.number)
    images = desktop.locator(".evidence-sides img")
    expect(images).to_have_count(3)  # chat.png and tracking.png, waybill.png
    for index in range(3):  # each image arrives (waited for: a fixed check raced the download)
        images.nth(index).scroll_into_view_if_needed()
        desktop.wait_for_function(
            "img => img.complete && img.naturalWidth > 0",
            arg=images.nth(index).element_handle(),
            timeout=10_000,
        )
    expect(desktop.locator(".side-merchant")).to_contain_text("SF Express")
    desktop.get_by_role("button", name="Start review").click()
    expect(desktop.locator(".message-success")).to_contain_text("You are reviewing this dispute.")
    desktop.locator("textarea[name=body]").fill("Courier record looks edited; asked SF for the signature")
    desktop.get_by_role("button", name="Add internal note").click()
    expect(desktop.locator(".internal-notes")).to_contain_text("Courier record looks edited")
    screenshot(desktop, "en-1280-dispute")

    desktop.locator("input[name=outcome][value=refund_partial]").check()
    desktop.locator("input[name=amount]").fill("200.00")  # the whole disputed amount: refused
    desktop.locator("textarea[name=note_customer]").fill("Half refunded: the parcel was late")
    desktop.locator("textarea[name=note_merchant]").fill("Delivered late; half refunded")
    desktop.get_by_role("button", name="Record the decision").click()
    expect(desktop.locator(".message-error")).to_contain_text("less than the disputed amount")
    desktop.locator("input[name=amount]").fill("100.00")
    desktop.get_by_role("button", name="Record the decision").click()
    expect(desktop.locator(".message-success")).to_contain_text("Decision recorded.")
    expect(desktop.locator("h1")).to_contain_text("Resolved: partial refund")
    expect(desktop.locator(".dispute-timeline")).to_contain_text("To the merchant: Delivered late")
    screenshot(desktop, "en-1280-decided")
    desktop.context.close()
    assert Dispute.objects.get(pk=normal.pk).refunded_minor == 10_000
    account = wallet_account(buyer, "CNY")
    account.refresh_from_db()
    assert account.available_balance == customer_before + 10_000
    assert ledger_verify() == []

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.set_default_timeout(20_000)
    sign_in(phone, site, "kefu@okpay.example")
    phone.goto(site + "/console/disputes/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(phone.locator("table.dispute-queue tbody tr")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "zh-390-queue")
    phone.goto(site + "/console/disputes/?show=every")
    expect(phone.locator("table.dispute-queue tbody tr")).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "zh-390-every")
    phone.goto(site + f"/console/disputes/{urgent.number}/")
    expect(phone.locator("h1")).to_contain_text(urgent.number)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "zh-390-dispute")
    phone.goto(site + f"/console/disputes/{normal.number}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "zh-390-decided")
    phone.context.close()
