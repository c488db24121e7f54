"""In Chromium: an agent has the console's live-chat inbox open; a customer's chat is put in the queue
by the chat actions (the only agent online is busy) and appears in the inbox without a reload (the
test server has no websocket, so this is the polling fallback); the agent accepts it, sees the bot's
turns and the assist suggestion (the tiny model's article and the matching saved reply), inserts the
reply and sends it. Screenshots at 1280 and 390 px, Chinese and English."""

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD
from okpay.chat.actions import conversation_open, handoff, presence_set
from okpay.chat.models import Conversation, Message
from okpay.tickets.models import Macro

from .factories import say, waiting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, site, email):
    page.goto(site + "/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def test_agent_takes_a_chat_from_the_live_inbox(
    chromium, live_server, tiny_bot, bot, make_user, customer, screenshot
):
    from okpay.helpcenter.models import ContactChannel
    from okpay.helpcenter.shipped import content_load

    content_load()
    ContactChannel.objects.update(opens_at=None, closes_at=None)  # people 24/7 for this test
    Macro.objects.create(
        title="重置密码",
        body_zh="{name}您好，请在登录页点击“忘记密码”，按邮件里的链接重置密码。",
        body_en="Hello {name}, tap “Forgot password” on the sign-in page and follow the email.",
    )
    holder = make_user(email="holder@example.com", role="agent", full_name="张伟")
    presence_set(agent=holder, availability="online", capacity=1, languages=["zh-hans"])
    waiting(make_user(email="first@example.com"))  # the holder's one slot is taken
    make_user(email="agent1@example.com", role="agent", full_name="李娜")
    site = live_server.url

    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    agent.set_default_timeout(20_000)
    sign_in(agent, site, "agent1@example.com")
    agent.goto(site + "/console/chat/")
    expect(agent.get_by_role("heading", level=1)).to_have_text("在线聊天")
    expect(agent.locator(".chat-empty")).to_have_text("没有人在排队。")

    chat = conversation_open(user=customer, language="zh-hans")
    say(chat, "怎么重置密码", author=customer)
    handoff(conversation=chat, actor=customer)
    assert Conversation.objects.get(pk=chat.pk).status == "queued"

    row = agent.locator(f'[data-queued="{chat.pk}"]')
    expect(row).to_contain_text("王小明", timeout=15_000)  # arrived without a reload (polling)
    expect(agent.locator("[data-chat-live]")).to_contain_text("每 5 秒更新")
    screenshot(agent, "inbox-1280-zh")
    row.get_by_role("link").click()
    expect(agent.locator(".chat-summary")).to_contain_text("转人工之前")
    expect(agent.locator(".chat-msg-bot")).to_contain_text("bot: 怎么重置密码")
    agent.get_by_role("button", name="接入").click()
    expect(agent.locator(".message-success")).to_contain_text("已接入")
    screenshot(agent, "accepted-1280-zh")
    assist = agent.locator("[data-chat-assist]")
    expect(assist.get_by_role("link", name="忘记密码了，怎么重置？")).to_be_visible(
        timeout=60_000
    )  # loads the model
    expect(assist).not_to_contain_text("reset_password")  # the intent by its label, below
    expect(assist).to_contain_text("重置密码")
    screenshot(agent, "conversation-1280-zh")
    assist.get_by_role("button", name="插入", exact=True).click()
    textarea = agent.locator("#chat-text")
    expect(textarea).to_have_value("王小明您好，请在登录页点击“忘记密码”，按邮件里的链接重置密码。")
    agent.get_by_role("button", name="发送", exact=True).click()
    expect(agent.locator(".chat-msg-agent")).to_contain_text("王小明您好，请在登录页点击")
    expect(textarea).to_have_value("")
    message = Message.objects.get(conversation=chat, sender="agent")
    assert message.author.email == "agent1@example.com" and message.text.startswith("王小明您好")
    # the customer answers; the page shows it without a reload, and assist reads the new message
    say(chat, "重置密码的邮件没收到", author=customer)
    expect(agent.locator(".chat-msg-customer").last).to_contain_text("重置密码的邮件没收到", timeout=15_000)
    expect(assist.locator(".chat-assist-about")).to_contain_text("重置密码的邮件没收到")
    screenshot(agent, "conversation-replied-1280-zh")

    agent.set_viewport_size({"width": 390, "height": 844})
    agent.reload()
    expect(assist.get_by_role("link", name="忘记密码了，怎么重置？")).to_be_visible()
    screenshot(agent, "conversation-390-zh")
    agent.goto(site + "/console/chat/?tab=mine")
    expect(agent.locator(".chat-row")).to_contain_text("王小明")
    screenshot(agent, "inbox-mine-390-zh")

    agent.locator("#lang-select").select_option("en")
    agent.wait_for_load_state()
    expect(agent.get_by_role("heading", level=1)).to_have_text("Live chat")
    screenshot(agent, "inbox-mine-390-en")
    agent.goto(f"{site}/console/chat/{chat.pk}/")
    expect(
        assist.get_by_role("link", name="忘记密码了，怎么重置？")
    ).to_be_visible()  # the customer's language
    screenshot(agent, "conversation-390-en")
    agent.set_viewport_size({"width": 1280, "height": 900})
    agent.reload()
    expect(agent.get_by_role("button", name="End chat")).to_be_visible()
    screenshot(agent, "conversation-1280-en")
    agent.context.close()


def test_dashboard_screens(chromium, live_server, make_user, screenshot):
    """The supervisor's dashboard at both widths and in both languages (figures: test_console.py)."""
    holder = make_user(email="holder@example.com", role="agent", full_name="张伟")
    presence_set(agent=holder, availability="online", capacity=2, languages=["zh-hans"])
    for i in range(3):
        waiting(make_user(email=f"c{i}@example.com"))
    make_user(email="super1@example.com", role="supervisor")
    site = live_server.url
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    sign_in(page, site, "super1@example.com")
    page.goto(site + "/console/chat/dashboard/")
    expect(page.locator('[data-group="general"]')).to_contain_text("1")
    screenshot(page, "dashboard-1280-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#lang-select").select_option("en")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Live chat dashboard")
    screenshot(page, "dashboard-390-en")
    page.context.close()
