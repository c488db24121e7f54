"""The chat API: the customer's four endpoints (open, send with dedupe, read after a seq, hand off),
guests by the signed cookie, another's conversation → 404 and nothing changed, bad input → 4xx, and
the agent's side."""

import json

import pytest
from django.conf import settings
from django.test import Client

from okpay.chat.guests import guest_cookie_value, guest_key_new
from okpay.chat.models import Conversation, Message
from okpay.tickets.models import Ticket

pytestmark = pytest.mark.django_db

BASE = "/api/v1/chat"


def post(client, path, body=None, **extra):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


@pytest.fixture
def api(client, customer):
    client.force_login(customer)
    return client


def open_chat(client) -> dict:
    response = post(client, f"{BASE}/conversations", {"language": "zh-hans"})
    assert response.status_code == 200, response.content
    return response.json()


def test_open_returns_the_open_conversation_or_a_new_one(api, customer):
    first = open_chat(api)
    assert first["status"] == "bot" and first["language"] == "zh-hans" and first["last_seq"] == 0
    assert open_chat(api)["id"] == first["id"]
    assert Conversation.objects.get().user == customer


def test_send_answers_a_seq_and_the_same_client_id_the_same_seq(api):
    chat = open_chat(api)
    response = post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m-1", "text": "你好"})
    assert response.status_code == 201
    body = response.json()
    assert (body["seq"], body["client_id"], body["duplicate"]) == (1, "m-1", False)
    assert body["reply"]["sender"] == "bot" and body["reply"]["seq"] == 2
    again = post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m-1", "text": "你好"})
    assert again.status_code == 200
    assert (again.json()["seq"], again.json()["duplicate"]) == (1, True)
    assert Message.objects.count() == 2


def test_messages_after_a_seq_in_order_with_the_bots_replies(api):
    chat = open_chat(api)
    for i, text in enumerate(["你好", "怎么充值"]):
        post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": f"m-{i}", "text": text})
    response = api.get(f"{BASE}/conversations/{chat['id']}/messages?after=0")
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert [(m["seq"], m["sender"]) for m in messages] == [
        (1, "customer"),
        (2, "bot"),
        (3, "customer"),
        (4, "bot"),
    ]
    assert messages[1]["text"] == "bot: 你好" and messages[0]["created_at"]
    later = api.get(f"{BASE}/conversations/{chat['id']}/messages?after=2").json()
    assert [m["seq"] for m in later["messages"]] == [3, 4] and later["last_seq"] == 4


def test_handoff_in_hours_with_an_agent_gives_a_place(api, agent_on_duty, make_user):
    agent_on_duty("a@example.com", capacity=1)
    other = make_user(email="first@example.com")
    from .factories import waiting

    waiting(other)  # the only slot is taken
    chat = open_chat(api)
    post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m-1", "text": "我要找人工"})
    response = post(api, f"{BASE}/conversations/{chat['id']}/handoff")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["queue_position"], body["estimated_wait_seconds"]) == ("queued", 1, 300)
    assert body["ticket"] is None
    assert api.get(f"{BASE}/conversations/{chat['id']}").json()["queue_position"] == 1


def test_handoff_with_nobody_online_gives_a_question(api):
    chat = open_chat(api)
    post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m-1", "text": "我的钱呢"})
    response = api.post(f"{BASE}/conversations/{chat['id']}/handoff")  # no body at all
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert response.json()["ticket"] == ticket.number and ticket.number.startswith("Q-")
    assert ticket.channel == "chat"


def test_another_customers_conversation_is_not_found_and_unchanged(api, customer_en):
    theirs = Client()
    theirs.force_login(customer_en)
    chat = open_chat(theirs)
    post(theirs, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "x", "text": "mine"})
    before = Message.objects.count()
    for response in (
        api.get(f"{BASE}/conversations/{chat['id']}"),
        api.get(f"{BASE}/conversations/{chat['id']}/messages?after=0"),
        post(api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "y", "text": "intrude"}),
        post(api, f"{BASE}/conversations/{chat['id']}/handoff"),
        post(api, f"{BASE}/conversations/{chat['id']}/close"),
        post(api, f"{BASE}/conversations/{chat['id']}/rating", {"score": 1}),
        api.get(f"{BASE}/conversations/not-a-uuid/messages"),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
    assert Message.objects.count() == before
    assert Conversation.objects.get(pk=chat["id"]).status == "bot"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"client_id": "m-1", "text": "a\u0000b"}, 422, None),  # the input guard refuses NUL for every view
        ({"client_id": "m-1", "text": "x" * 2001}, 422, "text_too_long"),
        ({"client_id": "m-1", "text": ""}, 422, "text_empty"),
        ({"client_id": "", "text": "hi"}, 422, "client_id_invalid"),
        ({"client_id": "m-1"}, 422, "invalid_request"),
        ({"client_id": "m-1", "text": 5}, 422, "invalid_request"),
    ],
)
def test_bad_messages_get_a_4xx_and_store_nothing(api, body, status, code):
    chat = open_chat(api)
    response = post(api, f"{BASE}/conversations/{chat['id']}/messages", body)
    assert response.status_code == status, response.content
    if code:
        assert response.json()["error"]["code"] == code
    assert not Message.objects.exists()


def test_a_huge_body_is_413(api):
    chat = open_chat(api)
    response = post(
        api, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "m", "text": "x" * 3_000_000}
    )
    assert response.status_code == 413
    assert not Message.objects.exists()


def test_a_lone_surrogate_is_refused(api):
    chat = open_chat(api)
    raw = '{"client_id": "m-1", "text": "a\\ud800b"}'
    response = api.post(f"{BASE}/conversations/{chat['id']}/messages", raw, content_type="application/json")
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_personal_token_works(customer):
    from okpay.accounts.actions import api_token_create

    _row, token = api_token_create(user=customer, name="app", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    chat = open_chat(client)
    response = post(client, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "t-1", "text": "hi"})
    assert response.status_code == 201


def test_nobody_gets_401():
    response = post(Client(), f"{BASE}/conversations")
    assert response.status_code == 401


def test_a_guest_chats_with_the_signed_cookie():
    client = Client()
    response = post(client, f"{BASE}/guest")
    assert response.status_code == 200
    cookie = response.cookies[settings.OKPAY_CHAT_GUEST_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    chat = open_chat(client)
    assert post(client, f"{BASE}/guest").cookies.get(settings.OKPAY_CHAT_GUEST_COOKIE) is None  # kept
    response = post(
        client, f"{BASE}/conversations/{chat['id']}/messages", {"client_id": "g-1", "text": "hello"}
    )
    assert response.status_code == 201
    stranger = Client()
    stranger.cookies[settings.OKPAY_CHAT_GUEST_COOKIE] = guest_cookie_value(guest_key_new())
    assert stranger.get(f"{BASE}/conversations/{chat['id']}").status_code == 404
    forged = Client()
    forged.cookies[settings.OKPAY_CHAT_GUEST_COOKIE] = "not-signed"
    assert forged.get(f"{BASE}/conversations/{chat['id']}").status_code == 401


def test_a_guests_post_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.OKPAY_CHAT_GUEST_COOKIE] = guest_cookie_value(guest_key_new())
    response = post(client, f"{BASE}/conversations")
    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_close_and_rate(api, customer, agent_on_duty):
    from .factories import waiting

    agent_on_duty("rate@example.com")
    chat = {"id": str(waiting(customer).pk)}  # the free agent takes it at once
    closed = post(api, f"{BASE}/conversations/{chat['id']}/close")
    assert closed.json()["status"] == "closed"
    rated = post(api, f"{BASE}/conversations/{chat['id']}/rating", {"score": 5, "comment": "好"})
    assert rated.json()["rating"] == 5
    again = post(api, f"{BASE}/conversations/{chat['id']}/rating", {"score": 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    bot_only = open_chat(api)
    post(api, f"{BASE}/conversations/{bot_only['id']}/close")
    refused = post(api, f"{BASE}/conversations/{bot_only['id']}/rating", {"score": 5})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_agent"


# --- the agent's side ----------------------------------------------------------------------------------


def test_agent_endpoints_are_staff_only(api):
    for response in (
        api.get(f"{BASE}/agent/queue"),
        api.get(f"{BASE}/agent/presence"),
        post(api, f"{BASE}/agent/presence", {"availability": "online"}),
    ):
        assert response.status_code == 403


def test_an_agent_goes_online_takes_a_chat_and_replies(client, agent, customer):
    customer_client = Client()
    customer_client.force_login(customer)
    chat = open_chat(customer_client)
    post(
        customer_client,
        f"{BASE}/conversations/{chat['id']}/messages",
        {"client_id": "c1", "text": "我的卡丢了"},
    )
    client.force_login(agent)
    assert client.get(f"{BASE}/agent/presence").json()["availability"] == "offline"
    # the customer waits in the queue (as if every agent were busy when they asked)
    assert post(client, f"{BASE}/agent/presence", {"availability": "away", "capacity": 2}).status_code == 200
    conversation = Conversation.objects.get(pk=chat["id"])
    Conversation.objects.filter(pk=conversation.pk).update(status="queued", queued_at=conversation.created_at)
    queue = client.get(f"{BASE}/agent/queue").json()
    assert [c["id"] for c in queue["conversations"]] == [chat["id"]]
    assert queue["stats"]["groups"]["general"]["waiting"] == 1
    accepted = post(client, f"{BASE}/agent/conversations/{chat['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    reply = post(
        client, f"{BASE}/agent/conversations/{chat['id']}/messages", {"client_id": "a1", "text": "您好"}
    )
    note = post(
        client,
        f"{BASE}/agent/conversations/{chat['id']}/messages",
        {"client_id": "n1", "text": "VIP", "note": True},
    )
    assert reply.status_code == 201 and note.status_code == 201
    staff_view = client.get(f"{BASE}/agent/conversations/{chat['id']}/messages").json()["messages"]
    customer_view = customer_client.get(f"{BASE}/conversations/{chat['id']}/messages").json()["messages"]
    assert "note" in [m["sender"] for m in staff_view]
    assert "note" not in [m["sender"] for m in customer_view]
    agent_message = next(m for m in customer_view if m["sender"] == "agent")
    assert agent_message["author_name"] == agent.display_name
    assert any(m["sender"] == "system" and m["event"] == "agent_joined" for m in customer_view)


def test_agent_transfer_and_close(client, agent_on_duty, customer):
    from .factories import waiting

    first = agent_on_duty("a@example.com")
    conversation = waiting(customer)
    client.force_login(first)
    moved = post(client, f"{BASE}/agent/conversations/{conversation.pk}/transfer", {"group": "security"})
    assert moved.status_code == 200 and moved.json()["group"] == "security"
    missing = post(client, f"{BASE}/agent/conversations/{conversation.pk}/transfer", {"agent": 999999})
    assert missing.status_code == 404
    conversation.refresh_from_db()
    assert conversation.status == "active" and conversation.agent == first  # routed back (serves all groups)
    closed = post(client, f"{BASE}/agent/conversations/{conversation.pk}/close")
    assert closed.json()["status"] == "closed"
