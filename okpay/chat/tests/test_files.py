"""Files in a chat: the questions' upload rules (kind by name and content, size), one per message
(its text is the file's name), deduplicated by client id, no bot answer to a file, downloads only for
the chat's customer and staff, the body capped before it is received, and the files go along when
the chat becomes a question."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from okpay.chat.models import ChatAttachment, Message

pytestmark = pytest.mark.django_db

BASE = "/api/v1/chat"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api(client, customer):
    client.force_login(customer)
    return client


def open_chat(client) -> dict:
    response = client.post(f"{BASE}/conversations", "{}", content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def send_file(client, chat, name="screen.png", content=PNG, client_id="f-1", path=None):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        path or f"{BASE}/conversations/{chat['id']}/files", {"client_id": client_id, "file": upload}
    )


def test_a_customer_sends_a_screenshot_once_and_the_bot_stays_quiet(api):
    chat = open_chat(api)
    response = send_file(api, chat)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"]["text"] == "screen.png" and body["reply"] is None
    file = body["message"]["file"]
    assert (file["name"], file["size"], file["content_type"]) == ("screen.png", len(PNG), "image/png")
    again = send_file(api, chat)
    assert (again.status_code, again.json()["seq"], again.json()["duplicate"]) == (200, body["seq"], True)
    assert ChatAttachment.objects.count() == 1 and Message.objects.count() == 1
    stored = ChatAttachment.objects.get()
    assert len(stored.sha256) == 64 and "screen" not in stored.file.name  # random stored name
    listed = api.get(f"{BASE}/conversations/{chat['id']}/messages").json()["messages"]
    assert listed[0]["file"]["url"] == file["url"]
    download = api.get(file["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("virus.exe", b"MZ" + b"\x00" * 64, "file_bad_extension"),
        ("fake.png", b"%PDF-1.4 not a png", "file_content_mismatch"),
        ("empty.txt", b"", "file_empty"),
    ],
)
def test_files_outside_the_rules_are_refused_and_nothing_is_stored(api, name, content, code):
    chat = open_chat(api)
    response = send_file(api, chat, name=name, content=content)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == code
    assert not Message.objects.exists() and not ChatAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(api, settings):
    settings.OKPAY_TICKET_ATTACHMENT_MAX_BYTES = 100
    chat = open_chat(api)
    response = send_file(api, chat, content=PNG + b"\x00" * 200)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "file_too_large"
    assert not ChatAttachment.objects.exists()


def test_at_most_the_configured_number_of_files_per_chat(api, settings):
    settings.OKPAY_CHAT_ATTACHMENTS_PER_CONVERSATION = 2
    chat = open_chat(api)
    assert send_file(api, chat, client_id="a").status_code == 201
    assert send_file(api, chat, client_id="b").status_code == 201
    third = send_file(api, chat, client_id="c")
    assert third.status_code == 422 and third.json()["error"]["code"] == "file_too_many"
    assert ChatAttachment.objects.count() == 2


def test_the_body_is_capped_before_it_is_received():
    from okpay.core.uploads import _view_body_limit

    limit = _view_body_limit("/api/v1/chat/conversations/0b8e7c1e-0000-4000-8000-000000000000/files")
    assert limit is not None and limit > 5 * 1024 * 1024
    assert _view_body_limit("/api/v1/chat/agent/conversations/x/files") == limit
    assert _view_body_limit("/api/v1/chat/conversations/x/messages") is None


def test_only_the_chats_customer_and_staff_download(api, customer_en, agent):
    chat = open_chat(api)
    url = send_file(api, chat).json()["message"]["file"]["url"]
    other = Client()
    other.force_login(customer_en)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 401
    staff = Client()
    staff.force_login(agent)
    assert staff.get(url).status_code == 200
    assert api.get(f"{BASE}/files/999999").status_code == 404


def test_a_guest_sends_and_downloads_with_the_signed_cookie():
    guest = Client()
    guest.post(f"{BASE}/guest")
    chat = open_chat(guest)
    response = send_file(guest, chat, name="说明.txt", content="转账截图说明".encode())
    assert response.status_code == 201, response.content
    assert guest.get(response.json()["message"]["file"]["url"]).status_code == 200


def test_an_agent_sends_a_file_and_the_files_go_along_into_the_question(client, agent_on_duty, customer):
    from okpay.chat.actions import agent_accept, conversation_convert
    from okpay.chat.models import Conversation
    from okpay.tickets.models import TicketAttachment

    agent = agent_on_duty("files@example.com")
    customer_client = Client()
    customer_client.force_login(customer)
    chat = open_chat(customer_client)
    assert send_file(customer_client, chat, name="bill.pdf", content=b"%PDF-1.4\n%...").status_code == 201
    conversation = Conversation.objects.get(pk=chat["id"])
    Conversation.objects.filter(pk=conversation.pk).update(status="queued", queued_at=conversation.created_at)
    conversation.refresh_from_db()
    agent_accept(conversation=conversation, actor=agent)
    client.force_login(agent)
    sent = send_file(
        client, chat, name="guide.png", client_id="a-1", path=f"{BASE}/agent/conversations/{chat['id']}/files"
    )
    assert sent.status_code == 201, sent.content
    seen = customer_client.get(f"{BASE}/conversations/{chat['id']}/messages").json()["messages"]
    assert [m["file"]["name"] for m in seen if m.get("file")] == ["bill.pdf", "guide.png"]
    conversation.refresh_from_db()
    converted = conversation_convert(conversation=conversation, actor=agent)
    ticket = converted.ticket
    files = TicketAttachment.objects.filter(message__ticket=ticket).order_by("pk")
    assert [(f.original_name, f.content_type) for f in files] == [
        ("bill.pdf", "application/pdf"),
        ("guide.png", "image/png"),
    ]
    first = ticket.messages.order_by("pk").first()
    assert "bill.pdf" in first.body


@pytest.mark.parametrize(
    ("client_id", "name"),
    [("f\x00", "a.png"), ("x" * 65, "a.png"), ("f-1", "\ud800.png")],
)
def test_bad_input_with_a_file_is_a_4xx_and_stores_nothing(api, client_id, name):
    chat = open_chat(api)
    try:
        response = send_file(api, chat, name=name, client_id=client_id)
    except UnicodeEncodeError:  # the test client cannot even encode a lone surrogate: nothing was sent
        return
    assert 400 <= response.status_code < 500, response.content
    assert not Message.objects.exists() and not ChatAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_stored(api, settings):
    chat = open_chat(api)
    response = send_file(api, chat, content=PNG + b"\x00" * (settings.OKPAY_TICKET_ATTACHMENT_MAX_BYTES + 1))
    assert response.status_code == 422 and response.json()["error"]["code"] == "file_too_large"
    assert not ChatAttachment.objects.exists()


def test_control_characters_in_a_file_name_are_dropped(api):
    chat = open_chat(api)
    response = send_file(api, chat, name="a\x00b\x07.png")
    assert response.status_code == 201
    assert response.json()["message"]["file"]["name"] == "ab.png"
