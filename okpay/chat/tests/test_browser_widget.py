"""In Chromium, the customer's live chat widget (issue 12) against the real ASGI application (HTTP and
the ws/chat/ websocket) served by uvicorn in a thread: a customer asks the bot in Chinese, asks for a
person, waits in the queue, an agent takes the chat and types and answers, the customer reloads the
page and loses nothing, ends and rates the chat; an English guest out of hours leaves an email and
sees the question number; with the websocket unavailable the widget falls back to HTTP.

The agent's side is driven from the test through the chat actions (the console inbox is built
separately): they run on the server's event loop, so their broadcasts reach the customer's socket
the way an agent's console would send them."""

import asyncio
import datetime
import socket
import threading
import time

import pytest
from playwright.sync_api import expect

from okpay.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


class Server:
    def __init__(self):
        import uvicorn
        from channels.layers import channel_layers
        from channels.routing import ProtocolTypeRouter
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.core.asgi import get_asgi_application

        from config.asgi import application

        channel_layers.backends = {}  # a fresh in-memory layer for this server's event loop

        app = ProtocolTypeRouter(
            {"http": ASGIStaticFilesHandler(get_asgi_application()), "websocket": application}
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def call(self, function, **kwargs):
        """Run a (sync, database) chat action on the server's loop, as a consumer would."""
        from channels.db import database_sync_to_async

        future = asyncio.run_coroutine_threadsafe(database_sync_to_async(function)(**kwargs), self.loop)
        return future.result(timeout=20)

    def agent_typing(self, conversation, typing=True):
        from channels.layers import get_channel_layer

        from okpay.chat.actions import group_name

        event = {"type": "chat.typing", "side": "staff", "typing": typing}
        coroutine = get_channel_layer().group_send(group_name(conversation.pk), event)
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(autouse=True)
def bot():
    """The real answer bot (tiny_bot), not the chat tests' scripted one."""
    return None


@pytest.fixture
def server(transactional_db):
    running = Server()
    yield running
    running.stop()


def _chat_hours(*, open_now: bool):
    """The published chat channel's hours: 24/7, or a window that does not include now."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from okpay.helpcenter.models import ContactChannel

    if open_now:
        ContactChannel.objects.filter(kind="chat").update(opens_at=None, closes_at=None)
        return
    now = timezone.localtime(timezone.now(), ZoneInfo("Asia/Shanghai"))
    opens = (now + datetime.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    closes = (now + datetime.timedelta(hours=3)).time().replace(second=0, microsecond=0)
    ContactChannel.objects.filter(kind="chat").update(opens_at=opens, closes_at=closes)


def _sign_in(page, base, user):
    page.goto(base + "/accounts/login/")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()


def _both_widths(page, screenshot, name):
    """The viewport as the customer sees it (the widget is fixed), on a phone and on a desktop."""
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})


@pytest.fixture
def screenshot(request):
    from conftest import ARTIFACTS

    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name):
        counter["n"] += 1
        page.screenshot(path=str(folder / f"{counter['n']:02d}-{name}.png"))

    return take


def test_customer_chats_with_bot_then_agent_reloads_and_rates(
    page, server, tiny_bot, customer, make_user, screenshot
):
    from okpay.chat.actions import agent_accept, message_post, presence_set
    from okpay.chat.models import Conversation, Message
    from okpay.chat.tests.factories import waiting
    from okpay.helpcenter.shipped import content_load

    content_load()
    _chat_hours(open_now=True)
    agent = make_user(email="li.agent@okpay.example", role="agent", full_name="李客服")
    server.call(
        presence_set, agent=agent, availability="online", capacity=1, languages=["zh-hans"], groups=[]
    )
    busy = server.call(waiting, user=make_user(email="other@example.com"))  # the agent's one slot is taken
    assert busy.status == "active"

    _sign_in(page, server.url, customer)
    page.goto(server.url + "/account/")
    page.locator(".bot-launcher > summary").click()
    panel = page.locator("#chat-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-connection", "live")
    box = panel.locator("#chat-text")
    box.fill("怎么重置密码")
    box.press("Enter")
    expect(panel.locator(".chat-bot .chat-bubble").last).to_contain_text("忘记密码")
    expect(panel.locator(".chat-customer")).to_have_count(1)
    expect(panel.locator(".chat-customer .chat-mark")).to_contain_text("已发送")
    _both_widths(page, screenshot, "zh-bot-answer")

    panel.get_by_role("button", name="转人工客服").first.click()
    expect(panel.locator(".chat-position")).to_have_text("您在排队中的第 1 位。")
    expect(panel.locator(".chat-wait")).to_contain_text("5 分钟")
    _both_widths(page, screenshot, "zh-queue")

    conversation = Conversation.objects.get(user=customer, status="queued")
    server.call(agent_accept, conversation=conversation, actor=agent)
    expect(panel.locator(".chat-status")).to_have_text("您正在与 李客服 聊天。")
    server.agent_typing(conversation)
    expect(panel.locator(".chat-typing")).to_have_text("李客服 正在输入…")
    server.call(
        message_post,
        conversation=conversation,
        sender="agent",
        author=agent,
        client_id="agent-1",
        text="您好，我是李客服。<b>请问</b>哪笔付款？",
    )
    agent_message = panel.locator(".chat-agent .chat-text")
    expect(agent_message).to_have_text("您好，我是李客服。<b>请问</b>哪笔付款？")  # text, never markup
    expect(panel.locator(".chat-typing")).to_be_hidden()
    box.fill("昨天那笔")
    box.press("Enter")
    expect(panel.locator(".chat-customer")).to_have_count(2)
    expect(panel.locator(".chat-customer .chat-mark").last).to_contain_text("已发送")
    # a screenshot: the paperclip, the questions' upload rules, a download link in the stream
    expect(panel.get_by_role("button", name="发送文件")).to_be_visible()
    panel.locator("#chat-file").set_input_files(
        files=[{"name": "转账截图.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(panel.locator(".chat-customer .chat-file a")).to_have_text("转账截图.png")
    _both_widths(page, screenshot, "zh-file")
    panel.locator("#chat-file").set_input_files(
        files=[{"name": "notes.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )
    expect(panel.locator(".chat-error")).to_contain_text("不支持此文件类型")
    # the agent's message was delivered and read by the open widget
    deadline = time.monotonic() + 10
    while Message.objects.get(conversation=conversation, client_id="agent-1").read_at is None:
        assert time.monotonic() < deadline, "the agent's message was never marked read"
        time.sleep(0.2)
    _both_widths(page, screenshot, "zh-with-agent")

    before = panel.locator(".chat-log > li").all_inner_texts()
    page.reload()
    expect(panel).to_be_visible()  # it was open: it opens again, on the same conversation
    expect(panel.locator(".chat-log > li")).to_have_count(len(before))
    assert panel.locator(".chat-log > li").all_inner_texts() == before
    assert Conversation.objects.filter(user=customer).count() == 1
    stored = list(Message.objects.filter(conversation=conversation, sender="customer").values_list("text"))
    assert stored == [("怎么重置密码",), ("昨天那笔",), ("转账截图.png",)]  # each once

    panel.get_by_role("button", name="结束聊天").click()
    expect(panel.locator(".chat-rate")).to_be_visible()
    _both_widths(page, screenshot, "zh-rate")
    panel.get_by_role("button", name="5 分（满分 5 分）").click()
    expect(panel.locator(".chat-thanks")).to_be_visible()
    from django.core import mail

    mail.outbox.clear()
    panel.get_by_role("button", name="把这次聊天发到我的邮箱").click()  # a verified address: the messages
    expect(panel.locator(".chat-transcript-note")).to_have_text("我们已将这次聊天发送到 wang@example.com。")
    _both_widths(page, screenshot, "zh-transcript")
    [sent] = mail.outbox
    assert "昨天那笔" in sent.body and "转账截图.png" in sent.body
    conversation.refresh_from_db()
    assert (conversation.status, conversation.rating) == ("closed", 5)


def test_english_guest_out_of_hours_leaves_email_and_gets_question(
    page, chromium, server, tiny_bot, make_user, screenshot
):
    from okpay.chat.models import Conversation
    from okpay.helpcenter.shipped import content_load

    content_load()
    _chat_hours(open_now=False)
    page.context.add_cookies([{"name": "okpay_language", "value": "en", "url": server.url}])
    page.goto(server.url + "/help/contact/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    held = []  # the conversation is created slowly (a slow network): the customer types before it exists
    page.route(
        "**/api/v1/chat/conversations", lambda route: route.continue_() if held else held.append(route)
    )
    page.get_by_role("link", name="Chat now").click()  # the contact page's "chat now" opens the widget
    panel = page.locator("#chat-panel")
    expect(panel.get_by_role("heading", name="Ask OKPay")).to_be_visible()
    box = panel.locator("#chat-text")
    box.fill("how do I reset my password")
    box.press("Enter")
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the widget did not ask for its conversation"
        page.wait_for_timeout(100)
    expect(box).to_have_value("how do I reset my password")  # kept while the chat opens
    held[0].continue_()
    expect(panel.locator(".chat-customer")).to_have_count(1)  # sent once the conversation is there
    expect(box).to_have_value("")
    expect(panel.locator(".chat-bot")).to_have_count(1, timeout=30_000)  # the first answer loads the model
    panel.get_by_role("button", name="Talk to a person").first.click()
    email = panel.get_by_label("Your email address")
    expect(email).to_be_visible()
    expect(panel.locator(".chat-email")).to_contain_text("outside our chat hours")
    _both_widths(page, screenshot, "en-out-of-hours")
    email.fill("guest@example.com")
    panel.get_by_role("button", name="Send to our team").click()
    conversation = None
    deadline = time.monotonic() + 10
    while conversation is None or conversation.ticket_id is None:
        assert time.monotonic() < deadline, "no question was made"
        conversation = Conversation.objects.filter(user=None).select_related("ticket").first()
        time.sleep(0.2)
    number = conversation.ticket.number
    expect(panel.locator(".chat-ticket")).to_contain_text(f"Your chat is now question {number}.")
    expect(panel.locator("#chat-text")).to_be_hidden()
    _both_widths(page, screenshot, "en-question")
    assert conversation.ticket.requester_email == "guest@example.com"
    from django.core import mail

    mail.outbox.clear()
    panel.get_by_role("button", name="Email me this chat").click()  # a guest: only a link
    panel.locator("#chat-transcript-email").fill("guest@example.com")
    panel.get_by_role("button", name="Send the chat").click()
    expect(panel.locator(".chat-transcript-note")).to_have_text(
        "We emailed guest@example.com a link to read this chat; it works for 7 days."
    )
    _both_widths(page, screenshot, "en-transcript")
    [sent] = mail.outbox
    assert "reset my password" not in sent.body and "/chat/transcript/" in sent.body

    # the question is in the agents' queue, with the chat's transcript
    agent_user = make_user(email="emma.agent@okpay.example", role="agent", language="en")
    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    _sign_in(agent, server.url, agent_user)
    agent.goto(server.url + "/console/tickets/")
    expect(agent.get_by_role("link", name=number)).to_be_visible()
    agent.get_by_role("link", name=number).click()
    expect(agent.locator("main")).to_contain_text("how do I reset my password")
    screenshot(agent, "en-question-in-console-1280")
    agent.context.close()
    assert conversation.status == "ticket"


def test_without_a_websocket_the_widget_falls_back_to_http(
    page, server, tiny_bot, customer, make_user, screenshot
):
    """The websocket is refused (as behind a proxy that drops upgrades): after three failed connections
    the widget posts with the same client ids and polls GET …/messages?after=."""
    from okpay.chat.actions import message_post
    from okpay.chat.models import Conversation, Message
    from okpay.helpcenter.shipped import content_load

    content_load()
    page.route_web_socket("**/ws/chat/", lambda ws: ws.close(code=1006))
    _sign_in(page, server.url, customer)
    page.goto(server.url + "/account/")
    page.locator(".bot-launcher > summary").click()
    panel = page.locator("#chat-panel")
    expect(panel).to_have_attribute("data-connection", "polling", timeout=20_000)
    expect(panel.locator(".chat-conn")).to_have_text("无法建立实时连接：每隔几秒检查一次新消息。")
    box = panel.locator("#chat-text")
    box.fill("怎么重置密码")
    box.press("Enter")
    expect(panel.locator(".chat-bot .chat-bubble").last).to_contain_text("忘记密码")
    conversation = Conversation.objects.get(user=customer)
    server.call(
        message_post,
        conversation=conversation,
        sender="customer",
        author=customer,
        client_id="other-tab-1",
        text="另一个标签页发的消息",
        answer_bot=False,
    )  # the customer's other tab: it arrives by polling
    expect(panel.locator(".chat-customer .chat-text").last).to_have_text("另一个标签页发的消息")
    screenshot(page, "zh-polling-390")
    assert Message.objects.filter(conversation=conversation, sender="customer").count() == 2
    expect(panel.locator(".chat-customer")).to_have_count(2)  # the own message once, not twice


def test_two_browsers_customer_widget_and_agent_console_over_websockets(
    page, chromium, server, tiny_bot, customer, make_user, screenshot
):
    """Two browser contexts on the same server: the customer's widget and the agent's console, both
    live over ws/chat/. Bot answer with its article card → "talk to a person" → queue position → the
    agent sees it arrive in the inbox, accepts, the assist suggestion shows, they exchange messages
    with typing shown both ways, the customer reloads mid-chat and loses nothing, ends and rates."""
    from okpay.chat.actions import presence_set
    from okpay.chat.models import Conversation, Message
    from okpay.chat.tests.factories import waiting
    from okpay.helpcenter.shipped import content_load
    from okpay.tickets.models import Macro

    content_load()
    _chat_hours(open_now=True)
    Macro.objects.create(
        title="重置密码",
        body_zh="{name}您好，请在登录页点击“忘记密码”，按邮件里的链接重置密码。",
        body_en="Hello {name}, tap “Forgot password” on the sign-in page and follow the email.",
    )
    holder = make_user(email="holder@example.com", role="agent", full_name="张伟")
    server.call(
        presence_set, agent=holder, availability="online", capacity=1, languages=["zh-hans"], groups=[]
    )
    server.call(waiting, user=make_user(email="first@example.com"))  # the only agent online is busy
    li_na = make_user(email="li.na@okpay.example", role="agent", full_name="李娜")

    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    agent.set_default_timeout(20_000)
    _sign_in(agent, server.url, li_na)
    agent.goto(server.url + "/console/chat/")
    expect(agent.locator("[data-chat-live]")).to_have_text("实时")  # the inbox's websocket is open

    _sign_in(page, server.url, customer)
    page.goto(server.url + "/account/")
    page.locator(".bot-launcher > summary").click()
    panel = page.locator("#chat-panel")
    expect(panel).to_have_attribute("data-connection", "live")
    box = panel.locator("#chat-text")
    box.fill("怎么重置密码")
    box.press("Enter")
    expect(panel.locator(".chat-bot .chat-card")).to_contain_text("忘记密码了，怎么重置？")
    panel.get_by_role("button", name="转人工客服").first.click()
    expect(panel.locator(".chat-position")).to_have_text("您在排队中的第 1 位。")
    _both_widths(page, screenshot, "two-customer-queue")

    chat = Conversation.objects.get(user=customer, status="queued")
    row = agent.locator(f'[data-queued="{chat.pk}"]')
    expect(row).to_contain_text("王小明")  # arrived in the open inbox, over the websocket
    screenshot(agent, "two-agent-inbox-1280")
    row.get_by_role("link").click()
    agent.get_by_role("button", name="接入").click()
    expect(panel.locator(".chat-status")).to_have_text("您正在与 李娜 聊天。")
    assist = agent.locator("[data-chat-assist]")
    expect(assist.get_by_role("link", name="忘记密码了，怎么重置？")).to_be_visible(timeout=60_000)
    textarea = agent.locator("#chat-text")
    textarea.press_sequentially("稍等", delay=50)  # the customer sees the agent typing
    expect(panel.locator(".chat-typing")).to_have_text("李娜 正在输入…")
    textarea.fill("")
    assist.get_by_role("button", name="插入", exact=True).click()
    agent.get_by_role("button", name="发送", exact=True).click()
    expect(panel.locator(".chat-agent .chat-text").last).to_contain_text("王小明您好，请在登录页点击")
    screenshot(agent, "two-agent-conversation-1280")

    box.press_sequentially("邮件没收到", delay=50)  # the agent sees the customer typing
    expect(agent.locator("[data-chat-typing]")).to_have_text("客户正在输入…")
    box.press("Enter")
    expect(agent.locator(".chat-msg-customer").last).to_contain_text("邮件没收到")
    expect(assist.locator(".chat-assist-about")).to_contain_text("邮件没收到")
    _both_widths(page, screenshot, "two-customer-with-agent")

    before = panel.locator(".chat-log > li").all_inner_texts()
    page.reload()
    expect(panel.locator(".chat-log > li")).to_have_count(len(before))
    assert panel.locator(".chat-log > li").all_inner_texts() == before
    textarea.fill("请查看垃圾邮件文件夹。")
    agent.get_by_role("button", name="发送", exact=True).click()
    expect(panel.locator(".chat-agent .chat-text").last).to_have_text("请查看垃圾邮件文件夹。")
    customer_texts = list(
        Message.objects.filter(conversation=chat, sender="customer").values_list("text", flat=True)
    )
    assert customer_texts == ["怎么重置密码", "邮件没收到"]  # each once

    panel.get_by_role("button", name="结束聊天").click()
    panel.get_by_role("button", name="5 分（满分 5 分）").click()
    expect(panel.locator(".chat-thanks")).to_be_visible()
    chat.refresh_from_db()
    assert (chat.status, chat.rating, chat.agent.email) == ("closed", 5, "li.na@okpay.example")
    agent.reload()
    expect(agent.locator(".chat-msg-system").last).to_contain_text("对话已结束")
    agent.set_viewport_size({"width": 390, "height": 844})
    screenshot(agent, "two-agent-closed-390")
    agent.context.close()


def test_on_a_phone_the_panel_opens_at_the_latest_message_with_the_box_visible(
    page, server, customer, screenshot, settings
):
    """Issue 16: the panel opened scrolled to the top of an old conversation, the input below the fold."""
    from okpay.chat.actions import conversation_open, message_post

    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (100, 60)}

    conversation = server.call(conversation_open, user=customer, language="zh-hans")
    for n in range(25):
        server.call(
            message_post,
            conversation=conversation,
            sender="customer",
            author=customer,
            client_id=f"old-{n}",
            text=f"第 {n} 条消息：我想问一下我的付款情况。",
            answer_bot=False,
        )
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, server.url, customer)
    page.goto(server.url + "/account/")
    page.locator(".bot-launcher > summary").click()
    panel = page.locator("#chat-panel")
    expect(panel.locator(".chat-customer")).to_have_count(25)
    expect(panel.locator(".chat-customer").last).to_contain_text("第 24 条消息")
    expect(panel.locator(".chat-customer").last).to_be_in_viewport()
    expect(panel.locator("#chat-text")).to_be_in_viewport()
    at_end = page.evaluate(
        "() => { const log = document.querySelector('#chat-panel .chat-log');"
        " return log.scrollHeight - log.scrollTop - log.clientHeight; }"
    )
    assert at_end <= 2, at_end
    screenshot(page, "phone-opens-at-latest")
