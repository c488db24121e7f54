"""In Chromium: a signed-in customer asks the answer bot's box on the help center in Chinese, gets the
answer with its article, then asks for a person and is offered the live chat and the question form.
(The corner launcher is the live chat widget: okpay/chat/tests/test_browser_widget.py.)"""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_asks_the_bot_from_any_page(page, live_server, tiny_bot, customer, screenshot):
    from okpay.helpcenter.shipped import content_load

    content_load()
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=email]").fill(customer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()
    page.goto(live_server.url + "/help/")
    question = page.locator("#bot-q")
    expect(question).to_be_visible()
    question.fill("怎么重置密码")
    question.press("Enter")
    answer = page.locator("#bot-replies .bot-answer").last
    expect(answer).to_contain_text("忘记密码")
    expect(question).to_have_value("")
    screenshot(page, "bot-answer")
    question.fill("转人工")
    question.press("Enter")
    link = page.locator("#bot-replies").get_by_role("link", name="把这段对话转给人工客服")
    expect(link).to_be_visible()
    expect(page.locator("#bot-replies").get_by_role("button", name="转人工客服")).to_be_visible()
    screenshot(page, "bot-hand-off")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交问题")
    expect(page.locator("input[name=subject]")).to_have_value("怎么重置密码")
    page.context.close()
