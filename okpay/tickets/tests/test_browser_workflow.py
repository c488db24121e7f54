"""In Chromium: an agent ticks questions in the queue and changes them in bulk (issue 15 item 4), on a
phone (390 px, Chinese) and a desktop (1280 px, English); and the same form without JavaScript."""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.tickets import actions, workflow
from okpay.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def questions(agent):
    made = []
    for i, (topic, subject) in enumerate(
        [
            ("withdrawal", "提现三天还没到账"),
            ("fees", "Why was I charged a fee on a top-up of 500 CNY from my bank card?"),
            ("account", "账户被锁定，无法登录"),
            ("other", "Question about a merchant"),
        ]
    ):
        ticket = actions.ticket_create(
            email=f"visitor{i}@example.com",
            language="zh-hans",
            topic=topic,
            subject=subject,
            body="请帮忙看看",
        )
        made.append(ticket)
    workflow.ticket_tags_add(ticket=made[0], actor=agent, names=["vip", "提现延迟"])
    workflow.ticket_tags_add(ticket=made[1], actor=agent, names=["fee-question"])
    actions.ticket_status_set(ticket=made[3], actor=agent, status="closed")
    return made


def no_overflow(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    width = page.viewport_size["width"]
    for selector in (".bulk-bar", ".bulk-action", ".dispute-tabs", ".messages, .message"):
        for box in (
            page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
        ):
            assert box is None or box["x"] + box["width"] <= width + 0.5, (selector, box, width)


@pytest.mark.parametrize(("width", "locale", "language"), [(390, "zh-CN", "zh-hans"), (1280, "en-US", "en")])
def test_bulk_status_change_from_the_queue(
    chromium, live_server, make_user, screenshot, width, locale, language
):
    site = live_server.url
    agent = make_user(email="agent1@example.com", role="agent", full_name="Li Na", language=language)
    made = questions(agent)
    page = chromium.new_context(viewport={"width": width, "height": 900}, locale=locale).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, site, agent.email)
    page.goto(f"{site}/console/tickets/?view=all")
    expect(page.locator("[data-bulk-row]")).to_have_count(4)
    expect(page.locator("a.tag-chip", has_text="提现延迟")).to_be_visible()
    page.locator("[data-bulk-all]").check()
    expect(page.locator("[data-bulk-count]")).to_contain_text("4")  # "4 selected" / "已选 4 个"
    assert all(page.locator("[data-bulk-row]").nth(i).is_checked() for i in range(4))
    no_overflow(page)
    screenshot(page, f"queue-bulk-bar-{width}-{language}")
    page.locator("#bulk-status").select_option("open")
    page.locator("button[name=action][value=status]").click()
    page.wait_for_load_state()
    messages = page.locator(".message")
    expect(messages.first).to_contain_text("3")
    expect(page.locator(".message", has_text=made[3].number)).to_be_visible()
    no_overflow(page)
    screenshot(page, f"queue-after-bulk-{width}-{language}")
    statuses = [Ticket.objects.get(pk=t.pk).status for t in made]
    assert statuses == ["open", "open", "open", "closed"]
    # a tag filter from a row's chip
    page.locator("a.tag-chip", has_text="vip").first.click()
    expect(page.locator("[data-bulk-row]")).to_have_count(1)
    # the question's page: its tags as chips with a remove button, add tags, move group
    page.goto(f"{site}/console/tickets/{made[0].number}/")
    panel = page.locator(".ticket-tags")
    expect(panel.locator(".tag-chip")).to_have_count(2)
    panel.locator("input[name=tags]").fill("Late-Payout")
    panel.locator("input[name=tags]").press("Enter")
    expect(page.locator(".ticket-tags .tag-chip", has_text="late-payout")).to_be_visible()
    expect(page.locator(".ticket-tags .tag-chip").first).to_have_text("late-payout")  # by name
    page.locator(".ticket-tags .tag-remove").first.click()
    expect(page.locator(".ticket-tags .tag-chip")).to_have_count(2)
    no_overflow(page)
    page.locator(".ticket-tags").scroll_into_view_if_needed()
    screenshot(page, f"question-tags-{width}-{language}")
    assert sorted(made[0].tags.values_list("name", flat=True)) == ["vip", "提现延迟"]  # late-payout was first
    page.context.close()


def test_bulk_tags_without_javascript_on_a_phone(chromium, live_server, make_user, screenshot):
    site = live_server.url
    agent = make_user(email="agent1@example.com", role="agent", language="en")
    made = questions(agent)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, agent.email)
    page.goto(f"{site}/console/tickets/?view=all")
    page.locator(f"[data-bulk-row][value='{made[1].number}']").check()
    page.locator(f"[data-bulk-row][value='{made[2].number}']").check()
    page.locator("#bulk-tags").fill("Ｌａｔｅ，退款")
    page.locator("#bulk-tags").press("Enter")  # the tag button is the form's first: Enter adds tags
    page.wait_for_load_state()
    expect(page.locator(".message").first).to_contain_text("2 changed")
    assert sorted(made[1].tags.values_list("name", flat=True)) == ["fee-question", "late", "退款"]
    assert sorted(made[2].tags.values_list("name", flat=True)) == ["late", "退款"]
    assert made[0].tags.filter(name="late").count() == 0
    no_overflow(page)
    screenshot(page, "no-js-tags-390")
    context.close()
