"""Issue 16, item 4, in Chromium: where people read words there are no codes. On the demo data, a
supervisor opens the console pages that used to show them (customer card, review queue and review page,
the bot log, the help report, questions, withdrawals, disputes) and a customer their transaction and
transfer pages, at 390 px in Chinese and 1280 px in English; the visible text holds no
lowercase_with_underscores token and no bare language code."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SNAKE = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@-])")
LANGUAGE_CODE = re.compile(r"(?<![\w./@-])(?:zh-hans|zh_hans|zh-hant|zh|en|en-us|en-gb)(?![\w@-])", re.I)
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|/\S+")  # emails, links and paths are not read as words


def raw_codes(text: str) -> list[str]:
    words = ADDRESS.sub(" ", text)
    return sorted(set(SNAKE.findall(words)) | set(LANGUAGE_CODE.findall(words)))


def test_the_scanner_finds_what_it_must():
    assert raw_codes("参考号 payment:26 原因 large_transfer, new_beneficiary_large 语言 zh-hans") == [
        "large_transfer",
        "new_beneficiary_large",
        "zh-hans",
    ]
    assert raw_codes("Language: en · Refund_not_showing_up") == ["en"]  # capitalised slugs below
    assert raw_codes("customer.en@example.com wrote /account/top_up/ — 中文 English") == []


BOT_SLUG = re.compile(r"\b[A-Z][a-z]+(?:_[a-z]+)+\b")  # BANKING77 intent names: Refund_not_showing_up


@pytest.fixture
def demo(live_server, tiny_bot):
    from okpay.core import hooks
    from okpay.wallet.models import InternationalTransfer, Transaction

    for step in hooks.items(hooks.DEMO_STEPS):
        if step.name != "bot":
            step.run()
    asker = Client()
    for text in ("怎么重置密码", "my refund is not showing up", "转账被退回了"):
        assert (
            asker.post("/api/v1/bot/answer", {"text": text}, content_type="application/json").status_code
            == 200
        )
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    customer = users.get(email="customer@example.com")
    return {
        "customer": customer,
        "review": InternationalTransfer.objects.filter(status="under_review").first(),
        "transfer": InternationalTransfer.objects.filter(user=customer).first(),
        "transaction": Transaction.objects.filter(user=customer).order_by("-id").first(),
    }


def _sign_in(page, base, email):
    from okpay.core.demo import DEMO_PASSWORD

    page.goto(base + "/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize(("width", "locale", "language"), [(390, "zh-CN", "zh-hans"), (1280, "en-US", "en")])
def test_console_and_customer_pages_show_words_not_codes(
    chromium, live_server, demo, screenshot, width, locale, language
):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(email__in=["supervisor@example.com", "customer@example.com"]).update(
        language=language
    )
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    _sign_in(page, base, "supervisor@example.com")
    staff_pages = [
        f"/console/customers/{demo['customer'].pk}/",
        "/console/reviews/",
        f"/console/reviews/{demo['review'].pk}/",
        "/console/bot/",
        "/console/help/report/",
        "/console/tickets/",
        "/console/withdrawals/",
        "/console/disputes/",
    ]
    found = {}
    for path in staff_pages:
        page.goto(base + path)
        expect(page.locator("h1").first).to_be_visible()
        text = page.locator("body").inner_text()
        codes = raw_codes(text) + BOT_SLUG.findall(text)
        if codes:
            found[path] = codes
        width_over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert width_over <= 0, f"{path} is {width_over} px wider than the window"
    screenshot(page, f"review-queue-{width}")
    context.clear_cookies()
    _sign_in(page, base, "customer@example.com")
    for path in (
        f"/account/transactions/{demo['transaction'].pk}/",
        f"/account/international/{demo['transfer'].pk}/",
    ):
        page.goto(base + path)
        expect(page.locator("h1").first).to_be_visible()
        if codes := raw_codes(page.locator("main").inner_text()):
            found[path] = codes
    screenshot(page, f"transfer-{width}")
    context.close()
    assert found == {}
