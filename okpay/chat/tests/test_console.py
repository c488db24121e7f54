"""The console's live chat (okpay/console/views_chat.py): the inbox and presence, one conversation
(accept, reply, note, transfer, convert, close, marking a bot answer wrong), permissions (another
agent's chat or an unknown id → 404 and nothing changes), the supervisor's dashboard with exact
figures, and the console home's status line."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from okpay.bot.models import BotTurn
from okpay.chat.actions import agent_accept, conversation_close, presence_set
from okpay.chat.models import AgentPresence, Conversation, Message
from okpay.chat.selectors import dashboard_stats
from okpay.core.models import AuditEvent
from okpay.tickets.models import Macro

from .factories import waiting

pytestmark = pytest.mark.django_db

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def queue(make_user, agent_on_duty):
    """queue(email) → a signed-in customer's chat waiting in the general queue: a "holder" agent is
    online with one slot (so hand-offs queue) and busy with a first chat."""
    holder = agent_on_duty("holder@example.com", capacity=1)
    first = waiting(make_user(email="first@example.com"))
    assert first.status == "active" and first.agent == holder

    def add(email="wang2@example.com", text="我的付款没到账", **fields):
        conversation = waiting(make_user(email=email, **fields), text=text)
        assert conversation.status == "queued"
        return conversation

    add.holder, add.first = holder, first
    return add


@pytest.fixture
def console(client, agent):
    client.force_login(agent)
    return client


def url(conversation, action=""):
    pk = conversation if isinstance(conversation, str) else conversation.pk
    return f"/console/chat/{pk}/" + (f"{action}/" if action else "")


def state(conversation):
    conversation.refresh_from_db()
    return conversation.status, conversation.agent_id, conversation.next_seq


# --- permissions ----------------------------------------------------------------------------------


def test_customers_and_visitors_do_not_get_the_console(client, customer, queue):
    chat = queue()
    assert client.get("/console/chat/").status_code == 302  # to sign in
    client.force_login(customer)
    for path in ("/console/chat/", url(chat), "/console/chat/dashboard/", url(chat, "assist")):
        assert client.get(path).status_code == 403
    assert client.post(url(chat, "accept")).status_code == 403
    assert state(chat)[0] == "queued"


def test_the_dashboard_is_for_supervisors(console, client, supervisor):
    assert console.get("/console/chat/dashboard/").status_code == 403
    client.force_login(supervisor)
    assert client.get("/console/chat/dashboard/").status_code == 200


def test_an_unknown_or_malformed_id_is_404(console):
    for path in (url(UNKNOWN), url("not-a-uuid"), url(UNKNOWN, "assist")):
        assert console.get(path).status_code == 404
    for action in ("accept", "messages", "transfer", "convert", "close"):
        assert console.post(url(UNKNOWN, action), {"text": "x", "to": "group:general"}).status_code == 404
    assert Message.objects.filter(sender__in=("agent", "note")).count() == 0


def test_another_agents_chat_is_404_for_every_change_and_nothing_changes(console, queue):
    chat = queue.first  # the holder's chat
    before = state(chat)
    assert console.post(url(chat, "messages"), {"client_id": "x1", "text": "插话"}).status_code == 404
    assert (
        console.post(url(chat, "messages"), {"client_id": "x2", "text": "笔记", "note": "1"}).status_code
        == 404
    )
    assert console.post(url(chat, "transfer"), {"to": "group:security"}).status_code == 404
    assert console.post(url(chat, "convert")).status_code == 404
    assert console.post(url(chat, "close")).status_code == 404
    assert console.post(url(chat, "accept")).status_code == 404
    assert state(chat) == before
    assert not chat.ticket_id
    page = console.get(url(chat))  # staff still follow any chat, read-only
    assert page.status_code == 200
    assert b'name="client_id"' not in page.content


def test_posts_need_a_csrf_token(client, agent, queue):
    chat = queue()
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(agent)
    assert csrf_client.post(url(chat, "accept")).status_code == 403
    assert state(chat)[0] == "queued"


# --- inbox and presence ---------------------------------------------------------------------------


def test_the_inbox_lists_the_queue_mine_all_and_groups(console, agent, queue, make_user):
    chat = queue(full_name="王二")
    page = console.get("/console/chat/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-queued="{chat.pk}"' in html and "王二" in html
    assert f"/console/chat/{queue.first.pk}/" not in html  # not waiting: not in the queue tab
    all_tab = console.get("/console/chat/?tab=all").content.decode()
    assert str(chat.pk) in all_tab and str(queue.first.pk) in all_tab
    assert str(chat.pk) in console.get("/console/chat/?tab=general").content.decode()
    assert str(chat.pk) not in console.get("/console/chat/?tab=security").content.decode()
    assert str(chat.pk) not in console.get("/console/chat/?tab=mine").content.decode()
    partial = console.get("/console/chat/?tab=queue&partial=1")
    assert b"<html" not in partial.content and f'data-queued="{chat.pk}"'.encode() in partial.content


def test_the_inbox_escapes_names(console, queue):
    queue(full_name="<script>alert(1)</script>")
    html = console.get("/console/chat/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_presence_switch_and_capacity(console, agent):
    response = console.post("/console/chat/presence/", {"availability": "online", "capacity": "4"})
    assert response.status_code == 302
    presence = AgentPresence.objects.get(user=agent)
    assert (presence.availability, presence.capacity) == ("online", 4)
    console.post("/console/chat/presence/", {"availability": "away", "capacity": "4"})
    assert AgentPresence.objects.get(user=agent).availability == "away"
    console.post("/console/chat/presence/", {"availability": "busy", "capacity": "99"})
    assert AgentPresence.objects.get(user=agent).availability == "away"  # refused: unchanged
    assert 'value="away" selected' in console.get("/console/chat/").content.decode()


def test_console_home_shows_the_waiting_line(console, queue):
    chat = queue()
    Conversation.objects.filter(pk=chat.pk).update(queued_at=timezone.now() - timedelta(minutes=7, seconds=5))
    html = console.get("/console/").content.decode()
    assert "/console/chat/" in html
    assert "1 waiting · longest 7 min" in html or "1 人等待 · 最长 7 分钟" in html


# --- one conversation -----------------------------------------------------------------------------


def test_accept_then_reply_and_note(console, agent, queue):
    chat = queue()
    page = console.get(url(chat))
    assert page.status_code == 200 and b"chat_accept" not in page.content
    assert console.post(url(chat, "accept")).status_code == 302
    assert state(chat)[:2] == ("active", agent.pk)
    before = Message.objects.filter(conversation=chat).count()
    response = console.post(url(chat, "messages"), {"client_id": "r-1", "text": "您好，我来帮您查一下"})
    assert response.status_code == 302
    again = console.post(
        url(chat, "messages"),
        {"client_id": "r-1", "text": "您好，我来帮您查一下"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert again.json()["duplicate"] is True  # a retry stores nothing
    note = console.post(
        url(chat, "messages"),
        {"client_id": "n-1", "text": "客户很着急", "note": "1"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert note.json()["message"]["sender"] == "note"
    rows = list(Message.objects.filter(conversation=chat, seq__gt=before).values_list("sender", "text"))
    assert rows == [("agent", "您好，我来帮您查一下"), ("note", "客户很着急")]
    chat.refresh_from_db()
    assert chat.first_response_at is not None
    html = console.get(url(chat)).content.decode()
    assert "客户很着急" in html and "chat-msg-note" in html  # notes shown to staff


def test_accepting_a_chat_someone_took_says_so(console, queue, make_user):
    chat = queue()
    other = make_user(email="other@example.com", role="agent")
    agent_accept(conversation=chat, actor=other)
    response = console.post(url(chat, "accept"), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 404  # it is another agent's chat now
    assert state(chat)[1] == other.pk


def test_a_bad_reply_is_refused_with_its_message(console, queue):
    chat = queue()
    console.post(url(chat, "accept"))
    response = console.post(
        url(chat, "messages"), {"client_id": "r-1", "text": "   "}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "text_empty"


def test_transfer_to_a_group_and_to_an_agent(console, agent, queue, agent_on_duty):
    chat = queue()
    console.post(url(chat, "accept"))
    queued_at = Conversation.objects.get(pk=chat.pk).queued_at
    AgentPresence.objects.filter(user=queue.holder).update(availability="away")  # nobody takes it at once
    assert console.post(url(chat, "transfer"), {"to": "group:security"}).status_code == 302
    chat.refresh_from_db()
    assert (chat.status, chat.group, chat.agent_id, chat.queued_at) == ("queued", "security", None, queued_at)
    # a supervisor passes it to a colleague with a free slot
    colleague = agent_on_duty("colleague@example.com", groups=["general"])  # does not serve security
    console.post(url(chat, "accept"))
    assert console.post(url(chat, "transfer"), {"to": f"agent:{colleague.pk}"}).status_code == 302
    assert state(chat)[:2] == ("active", colleague.pk)
    assert console.post(url(chat, "transfer"), {"to": "group:general"}).status_code == 404  # not mine now


def test_transfer_refusals_change_nothing(console, agent, queue):
    chat = queue()
    console.post(url(chat, "accept"))
    before = state(chat)
    console.post(url(chat, "transfer"), {"to": "group:vip"})
    console.post(url(chat, "transfer"), {"to": "nothing"})
    assert console.post(url(chat, "transfer"), {"to": "agent:999999"}).status_code == 404
    presence_set(agent=queue.holder, availability="online")  # online but full
    response = console.post(
        url(chat, "transfer"), {"to": f"agent:{queue.holder.pk}"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "agent_unavailable"
    assert state(chat) == before


def test_a_supervisor_closes_another_agents_chat(client, supervisor, queue):
    client.force_login(supervisor)
    assert client.post(url(queue.first, "close")).status_code == 302
    assert state(queue.first)[0] == "closed"
    assert AuditEvent.objects.filter(action="chat.closed", actor=supervisor).count() == 1


def test_convert_to_a_question(console, agent, queue):
    chat = queue()
    console.post(url(chat, "accept"))
    response = console.post(url(chat, "convert"))
    chat.refresh_from_db()
    assert chat.status == "ticket" and chat.ticket.channel == "chat"
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{chat.ticket.number}/"


def test_close(console, agent, queue):
    chat = queue()
    console.post(url(chat, "accept"))
    assert console.post(url(chat, "close")).status_code == 302
    chat.refresh_from_db()
    assert chat.status == "closed" and chat.closed_at
    assert b'name="client_id"' in console.get(url(chat)).content  # notes may still be added
    assert b"chat_close" not in console.get(url(chat)).content


def test_the_page_shows_the_bot_turns_summary_and_marks_a_turn_wrong(console, agent, queue, bot):
    bot.intents["我的付款没到账"] = "payment_not_received"
    chat = queue(text="我的付款没到账")
    turn = BotTurn.objects.get(conversation=chat.bot_conversation)
    html = console.get(url(chat)).content.decode()
    assert "bot: 我的付款没到账" in html and f"/console/bot/turns/{turn.pk}/correct/" in html
    response = console.post(
        f"/console/bot/turns/{turn.pk}/correct/", {"intent": "reset_password", "next": url(chat)}
    )
    assert response["Location"] == url(chat)
    turn.refresh_from_db()
    assert (turn.corrected_intent, turn.correction_status) == ("reset_password", "proposed")


def test_saved_replies_in_the_customers_language(console, agent, queue):
    Macro.objects.create(
        title="退款", body_zh="{name}您好，退款会在3天内到账。({number})", body_en="Hello {name}"
    )
    chat = queue(full_name="王二")
    console.post(url(chat, "accept"))
    html = console.get(url(chat)).content.decode()
    assert 'data-text="王二您好，退款会在3天内到账。"' in html


def test_the_attached_transaction_and_customer_360_link(console, queue):
    chat = queue()
    html = console.get(url(chat)).content.decode()
    assert f"/console/customers/{chat.user_id}/" in html


# --- the dashboard --------------------------------------------------------------------------------


@pytest.fixture
def midday(time_machine):
    """Early afternoon in Shanghai, before the other fixtures are made: "today" keeps every chat of
    the test (run just after midnight, the ones "10 minutes ago" fell on yesterday)."""
    from zoneinfo import ZoneInfo

    time_machine.move_to(datetime(2026, 11, 25, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def test_dashboard_figures(midday, client, supervisor, queue, make_user, agent_on_duty):
    waiting_chat = queue(email="w1@example.com")
    urgent_wait = timezone.now() - timedelta(minutes=12)
    Conversation.objects.filter(pk=waiting_chat.pk).update(queued_at=urgent_wait)
    # today: the first chat answered after 60 s, a second after 180 s, a third after 30 s (median 60 s)
    first = queue.first
    now = timezone.now()
    Conversation.objects.filter(pk=first.pk).update(
        queued_at=now - timedelta(minutes=5), first_response_at=now - timedelta(minutes=4)
    )
    for email, seconds, rating in (("r1@example.com", 180, 5), ("r2@example.com", 30, 2)):
        chat = queue(email=email)
        agent_accept(conversation=chat, actor=queue.holder)
        conversation_close(conversation=chat, actor=queue.holder)
        Conversation.objects.filter(pk=chat.pk).update(
            queued_at=now - timedelta(minutes=10),
            first_response_at=now - timedelta(minutes=10) + timedelta(seconds=seconds),
            rating=rating,
        )
    leaver = queue(email="leaver@example.com")
    conversation_close(conversation=leaver, actor=leaver.user)  # abandoned
    stats = dashboard_stats()
    assert stats["today"]["first_response_median_seconds"] == 60
    assert stats["today"]["first_responses"] == 3
    assert (stats["today"]["abandoned"], stats["today"]["handed_off"]) == (1, 5)
    assert stats["today"]["abandonment_rate"] == 0.2
    assert (stats["today"]["csat"], stats["today"]["csat_average"], stats["today"]["rated"]) == (0.5, 3.5, 2)
    assert stats["today"]["in_progress"] == 1
    general = stats["groups"]["general"]
    assert (general["waiting"], general["active"], general["agents_online"], general["free_slots"]) == (
        1,
        1,
        1,
        0,
    )
    assert 12 * 60 <= general["longest_wait_seconds"] < 12 * 60 + 30
    assert stats["agents"] == [
        {"agent": queue.holder.pk, "name": queue.holder.display_name, "load": 1, "capacity": 1}
    ]
    client.force_login(supervisor)
    html = client.get("/console/chat/dashboard/").content.decode()
    assert 'data-figure="in_progress">1<' in html
    assert 'data-figure="abandoned">1 / 5 (20%)<' in html
    assert 'data-figure="csat">50%<' in html
    partial = client.get("/console/chat/dashboard/?partial=1")
    assert b"<html" not in partial.content and b'data-group="general"' in partial.content


def test_dashboard_with_nothing_today(client, supervisor):
    stats = dashboard_stats()
    today = stats["today"]
    assert (today["first_response_median_seconds"], today["abandonment_rate"], today["csat"]) == (
        None,
        None,
        None,
    )
    client.force_login(supervisor)
    assert client.get("/console/chat/dashboard/").status_code == 200


def test_the_agent_sends_a_file_and_the_page_links_it(console, queue, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from okpay.chat.models import ChatAttachment

    settings.MEDIA_ROOT = tmp_path
    chat = queue()
    console.post(url(chat, "accept"))
    page = console.get(url(chat)).content.decode()
    assert 'name="file"' in page and ".pdf" in page
    upload = SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n% guide", content_type="application/pdf")
    response = console.post(url(chat, "files"), {"client_id": "file-1", "file": upload})
    assert response.status_code == 302
    again = SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n% guide", content_type="application/pdf")
    console.post(url(chat, "files"), {"client_id": "file-1", "file": again})  # a retry stores it once
    attachment = ChatAttachment.objects.get()
    assert (attachment.original_name, attachment.message.sender) == ("guide.pdf", "agent")
    assert f"/api/v1/chat/files/{attachment.pk}" in console.get(url(chat)).content.decode()
    bad = SimpleUploadedFile("run.exe", b"MZ\x00\x00", content_type="application/octet-stream")
    refused = console.post(
        url(chat, "files"), {"client_id": "file-2", "file": bad}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "file_bad_extension"
    assert ChatAttachment.objects.count() == 1
