"""The websocket (ws/chat/) through the project's real ASGI application (origin check, session and
cookie middleware): send and ack, dedupe on retry, resume after reconnect from last_seq, ordering,
notes, permissions, rate limits, typing and read marks."""

import asyncio

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from okpay.chat.actions import conversation_open, message_post
from okpay.chat.guests import guest_cookie_value, guest_key_new
from okpay.chat.models import Message

from .factories import client_id, waiting

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends = {}  # a layer (and its queues) per test, on the test's own event loop
    yield
    channel_layers.backends = {}


@pytest_asyncio.fixture(autouse=True)
async def _close_thread_connections():
    yield
    await database_sync_to_async(connections.close_all)()  # the actions' thread keeps persistent ones


@pytest.fixture
def application():
    from config.asgi import application

    return application


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def guest_cookie(key: str) -> bytes:
    return f"{django_settings.OKPAY_CHAT_GUEST_COOKIE}={guest_cookie_value(key)}".encode()


async def connect(application, cookie: bytes | None = None, origin=ORIGIN):
    headers = [origin] if origin else []
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def hello(communicator, conversation, last_seq=0) -> dict:
    await communicator.send_json_to(
        {"type": "hello", "conversation": str(conversation.pk), "last_seq": last_seq}
    )
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "hello", frame
    return frame


async def messages(communicator, n) -> list[dict]:
    """The next n message frames (other frames, e.g. status or queue, are skipped)."""
    found = []
    while len(found) < n:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == "message":
            found.append(frame["message"])
    return found


async def frame_of(communicator, kind: str) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == kind:
            return frame


async def frame_types(communicator, wait: float = 0.3) -> list[str]:
    """The types of the frames that arrive within `wait` seconds."""
    types = []
    while not await communicator.receive_nothing(timeout=wait):
        types.append((await communicator.receive_json_from())["type"])
    return types


db = database_sync_to_async


# --- who may connect ----------------------------------------------------------------------------------


async def test_nobody_is_refused(application):
    _communicator, connected, code = await connect(application)
    assert not connected and code == 4401


async def test_another_origin_is_refused(application, customer):
    cookie = await db(session_cookie)(customer)
    _communicator, connected, _code = await connect(
        application, cookie, origin=(b"origin", b"https://evil.example")
    )
    assert not connected


async def test_another_customers_conversation_closes_and_changes_nothing(application, customer, customer_en):
    theirs = await db(conversation_open)(user=customer_en, language="en")
    communicator, connected, _code = await connect(application, await db(session_cookie)(customer))
    assert connected
    await communicator.send_json_to({"type": "hello", "conversation": str(theirs.pk), "last_seq": 0})
    frame = await communicator.receive_json_from(timeout=5)
    assert (frame["type"], frame["code"]) == ("error", "not_found")
    assert (await communicator.receive_output(timeout=5))["code"] == 4404
    assert not await db(Message.objects.filter(conversation=theirs).exists)()


async def test_a_guest_follows_only_their_own_conversation(application):
    key = guest_key_new()
    mine = await db(conversation_open)(guest_key=key, language="en")
    communicator, connected, _code = await connect(application, guest_cookie(key))
    assert connected
    snapshot = await hello(communicator, mine)
    assert snapshot["conversation"]["id"] == str(mine.pk) and snapshot["conversation"]["status"] == "bot"
    await communicator.disconnect()
    stranger, connected, _code = await connect(application, guest_cookie(guest_key_new()))
    await stranger.send_json_to({"type": "hello", "conversation": str(mine.pk)})
    assert (await stranger.receive_json_from(timeout=5))["code"] == "not_found"


async def test_a_staff_session_still_owing_two_factor_is_nobody(application, agent, settings):
    settings.OKPAY_REQUIRE_STAFF_2FA = True
    _communicator, connected, code = await connect(application, await db(session_cookie)(agent))
    assert not connected and code == 4401


async def test_a_session_from_before_a_password_change_is_nobody(application, customer):
    cookie = await db(session_cookie)(customer)
    communicator, connected, _code = await connect(application, cookie)
    assert connected  # the user is looked up on the sockets' pool (core.sockets), the session checked
    await communicator.disconnect()

    def change_password():
        customer.set_password("a-new-password-2026")
        customer.save()

    await db(change_password)()
    _communicator, connected, code = await connect(application, cookie)
    assert not connected and code == 4401


# --- send, ack, dedupe, the bot ------------------------------------------------------------------------


async def test_send_is_acked_with_its_seq_and_the_bot_answers(application, customer):
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    communicator, _connected, _code = await connect(application, await db(session_cookie)(customer))
    await hello(communicator, conversation)
    await communicator.send_json_to({"type": "message", "client_id": "m-1", "text": "你好"})
    ack = await communicator.receive_json_from(timeout=5)
    assert ack == {"type": "ack", "client_id": "m-1", "seq": 1, "duplicate": False}
    own, reply = await messages(communicator, 2)
    assert (own["seq"], own["sender"], own["client_id"]) == (
        1,
        "customer",
        "m-1",
    )  # the sender drops it by client_id
    assert (reply["seq"], reply["sender"], reply["text"]) == (2, "bot", "bot: 你好")
    await communicator.disconnect()


async def test_a_retry_is_acked_with_the_same_seq_and_nothing_new(application, customer):
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    communicator, _connected, _code = await connect(application, await db(session_cookie)(customer))
    await hello(communicator, conversation)
    await communicator.send_json_to({"type": "message", "client_id": "m-1", "text": "你好"})
    await frame_of(communicator, "ack")
    await messages(communicator, 2)
    await communicator.send_json_to({"type": "message", "client_id": "m-1", "text": "你好"})
    ack = await communicator.receive_json_from(timeout=5)
    assert ack == {"type": "ack", "client_id": "m-1", "seq": 1, "duplicate": True}
    assert await communicator.receive_nothing(timeout=0.3)
    assert await db(Message.objects.filter(conversation=conversation).count)() == 2
    await communicator.disconnect()


async def test_resume_after_reconnect_from_the_last_seq(application, customer, agent_on_duty):
    agent = await db(agent_on_duty)("a@example.com")
    conversation = await db(waiting)(customer)  # seqs 1–4: question, bot, queued, agent joined
    cookie = await db(session_cookie)(customer)
    communicator, _connected, _code = await connect(application, cookie)
    snapshot = await hello(communicator, conversation)
    seen = await messages(communicator, snapshot["conversation"]["last_seq"])
    last = seen[-1]["seq"]
    await communicator.disconnect()
    for i in range(3):  # while the customer is away
        await db(message_post)(
            conversation=conversation, sender="agent", author=agent, client_id=f"a-{i}", text=f"回复 {i}"
        )
    communicator, _connected, _code = await connect(application, cookie)
    await hello(communicator, conversation, last_seq=last)
    missed = await messages(communicator, 3)
    assert [m["seq"] for m in missed] == [last + 1, last + 2, last + 3]
    assert [m["text"] for m in missed] == ["回复 0", "回复 1", "回复 2"]
    assert missed[0]["author_name"] == agent.display_name
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_live_messages_arrive_in_order_each_once(application, customer, agent_on_duty):
    agent = await db(agent_on_duty)("a@example.com")
    conversation = await db(waiting)(customer)
    communicator, _connected, _code = await connect(application, await db(session_cookie)(customer))
    snapshot = await hello(communicator, conversation)
    start = snapshot["conversation"]["last_seq"]
    await messages(communicator, start)

    def burst():
        for i in range(10):
            message_post(
                conversation=conversation, sender="agent", author=agent, client_id=f"b-{i}", text=str(i)
            )

    await db(burst)()
    live = await messages(communicator, 10)
    assert [m["seq"] for m in live] == list(range(start + 1, start + 11))
    assert [m["text"] for m in live] == [str(i) for i in range(10)]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_notes_reach_staff_and_never_the_customer(application, customer, agent_on_duty):
    agent = await db(agent_on_duty)("a@example.com")
    conversation = await db(waiting)(customer)
    customer_socket, _c, _code = await connect(application, await db(session_cookie)(customer))
    staff_socket, _c, _code = await connect(application, await db(session_cookie)(agent))
    for socket in (customer_socket, staff_socket):
        snapshot = await hello(socket, conversation)
        await messages(socket, snapshot["conversation"]["last_seq"])
    await staff_socket.send_json_to({"type": "message", "client_id": "n-1", "text": "VIP 客户", "note": True})
    ack = await frame_of(staff_socket, "ack")
    note = (await messages(staff_socket, 1))[0]
    assert note["sender"] == "note" and note["seq"] == ack["seq"]
    await staff_socket.send_json_to({"type": "message", "client_id": "r-1", "text": "您好"})
    reply_ack = await frame_of(staff_socket, "ack")
    seen = await messages(customer_socket, 1)
    assert [(m["seq"], m["sender"]) for m in seen] == [(reply_ack["seq"], "agent")]  # the note was skipped
    await customer_socket.disconnect()
    await staff_socket.disconnect()


async def test_typing_and_read_marks_go_to_the_other_side(application, customer, agent_on_duty):
    agent = await db(agent_on_duty)("a@example.com")
    conversation = await db(waiting)(customer)
    customer_socket, _c, _code = await connect(application, await db(session_cookie)(customer))
    staff_socket, _c, _code = await connect(application, await db(session_cookie)(agent))
    for socket in (customer_socket, staff_socket):
        snapshot = await hello(socket, conversation)
        await messages(socket, snapshot["conversation"]["last_seq"])
    await customer_socket.send_json_to({"type": "typing", "typing": True})
    assert await frame_of(staff_socket, "typing") == {"type": "typing", "side": "customer", "typing": True}
    assert "typing" not in await frame_types(customer_socket)  # not echoed to the typist
    await staff_socket.send_json_to({"type": "message", "client_id": "r-1", "text": "您好"})
    ack = await frame_of(staff_socket, "ack")
    await messages(customer_socket, 1)
    delivered = await frame_of(staff_socket, "receipt")  # the customer's connection received it
    assert (delivered["seq"], delivered["read"]) == (ack["seq"], False)
    await customer_socket.send_json_to({"type": "read", "seq": ack["seq"]})
    read = await frame_of(staff_socket, "receipt")
    assert (read["side"], read["seq"], read["read"]) == ("customer", ack["seq"], True)
    message = await db(Message.objects.get)(conversation=conversation, client_id="r-1")
    assert message.read_at is not None and message.delivered_at is not None
    await customer_socket.disconnect()
    await staff_socket.disconnect()


async def test_the_customer_hears_the_agent_join(application, customer, agent_on_duty, make_user):
    agent = await db(agent_on_duty)("a@example.com", capacity=1)
    busy = await db(make_user)(email="busy@example.com")
    await db(waiting)(busy)
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    communicator, _c, _code = await connect(application, await db(session_cookie)(customer))
    await hello(communicator, conversation)
    from okpay.chat.actions import conversation_close, handoff

    result = await db(handoff)(conversation=conversation, actor=customer)
    assert result.status == "queued"
    queue = await frame_of(communicator, "queue")
    assert (queue["queue_position"], queue["estimated_wait_seconds"]) == (1, 300)
    await db(conversation_close)(conversation=await db(lambda: busy.chat_conversations.get())(), actor=busy)
    status = await frame_of(communicator, "status")
    while status["status"] != "active":
        status = await frame_of(communicator, "status")
    assert status["agent_name"] == agent.display_name
    await communicator.disconnect()


# --- limits and bad frames -------------------------------------------------------------------------------


async def test_bad_frames_get_errors_and_the_connection_stays(application, customer):
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    communicator, _c, _code = await connect(application, await db(session_cookie)(customer))
    await communicator.send_json_to({"type": "message", "client_id": "m", "text": "before hello"})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "hello_first"
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_frame"
    await communicator.send_to(text_data="[1, 2]")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_frame"
    await communicator.send_to(text_data='{"type": "x"' + " " * 20_000 + "}")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_frame"
    await communicator.send_json_to({"type": "dance"})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "unknown_type"
    await hello(communicator, conversation)
    for text, code in (
        ("a\x00b", "text_invalid"),
        ("x" * 2001, "text_too_long"),
        ("a\ud800", "text_invalid"),
    ):
        await communicator.send_json_to({"type": "message", "client_id": client_id(), "text": text})
        frame = await communicator.receive_json_from(timeout=5)
        assert (frame["type"], frame["code"]) == ("error", code)
    assert not await db(Message.objects.exists)()
    await communicator.send_json_to({"type": "message", "client_id": "ok", "text": "still here"})
    assert (await frame_of(communicator, "ack"))["seq"] == 1
    await communicator.disconnect()


async def test_too_many_messages_get_a_clear_error(application, customer, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_message_per_conversation": (2, 60)}
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    communicator, _c, _code = await connect(application, await db(session_cookie)(customer))
    await hello(communicator, conversation)
    for i in range(2):
        await communicator.send_json_to({"type": "message", "client_id": f"m-{i}", "text": "hi"})
        await frame_of(communicator, "ack")
    await communicator.send_json_to({"type": "message", "client_id": "m-2", "text": "hi"})
    error = await frame_of(communicator, "error")
    assert (error["code"], error["client_id"]) == ("rate_limited", "m-2")
    assert "太快" in error["message"]  # the customer's language
    await communicator.disconnect()


async def test_a_flood_of_frames_is_refused_then_closed(application, customer, settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "chat_frame_per_connection": (3, 60)}
    communicator, _c, _code = await connect(application, await db(session_cookie)(customer))
    for _ in range(3):
        await communicator.send_json_to({"type": "dance"})
        assert (await communicator.receive_json_from(timeout=5))["code"] == "unknown_type"
    await communicator.send_json_to({"type": "typing"})
    assert (await communicator.receive_json_from(timeout=5))["code"] == "rate_limited"
    for _ in range(6):
        await communicator.send_json_to({"type": "typing"})
    closed = None
    while closed is None:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            closed = output
    assert closed["code"] == 4429


async def test_two_connections_of_one_customer_both_see_everything(application, customer):
    conversation = await db(conversation_open)(user=customer, language="zh-hans")
    cookie = await db(session_cookie)(customer)
    first, _c, _code = await connect(application, cookie)
    second, _c, _code = await connect(application, cookie)
    await hello(first, conversation)
    await hello(second, conversation)
    await first.send_json_to({"type": "message", "client_id": "tab-1", "text": "两个标签页"})
    await frame_of(first, "ack")
    other_tab = await messages(second, 2)
    assert [(m["seq"], m["client_id"]) for m in other_tab] == [(1, "tab-1"), (2, "re:1")]
    await asyncio.gather(first.disconnect(), second.disconnect())
