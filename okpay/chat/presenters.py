"""What a client sees of a conversation and its messages: JSON-safe dicts shared by the API, the
websocket and the broadcasts, with system messages in the reader's language."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import translation

from okpay.bot.catalog import intent_label
from okpay.core import i18n

from .choices import ChatGroup, ConversationStatus, Sender, SystemEvent
from .models import Conversation, Message


def _iso(value):
    return value.isoformat() if value is not None else None


def system_text(event: str, data: dict, language: str) -> str:
    if event not in SystemEvent.values:
        return ""
    params = dict(data or {})
    with translation.override(i18n.normalise(language)):
        if "group" in params and params["group"] in ChatGroup.values:
            params["group"] = str(ChatGroup(params["group"]).label)
        try:
            return str(SystemEvent(event).label) % params
        except (KeyError, TypeError, ValueError):
            return str(SystemEvent(event).label)


def author_name(user) -> str:
    """How an agent is named to the customer: their display name."""
    return user.display_name if user is not None else ""


def message_record(message: Message) -> dict:
    """The stored message as a JSON-safe dict (what a broadcast carries); `message_view` renders it."""
    return {
        "conversation": str(message.conversation_id),
        "seq": message.seq,
        "sender": message.sender,
        "client_id": message.client_id,
        "text": message.text,
        "author_name": author_name(message.author) if message.sender == Sender.AGENT else "",
        "intent": message.intent,
        "article_url": message.article_url,
        "article_title": message.article_title,
        "actions": message.actions or [],
        "hand_off": message.hand_off,
        "event": message.event,
        "data": message.data or {},
        "file": file_record(message),
        "created_at": _iso(message.created_at),
        "delivered_at": _iso(message.delivered_at),
        "read_at": _iso(message.read_at),
    }


def file_record(message: Message) -> dict | None:
    """The message's file (a ChatAttachment) for the reader: name, size, type and its download URL."""
    from django.urls import reverse

    try:
        attachment = message.attachment
    except ObjectDoesNotExist:
        return None
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": reverse("api:chat_file", args=[attachment.pk]),
    }


def message_view(record: dict, *, language: str, for_customer: bool) -> dict | None:
    """The message as the reader sees it; None for an internal note shown to a customer."""
    if for_customer and record["sender"] == Sender.NOTE:
        return None
    view = {
        "seq": record["seq"],
        "sender": record["sender"],
        "client_id": record["client_id"],
        "text": record["text"],
        "created_at": record["created_at"],
        "delivered_at": record["delivered_at"],
        "read_at": record["read_at"],
        "file": record.get("file"),
    }
    if record["sender"] == Sender.AGENT:
        view["author_name"] = record["author_name"]
    if record["sender"] == Sender.BOT:
        view.update(
            intent=record["intent"],
            intent_label=intent_label(record["intent"], language) or None,
            article_url=record["article_url"] or None,
            article_title=record["article_title"] or None,
            actions=record["actions"],
            alternatives=(record["data"] or {}).get("alternatives", []),
            hand_off=record["hand_off"],
        )
    if record["sender"] == Sender.SYSTEM:
        view["event"] = record["event"]
        view["text"] = system_text(record["event"], record["data"], language)
    return view


def message_data(message: Message, *, language: str, for_customer: bool) -> dict | None:
    return message_view(message_record(message), language=language, for_customer=for_customer)


def conversation_data(conversation: Conversation, *, for_customer: bool = True) -> dict:
    from . import routing

    data = {
        "id": str(conversation.id),
        "status": conversation.status,
        "language": conversation.language,
        "group": conversation.group,
        "priority": conversation.priority,
        "last_seq": conversation.last_seq,
        "agent_name": author_name(conversation.agent) if conversation.agent_id else None,
        "ticket": conversation.ticket.number if conversation.ticket is not None else None,
        "transaction": conversation.transaction_id,
        "queue_position": None,
        "estimated_wait_seconds": None,
        "rating": conversation.rating,
        "created_at": _iso(conversation.created_at),
        "queued_at": _iso(conversation.queued_at),
        "accepted_at": _iso(conversation.accepted_at),
        "closed_at": _iso(conversation.closed_at),
    }
    if conversation.status == ConversationStatus.QUEUED:
        position = routing.queue_position(conversation)
        data["queue_position"] = position
        data["estimated_wait_seconds"] = routing.wait_estimate(
            position=position, language=conversation.language, group=conversation.group
        )
    if not for_customer:
        data.update(
            intent=conversation.intent,
            customer=conversation.user.email if conversation.user is not None else None,
            agent=conversation.agent_id,
            bot_conversation=conversation.bot_conversation_id,
        )
    return data
