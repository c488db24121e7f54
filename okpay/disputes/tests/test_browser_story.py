"""In Chromium, the issue's whole story: a Chinese-speaking customer (390 px phone) contacts the
merchant about a payment, the merchant (1280 px, English) declines, the customer opens a dispute with
a screenshot, the merchant contests, an agent decides a partial refund, and the customer sees the
refund in the balance and the decision on the timeline. Screenshots at each step."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.disputes.models import Dispute
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


def test_contact_refuse_dispute_contest_partial_refund(
    chromium, live_server, make_user, screenshot, tmp_path
):
    site = live_server.url
    buyer = make_user(email="wang@example.com", full_name="王小明", language="zh-hans")
    shop = make_user(email="shop@example.com", role="merchant", full_name="Headphones Ltd", language="en")
    make_user(email="agent@okpay.example", role="agent", language="en")
    topup_demo(user=buyer, amount_minor=100_000, currency="CNY", key="seed")
    payment = payment_create(
        customer=buyer, merchant=shop, amount_minor=20_000, currency="CNY", description="蓝牙耳机", key="p"
    )
    row = Transaction.objects.get(user=buyer, reference=f"payment:{payment.pk}")
    shot = tmp_path / "物流截图.png"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 500), (230, 240, 255)).save(buffer, format="PNG")
    shot.write_bytes(buffer.getvalue())

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()

    # the customer contacts the merchant from the payment
    sign_in(phone, site, buyer.email)
    phone.goto(site + f"/account/transactions/{row.pk}/")
    phone.locator(f"a[href='/account/disputes/contact/{payment.pk}/']").click()
    phone.locator("textarea[name=body]").fill("耳机还没收到，物流五天没有更新，请退款。")
    screenshot(phone, "1-contact")
    phone.locator("form.panel button[type=submit]").click()
    dispute = Dispute.objects.get()
    expect(phone).to_have_url(site + f"/account/disputes/{dispute.number}/")
    expect(phone.locator(".thread")).to_contain_text("耳机还没收到")

    # the merchant declines
    sign_in(desk, site, shop.email)
    desk.goto(site + "/merchant/disputes/")
    expect(desk.locator(".row-waiting")).to_contain_text(dispute.number)
    desk.get_by_role("link", name=dispute.number).click()
    desk.locator(".refuse-form textarea[name=body]").fill("The parcel was shipped; please wait.")
    screenshot(desk, "2-merchant-declines")
    desk.locator(".refuse-form button[type=submit]").click()
    expect(desk.locator(".timeline")).to_contain_text("declined")

    # the customer opens the dispute with a screenshot
    phone.reload()
    phone.locator(f"a[href='/account/disputes/open/{payment.pk}/']").click()
    phone.locator("input[name=reason][value=not_received]").check()
    phone.locator("input[name=amount]").fill("200.00")
    phone.locator("textarea[name=description]").fill("商家说已发货，但物流一直没有更新。")
    phone.locator("input[name=attachments]").set_input_files(str(shot))
    screenshot(phone, "3-open")
    phone.locator("form.panel button[type=submit]").click()
    expect(phone).to_have_url(site + f"/account/disputes/{dispute.number}/")
    expect(phone.locator(".evidence-list")).to_contain_text("物流截图.png")

    # the merchant contests
    desk.reload()
    desk.locator(".respond-form input[name=decision][value=contest]").check()
    desk.locator(".respond-form textarea[name=statement]").fill("Tracking shows it was delivered.")
    screenshot(desk, "4-merchant-contests")
    desk.locator(".respond-form button[type=submit]").click()
    dispute.refresh_from_db()
    assert dispute.status == "merchant_responded"

    # an agent decides a partial refund
    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    sign_in(agent, site, "agent@okpay.example")
    agent.goto(site + f"/console/disputes/{dispute.number}/")
    agent.locator("form.start-review button").click()
    agent.locator(".decision-form input[name=outcome][value=refund_partial]").check()
    agent.locator(".decision-form input[name=amount]").fill("80.00")
    agent.locator(".decision-form textarea[name=note_customer]").fill("快递未能证明已送达，退还部分金额。")
    agent.locator(".decision-form textarea[name=note_merchant]").fill("Delivery is not proven.")
    screenshot(agent, "5-agent-decides")
    agent.locator(".decision-form button[type=submit]").click()
    dispute.refresh_from_db()
    assert dispute.status == "resolved_partial" and dispute.refunded_minor == 8_000

    # the customer sees the refund in the balance and the decision on the timeline
    account = wallet_account(buyer, "CNY")
    account.refresh_from_db()
    assert account.available_balance == 100_000 - 20_000 + 8_000
    phone.goto(site + "/account/")
    expect(phone.locator("main")).to_contain_text("880.00")
    phone.goto(site + f"/account/disputes/{dispute.number}/")
    expect(phone.locator(".dispute-timeline")).to_contain_text("快递未能证明已送达")
    expect(phone.locator(".dispute-timeline")).not_to_contain_text("Delivery is not proven")
    screenshot(phone, "6-customer-sees-decision")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert ledger_verify() == []
