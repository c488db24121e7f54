"""In Chromium: an English customer submits a question with a screenshot; an agent (Chinese console)
finds it in the queue, answers with a saved reply and marks it solved; the customer reads the answer
and rates it."""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.tickets.models import Macro, Ticket, TicketRating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def test_question_from_submission_to_rating(chromium, live_server, settings, tmp_path, make_user, screenshot):
    settings.MEDIA_ROOT = tmp_path
    site = live_server.url
    make_user(email="emma@example.com", full_name="Emma", language="en")
    make_user(email="agent1@example.com", role="agent", full_name="Li Na")
    Macro.objects.create(
        title="Merchant first",
        body_zh="{name}您好，请先联系商家。",
        body_en="Hello {name}, please contact the merchant first from the payment's page. ({number})",
        status_after="solved",
    )
    customer = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-US").new_page()
    sign_in(customer, site, "emma@example.com")
    customer.goto(site + "/support/new/")
    customer.get_by_label("What is it about?").select_option("dispute")
    customer.get_by_label("Subject").fill("The shop will not refund me")
    customer.get_by_label("Your message").fill(
        "I returned the shoes two weeks ago and the shop does not answer."
    )
    customer.locator("#id_attachments").set_input_files(  # the form's, not the chat's paperclip
        [{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )
    screenshot(customer, "customer-form")
    customer.get_by_role("button", name="Send question").click()
    expect(customer.locator(".message-success")).to_contain_text("has reached our team")
    number = Ticket.objects.get().number
    expect(customer.get_by_role("link", name="receipt.png")).to_be_visible()

    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    sign_in(agent, site, "agent1@example.com")
    agent.goto(site + "/console/tickets/")
    agent.get_by_role("link", name=number).click()
    expect(agent.get_by_role("heading", level=1)).to_contain_text("The shop will not refund me")
    agent.get_by_role("button", name="插入回复").click()
    expect(agent.locator("textarea[name=body]")).to_have_value(
        f"Hello Emma, please contact the merchant first from the payment's page. ({number})"
    )
    screenshot(agent, "agent-with-saved-reply")
    agent.get_by_role("button", name="提交").click()
    expect(agent.locator(".message-success")).to_be_visible()
    screenshot(agent, "agent-replied")

    customer.goto(f"{site}/support/tickets/{number}/")
    expect(customer.locator(".thread-agent")).to_contain_text("please contact the merchant first")
    customer.get_by_label("Satisfied", exact=True).check()
    customer.get_by_role("button", name="Send rating").click()
    expect(customer.locator(".notice-ok")).to_contain_text("Satisfied")
    screenshot(customer, "customer-rated")
    assert TicketRating.objects.get().score == 4
    agent.context.close()
    customer.context.close()


@pytest.mark.parametrize(("width", "locale"), [(1280, "zh-CN"), (390, "en-US")])
def test_a_saved_reply_goes_in_at_the_cursor_and_the_draft_survives_a_reload(
    chromium, live_server, make_user, screenshot, width, locale
):
    """Issue 16: inserting a saved reply used to reload the page (?macro=) and lose what the agent had
    typed; now it goes in where the cursor is, and the draft is kept across a reload until sent."""
    site = live_server.url
    customer = make_user(email="emma@example.com", full_name="Emma", language="en")
    make_user(
        email="agent1@example.com",
        role="agent",
        full_name="Li Na",
        language="zh-hans" if locale.startswith("zh") else "en",
    )
    Macro.objects.create(
        title="Merchant first",
        body_zh="{name}您好，请先联系商家。",
        body_en="Please contact the merchant first ({number}).",
        status_after="solved",
    )
    from okpay.tickets.actions import ticket_create

    ticket = ticket_create(
        requester=customer,
        email=customer.email,
        name="Emma",
        language="en",
        topic="other",
        subject="Refund question",
        body="Where is my refund?",
        files=[],
    )
    page = chromium.new_context(viewport={"width": width, "height": 900}, locale=locale).new_page()
    sign_in(page, site, "agent1@example.com")
    page.goto(f"{site}/console/tickets/{ticket.number}/")
    box = page.locator("textarea[name=body]")
    box.fill("Hello Emma,\n\nThanks for waiting.")
    box.evaluate("el => el.setSelectionRange(12, 12)")  # the cursor after "Hello Emma,\n"
    url = page.url
    page.locator("[data-macro-form] button[type=submit]").click()
    assert page.url == url  # no reload
    expect(box).to_have_value(
        f"Hello Emma,\nPlease contact the merchant first ({ticket.number}).\nThanks for waiting."
    )
    expect(page.locator("[data-reply-form] select[name=status]")).to_have_value("solved")
    screenshot(page, f"saved-reply-{width}")
    page.reload()
    expect(page.locator("textarea[name=body]")).to_have_value(
        f"Hello Emma,\nPlease contact the merchant first ({ticket.number}).\nThanks for waiting."
    )
    # the customer card names the language, never its code
    language = page.locator(".panel dl dd").nth(1).inner_text().strip()
    assert language in ("English", "英语", "英文"), language
    # nothing on the page is wider than the viewport (the saved-reply select overflowed a phone)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    # the queue: its tabs are pills in a row (they were a bulleted list without the disputes' stylesheet)
    page.goto(f"{site}/console/tickets/")
    tabs = page.locator(".dispute-tabs").first.locator("a")
    first, second = tabs.nth(0).bounding_box(), tabs.nth(1).bounding_box()
    assert first and second and abs(first["y"] - second["y"]) < 2, (first, second)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    screenshot(page, f"queue-{width}")
