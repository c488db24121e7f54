"""In Chromium, every page of the disputes flow for the customer and the merchant (and the notices
page), in Chinese and English, on a 390 px phone and a 1280 px desktop: no server error, the page's
own language, nothing wider than the window. Screenshots of each."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from okpay.accounts.tests.factories import PASSWORD
from okpay.disputes import actions
from okpay.wallet.actions import payment_create, topup_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
HEADINGS = {
    "zh-hans": ("交易纠纷", "通知"),
    "en": ("Dispute", "Notices"),
}


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main input[name=password]").press("Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("language", "size"), [("zh-hans", "phone"), ("en", "desktop"), ("en", "phone"), ("zh-hans", "desktop")]
)
def test_dispute_pages_in_both_languages_and_sizes(
    chromium, live_server, make_user, screenshot, language, size
):
    site = live_server.url
    buyer = make_user(email="buyer@example.com", full_name="王小明", language=language)
    shop = make_user(email="shop@example.com", role="merchant", full_name="小店 Shop", language=language)
    topup_demo(user=buyer, amount_minor=100_000, currency="CNY", key="seed")
    first, second = (
        payment_create(
            customer=buyer, merchant=shop, amount_minor=20_000, currency="CNY", description=d, key=d
        )
        for d in ("蓝牙耳机 headphones", "书 book")
    )
    dispute = actions.dispute_contact_start(
        customer=buyer,
        payment_id=first.pk,
        body="还没收到 / not received",
        files=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    )
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="Shipped / 已发货")
    actions.dispute_open(
        customer=buyer, payment_id=first.pk, reason="not_received", amount_minor=20_000, description="x"
    )
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
    dispute_word, notices_word = HEADINGS[language]

    def visit(url, name, heading_word=None):
        page.goto(site + url)
        assert page.locator("html").get_attribute("lang").lower().startswith(language[:2])
        if heading_word:
            assert heading_word in page.locator("h1").inner_text()
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (url, wide)
        if language == "en":  # nothing of the other language on the page's own text (help texts included)
            assert "截图" not in page.locator("form").all_inner_texts().__str__(), url
        screenshot(page, f"{language}-{size}-{name}")

    sign_in(page, site, buyer.email)
    visit("/account/disputes/", "customer-list")
    visit(f"/account/disputes/{dispute.number}/", "customer-dispute", dispute_word)
    visit(f"/account/disputes/contact/{second.pk}/", "contact")
    visit(f"/account/disputes/open/{second.pk}/?reason=unauthorized", "open")
    visit("/notices/", "customer-notices", notices_word)
    context.clear_cookies()
    sign_in(page, site, shop.email)
    visit("/merchant/disputes/", "merchant-list")
    visit(f"/merchant/disputes/{dispute.number}/", "merchant-dispute", dispute_word)
    visit("/notices/", "merchant-notices", notices_word)
    assert errors == []
    context.close()
