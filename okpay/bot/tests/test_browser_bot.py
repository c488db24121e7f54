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
    link = page.locator("#bot-replies").locator('a[href="/support/new/?from=bot"]')
    expect(link).to_be_visible()
    expect(page.locator("#bot-replies").get_by_role("button", name="转人工客服")).to_be_visible()
    screenshot(page, "bot-hand-off")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交问题")
    expect(page.locator("input[name=subject]")).to_have_value("怎么重置密码")
    page.context.close()


def test_demo_customer_sees_their_transfers_then_secures_the_account(page, live_server, tiny_bot, screenshot):
    """Issue 17: 我的国际转账到哪了 → each transfer's state with a link to it; 我的账户被盗了 → the
    bot's "sign out every other session" button signs the other browser out."""
    from django.test import Client

    from okpay.accounts.models import UserSession
    from okpay.core import hooks
    from okpay.core.demo import DEMO_PASSWORD
    from okpay.helpcenter.shipped import content_load

    content_load()
    for step in hooks.items(hooks.DEMO_STEPS):
        if step.name in ("users", "wallet"):
            step.run()
    other = Client()
    assert (
        other.post(
            "/accounts/login/", {"email": "customer@example.com", "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=email]").fill("customer@example.com")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()
    page.goto(live_server.url + "/help/")
    question = page.locator("#bot-q")
    question.fill("我的国际转账到哪了")
    question.press("Enter")
    reply = page.locator("#bot-replies .bot-answer").last
    expect(reply).to_contain_text("处理中")
    expect(reply).to_contain_text("合规审核中")
    expect(reply).to_contain_text("已拒绝")
    expect(reply.locator('a[href^="/account/international/"]')).to_have_count(3)
    screenshot(page, "bot-my-transfers")
    question.fill("我的账户被盗了")
    question.press("Enter")
    reply = page.locator("#bot-replies .bot-answer").last
    button = reply.locator('form[action="/accounts/security/sessions/end-others/"] button')
    expect(button).to_be_visible()
    expect(reply.locator('a[href="/accounts/password/change/"]')).to_be_visible()
    expect(reply.locator('a[href="/accounts/2fa/setup/"]')).to_be_visible()
    expect(reply.locator('a[href="/support/new/?from=bot"]')).to_be_visible()  # then a person
    screenshot(page, "bot-account-takeover")
    assert UserSession.objects.filter(user__email="customer@example.com").count() == 2
    button.click()
    page.wait_for_url("**/accounts/security/")
    expect(page.locator("ul.messages")).to_be_visible()
    assert UserSession.objects.filter(user__email="customer@example.com").count() == 1
    assert other.get("/account/").status_code == 302  # the other browser is signed out
    page.context.close()
