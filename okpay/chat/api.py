"""Live chat over HTTP: the customer's side (a signed-in customer by session or personal token, or a
guest by the chat's signed cookie) and the agent's side (staff). The same actions as the websocket
(docs/chat.md), so a client may switch between the two with the same client ids and seqs; this is
also the widget's fallback when a websocket cannot connect. Refusals are DomainErrors:
{"error": {"code", "message"}} with their status; another customer's conversation is 404."""

import json
from dataclasses import dataclass

import pydantic
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.security import APIKeyCookie

from okpay.accounts import roles
from okpay.accounts.api_auth import TokenAuth
from okpay.core import i18n
from okpay.core.api import SiteSessionAuth
from okpay.core.errors import NotFound, PermissionDenied

from . import actions, selectors
from .choices import Sender
from .errors import ChatError
from .guests import guest_cookie_set, guest_key_from_cookie, guest_key_from_cookies, guest_key_new
from .models import AgentPresence
from .presenters import conversation_data, message_data

router = Router(tags=["live chat"])


@dataclass(frozen=True)
class Guest:
    """A visitor known by the chat's signed cookie (request.auth on the customer endpoints)."""

    key: str
    is_authenticated = False


class GuestCookieAuth(APIKeyCookie):
    """The guest's signed chat cookie; CSRF is checked on unsafe methods, as for the site session."""

    def __init__(self) -> None:
        self.param_name = settings.OKPAY_CHAT_GUEST_COOKIE
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        guest_key = guest_key_from_cookie(key)
        return Guest(guest_key) if guest_key else None


CUSTOMER_AUTH = [TokenAuth(), SiteSessionAuth(), GuestCookieAuth()]
STAFF_AUTH = [TokenAuth(), SiteSessionAuth()]


# --- schemas --------------------------------------------------------------------------------------


class ConversationIn(Schema):
    language: str | None = None  # zh-hans or en; the account's or the page's language when missing
    transaction: int | None = None  # the customer's own wallet transaction the chat is about


class ConversationOut(Schema):
    id: str
    status: str
    language: str
    group: str
    priority: str
    last_seq: int
    agent_name: str | None
    ticket: str | None
    transaction: int | None
    queue_position: int | None
    estimated_wait_seconds: int | None
    rating: int | None
    created_at: str
    queued_at: str | None
    accepted_at: str | None
    closed_at: str | None


class StaffConversationOut(ConversationOut):
    intent: str
    customer: str | None
    agent: int | None
    bot_conversation: int | None


class MessageIn(Schema):
    client_id: str  # the client's own id for the message (1–64 of A–Z a–z 0–9 . _ : -); a retry reuses it
    text: str  # at most 2,000 characters


class AgentMessageIn(MessageIn):
    note: bool = False  # an internal note: never shown to the customer


class FileOut(Schema):
    id: int
    name: str
    size: int  # bytes
    content_type: str
    url: str  # GET: the file, as a download (the customer of the chat, or staff)


class MessageOut(Schema):
    seq: int
    sender: str  # customer | bot | agent | system (| note, staff only)
    client_id: str
    text: str
    created_at: str
    delivered_at: str | None
    read_at: str | None
    author_name: str | None = None
    intent: str | None = None  # the bot's intent (a code)
    intent_label: str | None = None  # the intent in words, in the reader's language
    article_url: str | None = None
    article_title: str | None = None
    actions: list[dict] = []
    alternatives: list[dict] = []
    hand_off: bool = False
    event: str | None = None
    file: FileOut | None = None  # a file sent in the chat (its text is the file's name)


class PostedOut(Schema):
    seq: int
    client_id: str
    created_at: str
    duplicate: bool  # true: this client_id was posted before; nothing new was stored
    message: MessageOut
    reply: MessageOut | None  # the bot's answer, while the conversation is with the bot


class MessagesOut(Schema):
    status: str
    last_seq: int
    messages: list[MessageOut]


class TranscriptIn(Schema):
    email: str = ""  # where to send it, for a guest (a signed-in customer's own address is used)


class TranscriptOut(Schema):
    sent: str  # "transcript": the messages, to the account's verified address; "link": a link to read them
    to: str


class HandoffIn(Schema):
    email: str = ""  # a guest's address for the answer, when the chat becomes a question


class HandoffOut(Schema):
    status: str  # queued | active | ticket
    queue_position: int | None
    estimated_wait_seconds: int | None
    ticket: str | None
    agent_name: str | None


class ReadIn(Schema):
    seq: int
    read: bool = True  # false: only delivered


class ReadOut(Schema):
    changed: int


class RatingIn(Schema):
    score: int
    comment: str = ""


class TransferIn(Schema):
    group: str | None = None
    agent: int | None = None


class ConvertIn(Schema):
    email: str = ""


class PresenceIn(Schema):
    availability: str
    capacity: int | None = None
    languages: list[str] | None = None
    groups: list[str] | None = None


class PresenceOut(Schema):
    availability: str
    capacity: int
    languages: list[str]
    groups: list[str]


class QueueItemOut(Schema):
    id: str
    language: str
    group: str
    priority: str
    intent: str
    queue_position: int
    waited_seconds: int
    customer: str | None


class QueueOut(Schema):
    conversations: list[QueueItemOut]
    stats: dict


class GuestOut(Schema):
    guest: bool


# --- helpers --------------------------------------------------------------------------------------


def _optional_body(request, schema):
    """A JSON body that may be left out (POST …/handoff with nothing, or with {"email": …})."""
    if not request.body or request.content_type != "application/json":
        return schema()
    try:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return schema(**data)
    except (ValueError, pydantic.ValidationError):
        raise ChatError("invalid_request", _("The request is not valid.")) from None


def _optional_body_doc(schema) -> dict:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def _identity(request) -> tuple:
    auth = request.auth
    if isinstance(auth, Guest):
        return None, auth.key
    return auth, ""


def _customer_conversation(request, conversation_id: str):
    user, guest_key = _identity(request)
    conversation = selectors.conversation_for_customer(
        user=user, guest_key=guest_key, conversation_id=conversation_id
    )
    if conversation is None:
        raise NotFound("not_found", _("No such chat."))
    return conversation


def _staff(request):
    if not roles.is_staff(request.auth):
        raise PermissionDenied("forbidden", _("Only support staff can do this."))
    return request.auth


def _staff_conversation(request, conversation_id: str):
    conversation = selectors.conversation_for_staff(user=_staff(request), conversation_id=conversation_id)
    if conversation is None:
        raise NotFound("not_found", _("No such chat."))
    return conversation


def _messages(conversation, *, after: int, for_customer: bool, language: str) -> dict:
    rows = selectors.messages_after(conversation=conversation, after=after, for_customer=for_customer)
    conversation.refresh_from_db(fields=["status", "next_seq"])
    return {
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "messages": [message_data(m, language=language, for_customer=for_customer) for m in rows],
    }


def _posted(posted, *, language: str, for_customer: bool):
    message = posted.message
    body = {
        "seq": message.seq,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "duplicate": not posted.created,
        "message": message_data(message, language=language, for_customer=for_customer),
        "reply": message_data(posted.reply, language=language, for_customer=for_customer)
        if posted.reply
        else None,
    }
    return Status(201 if posted.created else 200, body)


def _staff_language(request) -> str:
    return i18n.normalise(getattr(request.auth, "language", None))


# --- the customer's side ----------------------------------------------------------------------------


@router.post("/chat/guest", response=GuestOut, auth=None, summary="Get a guest chat identity (cookie)")
def chat_guest(request):
    """Sets the guest's signed chat cookie (HttpOnly) unless a valid one is already there; a visitor
    needs it before opening a conversation without an account."""
    from django.http import JsonResponse

    response = JsonResponse({"guest": True})
    if not guest_key_from_cookies(request.COOKIES):
        guest_cookie_set(response, guest_key_new(), secure=request.is_secure())
    return response


@router.post(
    "/chat/conversations",
    response=ConversationOut,
    auth=CUSTOMER_AUTH,
    summary="The customer's open chat, or a new one with the bot",
)
def conversations_open(request, payload: ConversationIn):
    user, guest_key = _identity(request)
    transaction = None
    if payload.transaction is not None:
        from okpay.wallet.selectors import transaction_for_user

        transaction = transaction_for_user(user=user, transaction_id=payload.transaction) if user else None
        if transaction is None:
            raise NotFound("not_found", _("No such transaction."))
    language = payload.language or (user.language if user else i18n.current())
    conversation = actions.conversation_open(
        user=user, guest_key=guest_key, language=language, transaction=transaction
    )
    return conversation_data(conversation)


@router.get(
    "/chat/conversations/{conversation_id}", response=ConversationOut, auth=CUSTOMER_AUTH, summary="One chat"
)
def conversations_get(request, conversation_id: str):
    return conversation_data(_customer_conversation(request, conversation_id))


@router.post(
    "/chat/conversations/{conversation_id}/messages",
    response={200: PostedOut, 201: PostedOut},
    auth=CUSTOMER_AUTH,
    summary="Send a message (the same client_id again answers the same seq and stores nothing)",
)
def conversations_post(request, conversation_id: str, payload: MessageIn):
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    posted = actions.message_post(
        conversation=conversation,
        sender=Sender.CUSTOMER,
        author=user,
        client_id=payload.client_id,
        text=payload.text,
    )
    return _posted(posted, language=conversation.language, for_customer=True)


@router.get(
    "/chat/conversations/{conversation_id}/messages",
    response=MessagesOut,
    auth=CUSTOMER_AUTH,
    summary="Messages after a seq, in seq order (bot replies included; up to 200 — ask again from the last)",
)
def conversations_messages(request, conversation_id: str, after: int = 0):
    conversation = _customer_conversation(request, conversation_id)
    return _messages(conversation, after=after, for_customer=True, language=conversation.language)


@router.post(
    "/chat/conversations/{conversation_id}/handoff",
    response=HandoffOut,
    auth=CUSTOMER_AUTH,
    openapi_extra=_optional_body_doc(HandoffIn),
    summary="Talk to a person: a place in the queue, or a question when nobody can take it",
)
def conversations_handoff(request, conversation_id: str):
    payload = _optional_body(request, HandoffIn)
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    result = actions.handoff(conversation=conversation, actor=user, email=payload.email)
    return result.__dict__


@router.post(
    "/chat/conversations/{conversation_id}/read",
    response=ReadOut,
    auth=CUSTOMER_AUTH,
    summary="Mark the agent's messages up to a seq delivered or read",
)
def conversations_read(request, conversation_id: str, payload: ReadIn):
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    changed = actions.messages_mark(
        conversation=conversation, reader=user, up_to=payload.seq, read=payload.read
    )
    return {"changed": changed}


@router.post(
    "/chat/conversations/{conversation_id}/close",
    response=ConversationOut,
    auth=CUSTOMER_AUTH,
    summary="End the chat (while waiting: leave the queue)",
)
def conversations_close(request, conversation_id: str):
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    return conversation_data(actions.conversation_close(conversation=conversation, actor=user))


@router.post(
    "/chat/conversations/{conversation_id}/rating",
    response=ConversationOut,
    auth=CUSTOMER_AUTH,
    summary="Rate an ended chat, 1–5, once",
)
def conversations_rate(request, conversation_id: str, payload: RatingIn):
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    rated = actions.conversation_rate(
        conversation=conversation, actor=user, score=payload.score, comment=payload.comment
    )
    return conversation_data(rated)


@router.post(
    "/chat/conversations/{conversation_id}/files",
    response={200: PostedOut, 201: PostedOut},
    auth=CUSTOMER_AUTH,
    summary="Send a file (JPG, PNG, PDF or TXT, the questions' size limit; multipart: client_id, file)",
)
def conversations_file(request, conversation_id: str, client_id: Form[str], file: File[UploadedFile]):
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    posted = actions.message_post(
        conversation=conversation, sender=Sender.CUSTOMER, author=user, client_id=client_id, upload=file
    )
    return _posted(posted, language=conversation.language, for_customer=True)


@router.get(
    "/chat/files/{file_id}",
    auth=CUSTOMER_AUTH,
    url_name="chat_file",
    summary="A file sent in a chat, as a download (its customer, or staff)",
)
def chat_file(request, file_id: int):
    from django.http import FileResponse

    user, guest_key = _identity(request)
    attachment = selectors.attachment_for(user=user, guest_key=guest_key, attachment_id=file_id)
    if attachment is None:
        raise NotFound("not_found", _("No such file."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.post(
    "/chat/conversations/{conversation_id}/transcript",
    response=TranscriptOut,
    auth=CUSTOMER_AUTH,
    openapi_extra=_optional_body_doc(TranscriptIn),
    summary="Email me this transcript (the messages to a verified account address, else a link to read them)",
)
def conversations_transcript(request, conversation_id: str):
    payload = _optional_body(request, TranscriptIn)
    conversation = _customer_conversation(request, conversation_id)
    user, _guest_key = _identity(request)
    sent = actions.transcript_email(conversation=conversation, actor=user, email=payload.email)
    return {"sent": sent.kind, "to": sent.to}


# --- the agent's side -------------------------------------------------------------------------------


@router.get("/chat/agent/queue", response=QueueOut, auth=STAFF_AUTH, summary="Waiting chats I may take")
def agent_queue(request):
    agent = _staff(request)
    rows = selectors.queue_for(agent=agent)
    return {
        "conversations": [
            {
                "id": str(row.pk),
                "language": row.language,
                "group": row.group,
                "priority": row.priority,
                "intent": row.intent,
                "queue_position": row.queue_position,
                "waited_seconds": row.waited_seconds,
                "customer": row.user.display_name if row.user_id else None,
            }
            for row in rows
        ],
        "stats": selectors.queue_stats(),
    }


@router.get(
    "/chat/agent/conversations",
    response=list[StaffConversationOut],
    auth=STAFF_AUTH,
    summary="My chats in progress",
)
def agent_conversations(request):
    agent = _staff(request)
    return [conversation_data(c, for_customer=False) for c in selectors.conversations_for_agent(agent=agent)]


@router.get(
    "/chat/agent/conversations/{conversation_id}",
    response=StaffConversationOut,
    auth=STAFF_AUTH,
    summary="One chat (staff)",
)
def agent_conversation(request, conversation_id: str):
    return conversation_data(_staff_conversation(request, conversation_id), for_customer=False)


@router.post(
    "/chat/agent/conversations/{conversation_id}/accept",
    response=StaffConversationOut,
    auth=STAFF_AUTH,
    summary="Take a waiting chat",
)
def agent_accept(request, conversation_id: str):
    conversation = _staff_conversation(request, conversation_id)
    return conversation_data(
        actions.agent_accept(conversation=conversation, actor=request.auth), for_customer=False
    )


@router.get(
    "/chat/agent/conversations/{conversation_id}/messages",
    response=MessagesOut,
    auth=STAFF_AUTH,
    summary="Messages after a seq, internal notes included",
)
def agent_messages(request, conversation_id: str, after: int = 0):
    conversation = _staff_conversation(request, conversation_id)
    return _messages(conversation, after=after, for_customer=False, language=_staff_language(request))


@router.post(
    "/chat/agent/conversations/{conversation_id}/messages",
    response={200: PostedOut, 201: PostedOut},
    auth=STAFF_AUTH,
    summary="Reply, or add an internal note (the same client_id again answers the same seq)",
)
def agent_post(request, conversation_id: str, payload: AgentMessageIn):
    conversation = _staff_conversation(request, conversation_id)
    posted = actions.message_post(
        conversation=conversation,
        sender=Sender.NOTE if payload.note else Sender.AGENT,
        author=request.auth,
        client_id=payload.client_id,
        text=payload.text,
    )
    return _posted(posted, language=_staff_language(request), for_customer=False)


@router.post(
    "/chat/agent/conversations/{conversation_id}/files",
    response={200: PostedOut, 201: PostedOut},
    auth=STAFF_AUTH,
    summary="Send the customer a file (the same rules as the customer's; multipart: client_id, file)",
)
def agent_file(request, conversation_id: str, client_id: Form[str], file: File[UploadedFile]):
    conversation = _staff_conversation(request, conversation_id)
    posted = actions.message_post(
        conversation=conversation, sender=Sender.AGENT, author=request.auth, client_id=client_id, upload=file
    )
    return _posted(posted, language=_staff_language(request), for_customer=False)


@router.post(
    "/chat/agent/conversations/{conversation_id}/read",
    response=ReadOut,
    auth=STAFF_AUTH,
    summary="Mark the customer's messages up to a seq delivered or read",
)
def agent_read(request, conversation_id: str, payload: ReadIn):
    conversation = _staff_conversation(request, conversation_id)
    changed = actions.messages_mark(
        conversation=conversation, reader=request.auth, up_to=payload.seq, read=payload.read
    )
    return {"changed": changed}


@router.post(
    "/chat/agent/conversations/{conversation_id}/transfer",
    response=StaffConversationOut,
    auth=STAFF_AUTH,
    summary="Pass the chat to a group or an agent (the history goes with it)",
)
def agent_transfer(request, conversation_id: str, payload: TransferIn):
    conversation = _staff_conversation(request, conversation_id)
    to_agent = None
    if payload.agent is not None:
        from okpay.accounts.models import User

        to_agent = User.objects.filter(pk=payload.agent).first()
        if to_agent is None or not roles.is_staff(to_agent):
            raise NotFound("not_found", _("No such agent."))
    moved = actions.agent_transfer(
        conversation=conversation, actor=request.auth, to_group=payload.group, to_agent=to_agent
    )
    return conversation_data(moved, for_customer=False)


@router.post(
    "/chat/agent/conversations/{conversation_id}/close",
    response=StaffConversationOut,
    auth=STAFF_AUTH,
    summary="End the chat",
)
def agent_close(request, conversation_id: str):
    conversation = _staff_conversation(request, conversation_id)
    return conversation_data(
        actions.conversation_close(conversation=conversation, actor=request.auth), for_customer=False
    )


@router.post(
    "/chat/agent/conversations/{conversation_id}/convert",
    response=StaffConversationOut,
    auth=STAFF_AUTH,
    openapi_extra=_optional_body_doc(ConvertIn),
    summary="Turn the chat into a question (channel chat) with its transcript",
)
def agent_convert(request, conversation_id: str):
    payload = _optional_body(request, ConvertIn)
    conversation = _staff_conversation(request, conversation_id)
    converted = actions.conversation_convert(
        conversation=conversation, actor=request.auth, email=payload.email
    )
    return conversation_data(converted, for_customer=False)


@router.get("/chat/agent/presence", response=PresenceOut, auth=STAFF_AUTH, summary="My chat availability")
def agent_presence(request):
    agent = _staff(request)
    presence = selectors.presence_for(agent=agent)
    if presence is None:  # never set: what presence_set would start from
        presence = AgentPresence(user=agent, languages=[i18n.normalise(agent.language)], groups=[])
    return presence


@router.post(
    "/chat/agent/presence", response=PresenceOut, auth=STAFF_AUTH, summary="Set my chat availability"
)
def agent_presence_set(request, payload: PresenceIn):
    agent = _staff(request)
    return actions.presence_set(
        agent=agent,
        availability=payload.availability,
        capacity=payload.capacity,
        languages=payload.languages,
        groups=payload.groups,
    )
