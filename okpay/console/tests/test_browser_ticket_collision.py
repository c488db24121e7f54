"""In Chromium, two agents in two browser contexts open the same question: each sees the other live
(viewing, then typing), one replies, and the other's reply, written on the now out-of-date page, is held
back with the new message shown, the draft kept and "Send anyway". Then one merges a duplicate through
the confirmation page. Screenshots at 390 px (Chinese) and 1280 px (English)."""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.tickets import actions
from okpay.tickets.models import Ticket, TicketMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def close(*pages):
    """Leave the pages first (their last report, the leave beacon), then close them: no request of theirs
    may still be running when the test database is emptied."""
    for page in pages:
        page.goto("about:blank")
    for page in pages:
        page.wait_for_timeout(500)
        page.context.close()


def agent_page(chromium, site, email, *, width, locale):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, site, email)
    return page


@pytest.mark.parametrize(("width", "language", "locale"), [(390, "zh-hans", "zh-CN"), (1280, "en", "en-US")])
def test_two_agents_see_each_other_and_a_stale_reply_is_held_back(
    chromium, live_server, make_user, screenshot, width, language, locale
):
    site = live_server.url
    customer = make_user(email="wang@example.com", full_name="王小明")
    make_user(email="zhang@example.com", role="agent", full_name="Zhang San", language=language)
    make_user(email="li@example.com", role="agent", full_name="Li Si", language=language)
    ticket = actions.ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="withdrawal",
        subject="提现三天还没到账",
        body="我周一提现 500 元到招商银行卡，现在还没到账。",
    )
    url = f"{site}/console/tickets/{ticket.number}/"
    zhang = agent_page(chromium, site, "zhang@example.com", width=width, locale=locale)
    li = agent_page(chromium, site, "li@example.com", width=width, locale=locale)
    try:
        zhang.goto(url)
        li.goto(url)

        # each sees the other
        expect(li.locator("[data-presence] li")).to_contain_text("Zhang San", timeout=20_000)
        expect(zhang.locator("[data-presence] li")).to_contain_text("Li Si", timeout=20_000)
        # Zhang types: Li sees it (at once on Zhang's first key, not only at the next 5-second report)
        zhang.locator("textarea[name=body]").fill("")
        zhang.locator("textarea[name=body]").press_sequentially("您好，我们正在查询", delay=20)
        expect(li.locator("[data-presence] li.presence-typing")).to_contain_text("Zhang San", timeout=20_000)
        if language == "en":
            expect(li.locator("[data-presence] li.presence-typing")).to_have_text(
                "Zhang San is typing a reply…"
            )
        screenshot(li, f"presence-{language}-{width}")

        # Li replies first; Zhang's page is now out of date: the poll says so, and sending is held back
        li.locator("textarea[name=body]").fill("李四：已联系银行，请稍候。")
        li.locator("form[data-reply-form] button[type=submit]").first.click()
        expect(li.locator(".message-success")).to_be_visible()
        expect(zhang.locator("[data-collision-live]")).to_be_visible(timeout=20_000)
        zhang.locator("form[data-reply-form] button[type=submit]").first.click()
        expect(zhang.locator("[data-collision-stale]")).to_be_visible()
        expect(zhang.locator("[data-collision-stale]")).to_contain_text("李四：已联系银行")
        expect(zhang.locator("textarea[name=body]")).to_have_value("您好，我们正在查询")
        assert not TicketMessage.objects.filter(body="您好，我们正在查询").exists()
        screenshot(zhang, f"stale-reply-{language}-{width}")
        assert zhang.evaluate("document.documentElement.scrollWidth") <= width

        zhang.locator("button[name=send_anyway]").click()
        expect(zhang.locator(".message-success")).to_be_visible()
        assert TicketMessage.objects.filter(body="您好，我们正在查询").count() == 1
    finally:
        close(zhang, li)


@pytest.mark.parametrize(("width", "language", "locale"), [(390, "zh-hans", "zh-CN"), (1280, "en", "en-US")])
def test_an_agent_merges_a_duplicate_after_seeing_both(
    chromium, live_server, make_user, screenshot, width, language, locale
):
    site = live_server.url
    customer = make_user(email="wang.xiaoming.long.address@example.com", full_name="王小明")
    make_user(email="zhang@example.com", role="agent", full_name="Zhang San", language=language)

    def ask(subject, body):
        return actions.ticket_create(
            requester=customer, email="", language="zh-hans", topic="withdrawal", subject=subject, body=body
        )

    target = ask(
        "提现三天还没到账，请帮忙查一下招商银行的到账情况", "我周一提现 500 元到招商银行卡，现在还没到账。"
    )
    source = ask("钱呢？", "还是没到，银行说没有收到。")
    page = agent_page(chromium, site, "zhang@example.com", width=width, locale=locale)
    try:
        page.goto(f"{site}/console/tickets/{source.number}/")
        page.locator("#merge-into").fill(target.number.lower())
        page.locator("form.merge-into button").click()
        expect(page.locator(".merge-card")).to_have_count(2)
        expect(page.locator(".merge-card-target")).to_contain_text("招商银行")
        screenshot(page, f"merge-confirm-{language}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("form.merge-confirm button[type=submit]").click()
        expect(page).to_have_url(f"{site}/console/tickets/{target.number}/")
        expect(page.locator(".thread")).to_contain_text("还是没到，银行说没有收到。")
        screenshot(page, f"merged-{language}-{width}")
        assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk
    finally:
        close(page)
