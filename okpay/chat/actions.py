"""Live-chat actions: keyword-only, domain values (the acting user or SYSTEM, the conversation, the
text), never the request. A message is stored under the conversation's row lock, which hands out the
next `seq`; it is broadcast only after it is committed (a notification of committed state: a client
that misses it catches up with `messages_after`). A conversation's status changes only in
`conversation_transition`, which checks `choices.CONVERSATION_TRANSITIONS` and writes the system
message and the audit row in the same transaction.

The customer as an actor: their signed-in user, or None for a guest (the caller found the
conversation with the guest's key, `selectors.conversation_for_customer`)."""

import asyncio
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.bot.models import BotConversation
from okpay.core import i18n
from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError
from okpay.core.ratelimit import rate_limited
from okpay.core.sockets import socket_loop
from okpay.core.transitions import SYSTEM, is_system, transition_exists, transition_permitted
from okpay.tickets.choices import TicketChannel, TicketTopic

from . import routing
from .choices import (
    AGENT,
    CONVERSATION_TRANSITIONS,
    HUMAN_SENDERS,
    OPEN_STATUSES,
    Availability,
    ChatGroup,
    ConversationStatus,
    Sender,
    SystemEvent,
)
from .errors import ChatConflict, ChatError, ChatForbidden, ChatRateLimited, ChatTransitionRefused
from .guests import KEY_PATTERN
from .models import (
    CLIENT_ID_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    AgentPresence,
    ChatAttachment,
    Conversation,
    Message,
)
from .presenters import author_name, message_record, system_text
from .selectors import conversation_open_for, messages_after  # noqa: F401  (messages_after: the read side)

logger = logging.getLogger(__name__)

STAFF_GROUP = "chat.staff"  # every console inbox listens here for queue changes
CLIENT_ID = re.compile(rf"^[A-Za-z0-9._:-]{{1,{CLIENT_ID_MAX_LENGTH}}}$")
# C0 controls but tab and newline, DEL, and lone UTF-16 surrogates (unstorable in PostgreSQL / UTF-8)
FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\ud800-\udfff]")
BOT_REPLY_PREFIX = "re:"  # the bot's reply to message n has client_id "re:n" (so it is stored once)


def group_name(conversation_id) -> str:
    """The channel-layer group of a conversation's live connections."""
    return f"chat.{conversation_id}"


# --- broadcasts (after commit) --------------------------------------------------------------------


def _group_send(group: str, event: dict) -> None:
    """Best effort: the state is committed, and a client that misses a notification catches up from
    its last seq (hello / GET …/messages?after=)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    loop = socket_loop()
    if loop is not None:
        # on a websocket's database thread: hand the send to its event loop and go on. Waiting for it
        # (async_to_sync) kept the thread — and the next frame's database work — until the busy loop
        # got to it (measured with py-spy under bench/chat.py: 42% of the threads' time); a
        # concurrent Future per send (run_coroutine_threadsafe) cost its lock on every message.
        loop.call_soon_threadsafe(_send_on_loop, layer, group, event)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("chat broadcast to %s failed", group)


_sending: set[asyncio.Task] = set()  # the loop keeps only weak references to its tasks


def _send_on_loop(layer, group: str, event: dict) -> None:
    task = asyncio.ensure_future(_send_logged(layer, group, event))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _send_logged(layer, group: str, event: dict) -> None:
    try:
        await layer.group_send(group, event)
    except Exception:
        logger.exception("chat broadcast to %s failed", group)


def _after_commit(func, *args) -> None:
    """Run func(*args) once after the commit, however often a transaction asks (e.g. a dispatch that
    routes ten conversations of one group announces that group's queue once)."""
    callback = partial(func, *args)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _sids, queued, _robust in connection.run_on_commit:
            if isinstance(queued, partial) and queued.func is func and queued.args == args:
                return
    transaction.on_commit(callback)


def _broadcast_message(record: dict) -> None:
    _group_send(group_name(record["conversation"]), {"type": "chat.message", "record": record})


def _broadcast_status(conversation_id) -> None:
    conversation = Conversation.objects.select_related("agent", "ticket").filter(pk=conversation_id).first()
    if conversation is None:
        return
    _group_send(
        group_name(conversation.pk),
        {
            "type": "chat.status",
            "status": conversation.status,
            "agent_name": author_name(conversation.agent) if conversation.agent_id else None,
            "ticket": conversation.ticket.number if conversation.ticket is not None else None,
        },
    )


def _broadcast_queue(group: str) -> None:
    """Tell every conversation waiting in `group` its position and estimated wait, and the consoles
    that the group's queue changed."""
    estimator = routing.WaitEstimator(group)
    for position, (pk, language) in enumerate(routing.queued(group).values_list("pk", "language"), 1):
        _group_send(
            group_name(pk),
            {
                "type": "chat.queue",
                "queue_position": position,
                "estimated_wait_seconds": estimator.seconds(position=position, language=language),
            },
        )
    _group_send(STAFF_GROUP, {"type": "chat.inbox", "group": group})


# --- input ------------------------------------------------------------------------------------------


def text_clean(text) -> str:
    """The message text as stored, or ChatError: text only, no control characters, not empty, at most
    TEXT_MAX_LENGTH characters."""
    if not isinstance(text, str):
        raise ChatError("text_invalid", _("A message must be text."))
    if FORBIDDEN_TEXT.search(text):
        raise ChatError("text_invalid", _("The message contains characters that cannot be sent."))
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ChatError("text_empty", _("Type a message first."))
    if len(text) > TEXT_MAX_LENGTH:
        raise ChatError(
            "text_too_long",
            _("A message can be at most %(limit)s characters (this one has %(length)s)."),
            limit=TEXT_MAX_LENGTH,
            length=len(text),
        )
    return text


def client_id_check(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ChatError(
            "client_id_invalid",
            _("Each message needs its own id: 1 to %(limit)s letters, digits or . _ : -"),
            limit=CLIENT_ID_MAX_LENGTH,
        )
    return client_id


# --- who is who -----------------------------------------------------------------------------------


def acts_as_customer(conversation: Conversation, actor) -> bool:
    """The conversation's own customer: its signed-in user; for a guest's conversation, None (the
    caller found it by the guest's key)."""
    if is_system(actor):
        return False
    if conversation.user_id is None:
        return actor is None or not getattr(actor, "is_authenticated", False)
    return bool(getattr(actor, "is_authenticated", False)) and actor.pk == conversation.user_id


def _is_assigned_agent(conversation: Conversation, actor) -> bool:
    return (
        roles.is_staff(actor)
        and conversation.agent_id is not None
        and getattr(actor, "pk", None) == conversation.agent_id
    )


def _locked(conversation) -> Conversation:
    pk = conversation.pk if isinstance(conversation, Conversation) else conversation
    return Conversation.objects.select_for_update().get(pk=pk)


def _status_label(status: str) -> str:
    return str(dict(ConversationStatus.choices).get(status, status))


# --- the conversation's state machine (choices.CONVERSATION_TRANSITIONS) ------------------------------


def _rules(conversation: Conversation, current: str, to: str) -> list:
    """The table's rules for the move, with AGENT resolved for this conversation."""
    rules = CONVERSATION_TRANSITIONS.get(current, {}).get(to, ())
    return [
        (lambda actor: _is_assigned_agent(conversation, actor)) if rule == AGENT else rule for rule in rules
    ]


def conversation_transition_allowed(*, conversation: Conversation, to: str, actor) -> bool:
    current = conversation.status
    table = {current: {to: _rules(conversation, current, to)}}
    return transition_permitted(
        table, current, to, actor=actor, is_customer=acts_as_customer(conversation, actor)
    )


def conversation_transition_check(*, conversation: Conversation, to: str, actor) -> None:
    """ChatTransitionRefused (409) for a move not in the table, ChatForbidden (403) for one this actor
    may not make. Changes nothing."""
    current, target = _status_label(conversation.status), _status_label(to)
    if not transition_exists(CONVERSATION_TRANSITIONS, conversation.status, to):
        raise ChatTransitionRefused(
            "illegal_transition",
            _("A chat cannot move from “%(current)s” to “%(target)s”."),
            current=current,
            target=target,
        )
    if not conversation_transition_allowed(conversation=conversation, to=to, actor=actor):
        raise ChatForbidden(
            "forbidden",
            _("You may not move this chat from “%(current)s” to “%(target)s”."),
            current=current,
            target=target,
        )


@transaction.atomic
def conversation_transition(
    *,
    conversation: Conversation,
    to: str,
    actor,
    event: str = "",
    data: dict | None = None,
    audit_action: str = "chat.status_changed",
    agent=None,
    group: str | None = None,
    priority: str | None = None,
    intent: str | None = None,
    ticket=None,
) -> Conversation:
    """The one place a conversation's status changes: locks it, checks the move and the actor, sets the
    status with its clocks (queued_at when it first waits, accepted_at when an agent takes it,
    closed_at when it ends) and its routing (agent, group), appends the system message `event` and
    writes the audit row — one transaction. Returns the locked, current conversation."""
    conversation = _locked(conversation)
    conversation_transition_check(conversation=conversation, to=to, actor=actor)
    previous = conversation.status
    previous_group = conversation.group
    now = timezone.now()
    conversation.status = to
    for field, value in (("group", group), ("priority", priority), ("intent", intent)):
        if value is not None:
            setattr(conversation, field, value)
    if ticket is not None:
        conversation.ticket = ticket
    if to == ConversationStatus.QUEUED:
        conversation.agent = None
        conversation.queued_at = conversation.queued_at or now  # a transfer keeps its place in time
    elif to == ConversationStatus.ACTIVE:
        if agent is None or not roles.is_staff(agent):
            raise ChatConflict("agent_required", _("Choose a support agent for this chat."))
        conversation.agent = agent
        conversation.accepted_at = now
    elif to not in OPEN_STATUSES:
        conversation.closed_at = now
    conversation.save()
    if event:
        _append(conversation, sender=Sender.SYSTEM, event=event, data=data or {})
    audit_data: dict[str, object] = {"conversation": str(conversation.pk), "from": previous, "to": to}
    if conversation.agent_id:
        audit_data["agent"] = conversation.agent_id
    if previous_group != conversation.group:
        audit_data["group"] = conversation.group
    if ticket is not None:
        audit_data["ticket"] = ticket.number
    audit_event_record(
        action=audit_action,
        actor=None if is_system(actor) else actor,
        subject_user=conversation.user,
        data=audit_data,
    )
    _after_commit(_broadcast_status, conversation.pk)
    if ConversationStatus.QUEUED in (previous, to):
        _after_commit(_broadcast_queue, previous_group)
        if previous_group != conversation.group:
            _after_commit(_broadcast_queue, conversation.group)
    return conversation


# --- messages -------------------------------------------------------------------------------------


def _append(
    conversation: Conversation,
    *,
    sender: str,
    author=None,
    client_id: str = "",
    before_broadcast=None,
    **fields,
) -> Message:
    """Store the next message. The caller holds the conversation's row lock (the seq counter).
    `before_broadcast(message)` stores what belongs to the message (its file) before it is announced."""
    message = Message.objects.create(
        conversation=conversation,
        seq=conversation.next_seq,
        sender=sender,
        author=author,
        client_id=client_id,
        **fields,
    )
    conversation.next_seq += 1
    conversation.save(update_fields=["next_seq", "updated_at"])
    if before_broadcast is not None:
        before_broadcast(message)
    else:
        _no_file(message)
    record = message_record(message)
    transaction.on_commit(partial(_broadcast_message, record))
    return message


def _attachment_store(message: Message, *, upload, name: str, content_type: str, sha256: str) -> None:
    ChatAttachment.objects.create(
        message=message,
        file=upload,
        original_name=name[:200],
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
    )


@dataclass
class Posted:
    message: Message
    created: bool  # False: the same client_id was posted before; this is the stored message
    reply: Message | None = None  # the bot's answer to it, when the conversation is with the bot
    with_bot: bool = False  # the conversation was with the bot when the message was stored


def _sender_check(conversation: Conversation, *, sender: str, author) -> None:
    if sender not in HUMAN_SENDERS:
        raise ChatError("sender_invalid", _("This kind of message cannot be posted."))
    if sender == Sender.CUSTOMER:
        if not acts_as_customer(conversation, author):
            raise ChatForbidden("forbidden", _("This is not your chat."))
        if not conversation.is_open:
            raise ChatConflict("finished", _("This chat has ended. Start a new one to write again."))
    elif sender == Sender.AGENT:
        if not (_is_assigned_agent(conversation, author) or roles.is_supervisor(author)):
            raise ChatForbidden("forbidden", _("Only the agent in this chat can reply."))
        if conversation.status != ConversationStatus.ACTIVE:
            raise ChatConflict("not_active", _("Replies go to chats in progress only."))
    elif not roles.is_staff(author):  # an internal note
        raise ChatForbidden("forbidden", _("Only staff can add internal notes."))


def _rate_limited(conversation: Conversation, sender: str) -> bool:
    """Count one message for the conversation's side (OKPAY_RATE_LIMITS "chat_message_per_conversation")."""
    side = "customer" if sender == Sender.CUSTOMER else "staff"
    return rate_limited("chat_message_per_conversation", f"{conversation.pk}:{side}")


def _rate_limited_error() -> ChatError:
    return ChatRateLimited(
        "rate_limited", _("You are sending messages too fast. Wait a few seconds and send it again.")
    )


def _rate_check(conversation: Conversation, sender: str, limited: bool | None = None) -> None:
    """ChatRateLimited over the limit; `limited`: the hit was already counted (and this was its answer)."""
    if limited is None:
        limited = _rate_limited(conversation, sender)
    if limited:
        raise _rate_limited_error()


def attachment_check(upload) -> tuple[str, str, str]:
    """A chat file under the questions' upload rules (kinds by name AND content, size): returns its
    display name, content type and SHA-256, or ChatError 422 with the reason."""
    from okpay.core.uploads import KINDS, upload_check
    from okpay.tickets.forms import ATTACHMENT_KINDS, attachment_max_bytes

    try:
        kind = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())
    except ValidationError as error:
        raise ChatError(f"file_{error.code or 'invalid'}", " ".join(error.messages)) from None
    name = unicodedata.normalize("NFKC", PurePath(str(upload.name or "")).name)
    name = "".join(c for c in name if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF).strip()[-120:]
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return name or f"file{KINDS[kind].extensions[0]}", KINDS[kind].content_type, digest.hexdigest()


def _attachment_count_check(conversation: Conversation) -> None:
    limit = settings.OKPAY_CHAT_ATTACHMENTS_PER_CONVERSATION
    if ChatAttachment.objects.filter(message__conversation=conversation).count() >= limit:
        raise ChatError(
            "file_too_many",
            _("A chat can carry at most %(limit)s files. Start a question to send more."),
            limit=limit,
        )


def message_post(
    *,
    conversation: Conversation,
    sender: str,
    author=None,
    client_id: str,
    text: str = "",
    answer_bot: bool = True,
    upload=None,
) -> Posted:
    """Store a customer message, an agent reply or an internal note (sender "note"). The same
    `client_id` again (a retry) returns the stored message with its seq and stores nothing. A new
    message gets the conversation's next seq under its row lock and is broadcast after the commit.
    While the conversation is with the bot, the bot's answer to a customer message is appended as a
    later message (`bot_reply`; `answer_bot=False` leaves that to the caller, e.g. after an ack).
    `upload`: a file (customer or agent; `attachment_check`) — the message's text is its name, and
    the bot does not answer it.

    A text message on PostgreSQL is one statement (`_post_text_postgres`); `conversation` is then the
    caller's copy, which is refreshed (status, agent, owner) when it turned out stale."""
    client_id = client_id_check(client_id)
    if upload is not None:
        if sender not in (Sender.CUSTOMER, Sender.AGENT):
            raise ChatError("file_invalid", _("Files can be sent to the customer or to us only."))
        name, content_type, sha256 = attachment_check(upload)
        text = name
    else:
        text = text_clean(text)
    author = author if getattr(author, "is_authenticated", False) else None
    posted, limited = None, None
    if upload is None and transaction.get_connection().vendor == "postgresql":
        posted, limited = _post_text_postgres(conversation, sender, author, client_id, text)
    if posted is None:
        with transaction.atomic():
            locked = _locked(conversation)
            # the caller's copy follows the row, so that its next message takes the one-statement path
            conversation.status, conversation.agent_id = locked.status, locked.agent_id
            conversation.user_id, conversation.next_seq = locked.user_id, locked.next_seq
            existing = Message.objects.filter(conversation=locked, sender=sender, client_id=client_id).first()
            if existing is not None:
                posted = Posted(existing, created=False)
            else:
                _sender_check(locked, sender=sender, author=author)
                _rate_check(locked, sender, limited)
                if upload is not None:
                    _attachment_count_check(locked)
                message = _append(
                    locked,
                    sender=sender,
                    author=author,
                    client_id=client_id,
                    text=text,
                    before_broadcast=(
                        partial(
                            _attachment_store,
                            upload=upload,
                            name=name,
                            content_type=content_type,
                            sha256=sha256,
                        )
                        if upload is not None
                        else None
                    ),
                )
                if sender == Sender.AGENT and locked.first_response_at is None:
                    locked.first_response_at = message.created_at
                    locked.save(update_fields=["first_response_at", "updated_at"])
                posted = Posted(message, created=True)
            posted.with_bot = locked.status == ConversationStatus.BOT
    has_file = upload is not None or (  # a new text message has no file: no query on the hot path
        not posted.created and ChatAttachment.objects.filter(message=posted.message).exists()
    )
    if answer_bot and posted.with_bot and posted.message.sender == Sender.CUSTOMER and not has_file:
        posted.reply = bot_reply(conversation=conversation, message=posted.message)
    return posted


MESSAGE_POST_SQL = "SELECT * FROM okpay_chat_message_post(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


def _post_text_postgres(
    conversation: Conversation, sender: str, author, client_id: str, text: str
) -> tuple[Posted | None, bool | None]:
    """A text message in one round trip (migration 0004): the rules are checked here on the caller's
    copy of the conversation, and the function writes only if the locked row still says the same
    (otherwise "stale": the locked Python path decides). Returns (None, limited) when that path must
    decide — `limited` is the rate-limit hit already counted, or None. The hit is counted before the
    statement, so a retry counts too (the limit is 20 messages per 10 s per side, a retry is rare)."""
    try:
        _sender_check(conversation, sender=sender, author=author)
    except DomainError:
        return None, None  # refused, or a retry of a message stored before the chat ended: decided there
    limited = _rate_limited(conversation, sender)
    now = timezone.now()
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            MESSAGE_POST_SQL,
            [
                conversation.pk,
                sender,
                author.pk if author is not None else None,
                client_id,
                text,
                conversation.status,
                conversation.agent_id,
                conversation.user_id,
                limited,
                sender == Sender.AGENT,
                now,
            ],
        )
        outcome, message_id, seq = cursor.fetchone()
    with_bot = conversation.status == ConversationStatus.BOT
    if outcome == "existing":
        existing = Message.objects.select_related("author").get(pk=message_id)
        return Posted(existing, created=False, with_bot=with_bot), limited
    if outcome == "limited":
        raise _rate_limited_error()
    if outcome != "created":  # stale or missing: the locked path re-reads the row and decides
        return None, limited
    message = Message(
        id=message_id,
        conversation=conversation,
        seq=seq,
        sender=sender,
        author=author,
        client_id=client_id,
        text=text,
        created_at=now,
    )
    message._state.adding, message._state.db = False, "default"
    conversation.next_seq = seq + 1
    if sender == Sender.AGENT and conversation.first_response_at is None:
        conversation.first_response_at = now
    _no_file(message)
    transaction.on_commit(partial(_broadcast_message, message_record(message)))
    return Posted(message, created=True, with_bot=with_bot), limited


def _no_file(message: Message) -> None:
    """Remember that a message just stored without a file has none (message_record asks)."""
    Message.attachment.related.set_cached_value(message, None)


def bot_reply(*, conversation: Conversation, message: Message) -> Message | None:
    """The bot's answer to a customer message, appended once (client_id "re:<seq>"). The bot runs
    outside any transaction (model, encoders, account actions); a second short transaction appends
    the answer — unless a person took over meanwhile (None)."""
    from okpay.bot.engine import answer, reply_language

    client_id = f"{BOT_REPLY_PREFIX}{message.seq}"
    conversation = Conversation.objects.select_related("user", "bot_conversation").get(pk=conversation.pk)
    stored = Message.objects.filter(conversation=conversation, sender=Sender.BOT, client_id=client_id).first()
    if stored is not None or conversation.status != ConversationStatus.BOT:
        return stored
    bot_conversation = conversation.bot_conversation
    user = conversation.user if conversation.user_id else None
    result = answer(message.text, reply_language(message.text, conversation.language), user, bot_conversation)
    with transaction.atomic():
        locked = _locked(conversation)
        if locked.status != ConversationStatus.BOT:
            return None
        stored = Message.objects.filter(conversation=locked, sender=Sender.BOT, client_id=client_id).first()
        if stored is not None:
            return stored
        if locked.bot_conversation_id is None and result.conversation_id:
            locked.bot_conversation_id = result.conversation_id
            locked.save(update_fields=["bot_conversation", "updated_at"])
        return _append(
            locked,
            sender=Sender.BOT,
            client_id=client_id,
            text=(result.reply or "")[:TEXT_MAX_LENGTH],
            intent=(result.intent or "")[:60],
            article_url=(result.article_url or "")[:300],
            article_title=(result.article_title or "")[:300],
            actions=result.actions or [],
            hand_off=bool(result.hand_off),
            data={"alternatives": result.alternatives} if result.alternatives else {},
        )


def messages_mark(*, conversation: Conversation, reader, up_to: int, read: bool = True) -> int:
    """The reader saw (read=False: received) the other side's messages up to seq `up_to`: the customer
    marks agent messages, staff mark customer messages. Returns how many changed; the other side hears
    of it (a receipt event)."""
    staff = roles.is_staff(reader) and not acts_as_customer(conversation, reader)
    if not staff and not acts_as_customer(conversation, reader):
        raise ChatForbidden("forbidden", _("This is not your chat."))
    senders = (Sender.CUSTOMER,) if staff else (Sender.AGENT,)
    now = timezone.now()
    if not read and transaction.get_connection().vendor == "postgresql":
        changed = _delivered_postgres(conversation.pk, senders[0], int(up_to), now)
    else:
        rows = Message.objects.filter(conversation=conversation, sender__in=senders, seq__lte=int(up_to))
        changed = rows.filter(delivered_at__isnull=True).update(delivered_at=now)
        if read:
            changed += rows.filter(read_at__isnull=True).update(read_at=now)
    if changed:
        _group_send(
            group_name(conversation.pk),
            {
                "type": "chat.receipt",
                "side": "staff" if staff else "customer",
                "seq": int(up_to),
                "read": read,
            },
        )
    return changed


DELIVERED_SQL = (
    "UPDATE chat_message SET delivered_at = %s"
    " WHERE conversation_id = %s AND sender = %s AND seq <= %s AND delivered_at IS NULL"
)


def _delivered_postgres(conversation_id, sender: str, up_to: int, now) -> int:
    """The delivered mark, which every live message gets (one per connection per 250 ms), as one
    statement without the ORM: its update cost as much server CPU as storing the message
    (py-spy under bench/chat.py). The same rows as the ORM path beside it."""
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(DELIVERED_SQL, [now, conversation_id, sender, up_to])
        return cursor.rowcount


# --- opening ----------------------------------------------------------------------------------------


def conversation_open(*, user=None, guest_key: str = "", language: str, transaction=None) -> Conversation:
    """The customer's open conversation, or a new one with the bot. A signed-in user is the owner;
    otherwise the guest key (from the guest's signed cookie). `transaction` (a wallet Transaction) is
    attached only if it is the user's own."""
    from django.db import transaction as db

    user = user if getattr(user, "is_authenticated", False) else None
    if user is None and not (isinstance(guest_key, str) and KEY_PATTERN.match(guest_key)):
        raise ChatForbidden("not_identified", _("Sign in or allow cookies to start a chat."))
    language = i18n.normalise(language)
    if transaction is not None and (user is None or transaction.user_id != user.pk):
        transaction = None
    for attempt in range(2):
        try:
            with db.atomic():
                existing = conversation_open_for(user=user, guest_key="" if user else guest_key)
                if existing is not None:
                    existing = _locked(existing)
                    fields: list[str] = []
                    if existing.status == ConversationStatus.BOT and existing.language != language:
                        existing.language, fields = language, [*fields, "language"]
                    if transaction is not None and existing.transaction_id is None:
                        existing.transaction, fields = transaction, [*fields, "transaction"]
                    if fields:
                        existing.save(update_fields=[*fields, "updated_at"])
                    return existing
                return Conversation.objects.create(
                    user=user,
                    guest_key="" if user else guest_key,
                    language=language,
                    transaction=transaction,
                    bot_conversation=BotConversation.objects.create(user=user, channel="chat"),
                )
        except IntegrityError:  # another request opened it at the same moment: take that one
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def conversation_claim(*, user, guest_key: str) -> Conversation | None:
    """On sign-in: the guest's open conversation becomes the user's (unless they already have an open
    one, which wins)."""
    if not getattr(user, "is_authenticated", False) or not guest_key:
        return None
    guest = conversation_open_for(guest_key=guest_key)
    if guest is None or conversation_open_for(user=user) is not None:
        return None
    guest = _locked(guest)
    guest.user = user
    guest.save(update_fields=["user", "updated_at"])
    if guest.bot_conversation_id:
        BotConversation.objects.filter(pk=guest.bot_conversation_id, user__isnull=True).update(user=user)
    audit_event_record(action="chat.claimed", actor=user, data={"conversation": str(guest.pk)})
    return guest


# --- hand-off, queue and routing ----------------------------------------------------------------------


@dataclass
class Handoff:
    status: str
    queue_position: int | None = None
    estimated_wait_seconds: int | None = None
    ticket: str | None = None
    agent_name: str | None = None


def _handoff_result(conversation: Conversation) -> Handoff:
    conversation = Conversation.objects.select_related("agent", "ticket").get(pk=conversation.pk)
    result = Handoff(status=conversation.status)
    if conversation.status == ConversationStatus.QUEUED:
        result.queue_position = routing.queue_position(conversation)
        result.estimated_wait_seconds = routing.wait_estimate(
            position=result.queue_position, language=conversation.language, group=conversation.group
        )
    elif conversation.status == ConversationStatus.ACTIVE:
        result.agent_name = author_name(conversation.agent)
    elif conversation.ticket is not None:
        result.ticket = conversation.ticket.number
    return result


def handoff(*, conversation: Conversation, actor, email: str = "") -> Handoff:
    """ "Talk to a person". In the chat channel's service hours, when someone who serves the
    conversation's language and group (from the bot's intents) could take it within
    OKPAY_CHAT_MAX_WAIT_SECONDS: it waits in its group's queue (urgent first, then first come) and the
    dispatcher gives it to the least-loaded free agent at once if there is one. Otherwise it becomes a
    question (channel "chat") with the whole transcript — a guest must give an email address for the
    answer (ChatError "email_required" until they do). Asking again while waiting, in a chat or after
    the conversion answers the current state."""
    with transaction.atomic():
        locked = _locked(conversation)
        if locked.status != ConversationStatus.BOT:
            if locked.status in (
                ConversationStatus.QUEUED,
                ConversationStatus.ACTIVE,
                ConversationStatus.TICKET,
            ):
                return _handoff_result(locked)
            conversation_transition_check(conversation=locked, to=ConversationStatus.QUEUED, actor=actor)
        intent, group, priority = routing.classify(locked)
        wait = None
        if routing.in_service_hours():
            position = routing.position_if_queued(group=group, priority=priority)
            wait = routing.wait_estimate(position=position, language=locked.language, group=group)
        if wait is not None and wait <= settings.OKPAY_CHAT_MAX_WAIT_SECONDS:
            conversation_transition(
                conversation=locked,
                to=ConversationStatus.QUEUED,
                actor=actor,
                group=group,
                priority=priority,
                intent=intent,
                event=SystemEvent.QUEUED,
                audit_action="chat.handed_off",
            )
            if locked.bot_conversation_id:
                BotConversation.objects.filter(pk=locked.bot_conversation_id).update(handed_off=True)
        else:
            _convert(locked, actor=actor, email=email, group=group, intent=intent)
            return _handoff_result(locked)
    queue_dispatch(group=group)
    return _handoff_result(locked)


def _transcript(conversation: Conversation) -> str:
    """The public conversation as plain text in the customer's language (the question's first message)."""
    language = i18n.normalise(conversation.language)
    lines = []
    with translation.override(language):
        names = {Sender.CUSTOMER: str(_("Customer")), Sender.BOT: str(_("Answer bot"))}
        for message in messages_for_transcript(conversation):
            when = timezone.localtime(message.created_at, routing.CHINA).strftime("%H:%M")
            if message.sender == Sender.SYSTEM:
                lines.append(f"{when} — {system_text(message.event, message.data, language)}")
            else:
                who = author_name(message.author) if message.sender == Sender.AGENT else names[message.sender]
                text = message.text
                if getattr(message, "file_id", None):
                    text = str(_("(file: %(name)s)") % {"name": message.text})
                lines.append(f"{when} {who}: {text}")
    return "\n".join(lines) or str(_("(no messages)"))


def _files_for_question(conversation: Conversation) -> list:
    """The chat's files, to go along with the question it becomes (copied: the chat keeps its own)."""
    files = []
    for attachment in ChatAttachment.objects.filter(message__conversation=conversation).order_by(
        "message__seq"
    ):
        with attachment.file.open("rb") as handle:
            copy = ContentFile(handle.read(), name=attachment.original_name)
        copy.okpay_content_type = attachment.content_type  # type: ignore[attr-defined]
        files.append(copy)
    return files


def messages_for_transcript(conversation: Conversation):
    return (
        Message.objects.filter(conversation=conversation)
        .exclude(sender=Sender.NOTE)
        .select_related("author")
        .annotate(file_id=F("attachment__id"))
        .order_by("seq")
    )


def _convert(conversation: Conversation, *, actor, email: str, group: str, intent: str | None = None):
    """The conversation becomes a question (tickets, channel "chat") with the transcript; the move is
    checked first, so a refusal changes nothing."""
    from okpay.tickets.actions import ticket_create

    conversation_transition_check(conversation=conversation, to=ConversationStatus.TICKET, actor=actor)
    owner = conversation.user
    if owner is None:
        email = (email or "").strip()
        try:
            if not email or len(email) > 254:
                raise ValidationError("missing")
            validate_email(email)
        except ValidationError:
            raise ChatError(
                "email_required",
                _("Nobody can take the chat now. Leave your email address and we will answer there."),
            ) from None
    first = Message.objects.filter(conversation=conversation, sender=Sender.CUSTOMER).order_by("seq").first()
    with translation.override(i18n.normalise(conversation.language)):
        subject = (first.text.splitlines()[0][:120] if first else "") or str(_("Live chat"))
    ticket = ticket_create(
        requester=owner,
        email=owner.email if owner else email,
        language=conversation.language,
        topic=TicketTopic.ACCOUNT if group == ChatGroup.SECURITY else TicketTopic.OTHER,
        subject=subject,
        body=_transcript(conversation),
        files=_files_for_question(conversation),
        channel=TicketChannel.CHAT,
        bot_conversation=conversation.bot_conversation,
        transaction=conversation.transaction,
    )
    return conversation_transition(
        conversation=conversation,
        to=ConversationStatus.TICKET,
        actor=actor,
        group=group,
        intent=intent,
        ticket=ticket,
        event=SystemEvent.TICKET,
        data={"number": ticket.number},
        audit_action="chat.converted",
    )


def conversation_convert(*, conversation: Conversation, actor, email: str = "") -> Conversation:
    """Staff turn a waiting or running chat into a question (a guest's needs an email address)."""
    with transaction.atomic():
        locked = _locked(conversation)
        was_active = locked.status == ConversationStatus.ACTIVE
        locked = _convert(locked, actor=actor, email=email, group=locked.group)
    if was_active:
        queue_dispatch()  # the freed slot may serve any group
    return locked


def queue_dispatch(*, group: str | None = None) -> list[Conversation]:
    """Give waiting conversations (urgent first, then first come; of `group` or all) to the online
    agents who serve their language and group and have a free slot, the least loaded first (round
    robin among equals). One transaction; agents' presence rows are locked (in one order) so two
    dispatchers never overfill an agent, and conversations another transaction holds are skipped."""
    assigned = []
    with transaction.atomic():
        presences = routing.online_presences(lock=True)
        if not presences:
            return []
        loads = routing.agent_loads()
        rows = list(routing.queued(group).select_for_update(skip_locked=True, of=("self",))[:50])
        now = timezone.now()
        for row in rows:
            presence = routing.least_loaded(
                routing.serving(presences, language=row.language, group=row.group), loads
            )
            if presence is None:
                continue
            assigned.append(
                conversation_transition(
                    conversation=row,
                    to=ConversationStatus.ACTIVE,
                    actor=SYSTEM,
                    agent=presence.user,
                    event=SystemEvent.AGENT_JOINED,
                    data={"name": author_name(presence.user)},
                    audit_action="chat.routed",
                )
            )
            loads[presence.user_id] = loads.get(presence.user_id, 0) + 1
            presence.last_routed_at = now
            presence.save(update_fields=["last_routed_at", "updated_at"])
    return assigned


def agent_accept(*, conversation: Conversation, actor) -> Conversation:
    """An agent picks a waiting conversation from the queue (any waiting one: capacity limits only
    what the dispatcher routes)."""
    if not roles.is_staff(actor):
        raise ChatForbidden("forbidden", _("Only support staff take chats."))
    with transaction.atomic():
        locked = _locked(conversation)
        if locked.status != ConversationStatus.QUEUED:
            raise ChatConflict("not_waiting", _("This chat is no longer waiting; someone took it."))
        return conversation_transition(
            conversation=locked,
            to=ConversationStatus.ACTIVE,
            actor=actor,
            agent=actor,
            event=SystemEvent.AGENT_JOINED,
            data={"name": author_name(actor)},
            audit_action="chat.accepted",
        )


def agent_transfer(
    *, conversation: Conversation, actor, to_group: str | None = None, to_agent=None
) -> Conversation:
    """Pass a chat on with its whole history: to a group (it waits in that group's queue, in its
    original place in time) or to an online agent with a free slot. The chat's agent or a
    supervisor may; a supervisor may also assign a waiting chat to an agent."""
    if (to_group is None) == (to_agent is None):
        raise ChatError("transfer_target", _("Choose either a group or an agent."))
    if to_group is not None and to_group not in ChatGroup.values:
        raise ChatError("transfer_target", _("Choose one of the groups."))
    with transaction.atomic():
        locked = _locked(conversation)
        target = ConversationStatus.QUEUED if to_group is not None else ConversationStatus.ACTIVE
        conversation_transition_check(conversation=locked, to=target, actor=actor)
        if to_group is not None:
            conversation_transition(
                conversation=locked,
                to=ConversationStatus.QUEUED,
                actor=actor,
                group=to_group,
                event=SystemEvent.TRANSFERRED_GROUP,
                data={"group": to_group},
                audit_action="chat.transferred",
            )
            target_group = to_group
        else:
            if locked.status == ConversationStatus.QUEUED and not roles.is_supervisor(actor):
                raise ChatForbidden(
                    "forbidden", _("Only a supervisor can assign a waiting chat.")
                )  # agents accept
            if locked.agent_id == getattr(to_agent, "pk", None):
                raise ChatConflict("same_agent", _("This agent already has the chat."))
            presence = AgentPresence.objects.select_for_update().filter(user=to_agent).first()
            loads = routing.agent_loads()
            if (
                presence is None
                or not roles.is_staff(to_agent)
                or presence.availability != Availability.ONLINE
                or loads.get(to_agent.pk, 0) >= presence.capacity
            ):
                raise ChatConflict("agent_unavailable", _("That agent is not online or has no free slot."))
            conversation_transition(
                conversation=locked,
                to=ConversationStatus.ACTIVE,
                actor=actor,
                agent=to_agent,
                event=SystemEvent.TRANSFERRED_AGENT,
                data={"name": author_name(to_agent)},
                audit_action="chat.transferred",
            )
            target_group = None
    if target_group is not None:
        queue_dispatch()  # the new group's agents, and the slot this agent freed
    return Conversation.objects.get(pk=locked.pk)


def conversation_close(*, conversation: Conversation, actor) -> Conversation:
    """End the chat: the customer (with the bot, while waiting — that is leaving the queue, recorded
    as abandoned — or with a person), its agent or a supervisor. A freed agent slot is offered to
    the queue at once."""
    with transaction.atomic():
        locked = _locked(conversation)
        was_active = locked.status == ConversationStatus.ACTIVE
        if locked.status == ConversationStatus.QUEUED:
            locked = conversation_transition(
                conversation=locked,
                to=ConversationStatus.ABANDONED,
                actor=actor,
                event=SystemEvent.ABANDONED,
                audit_action="chat.abandoned",
            )
        else:
            locked = conversation_transition(
                conversation=locked,
                to=ConversationStatus.CLOSED,
                actor=actor,
                event=SystemEvent.CLOSED,
                audit_action="chat.closed",
            )
    if was_active:
        queue_dispatch()  # the freed slot may serve any group
    return locked


@transaction.atomic
def conversation_rate(*, conversation: Conversation, actor, score: int, comment: str = "") -> Conversation:
    """The customer rates an ended chat, once: 1–5 (the questions' CSAT scale) and an optional comment."""
    locked = _locked(conversation)
    if not acts_as_customer(locked, actor):
        raise ChatForbidden("forbidden", _("Only the customer can rate this chat."))
    if locked.status != ConversationStatus.CLOSED:
        raise ChatConflict("not_closed", _("You can rate the chat once it has ended."))
    if locked.accepted_at is None:
        raise ChatConflict("no_agent", _("Only chats with a person from our team can be rated."))
    if locked.rating is not None:
        raise ChatConflict("already_rated", _("You have already rated this chat. Thank you!"))
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ChatError("invalid_score", _("Choose a rating from 1 to 5."))
    comment = comment or ""
    if not isinstance(comment, str) or FORBIDDEN_TEXT.search(comment) or len(comment.strip()) > 1000:
        raise ChatError("invalid_comment", _("The comment can be at most 1,000 characters of text."))
    locked.rating, locked.rating_comment, locked.rated_at = score, comment.strip(), timezone.now()
    locked.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    audit_event_record(
        action="chat.rated",
        actor=actor,
        subject_user=locked.user,
        data={"conversation": str(locked.pk), "score": score, "agent": locked.agent_id},
    )
    return locked


# --- "email me this transcript" ---------------------------------------------------------------------

TRANSCRIPT_SALT = "okpay.chat.transcript"


def transcript_token(conversation: Conversation) -> str:
    return signing.dumps(str(conversation.pk), salt=TRANSCRIPT_SALT, compress=True)


def transcript_from_token(token: str) -> Conversation | None:
    """The conversation a transcript link names, while the link is valid (OKPAY_CHAT_TRANSCRIPT_LINK_DAYS)."""
    max_age = timedelta(days=settings.OKPAY_CHAT_TRANSCRIPT_LINK_DAYS)
    try:
        pk = signing.loads(token, salt=TRANSCRIPT_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return Conversation.objects.filter(pk=pk).first() if isinstance(pk, str) else None


@dataclass
class TranscriptSent:
    kind: str  # "transcript": the messages themselves; "link": a link to read them on the site
    to: str


def transcript_email(*, conversation: Conversation, actor, email: str = "") -> TranscriptSent:
    """The customer asks for the chat by email. To a signed-in customer's verified address the email
    carries the messages; to any other address (a guest's, or an account whose address is not yet
    verified) it carries only a link to read them here, valid for OKPAY_CHAT_TRANSCRIPT_LINK_DAYS — we
    never send visitor-written text to an address nobody has confirmed. Limited per conversation
    ("chat_transcript_per_conversation") and, for links, per address ("receipt_per_address_hour")."""
    from okpay.core.mail import email_send

    if not acts_as_customer(conversation, actor):
        raise ChatForbidden("forbidden", _("This is not your chat."))
    if not Message.objects.filter(conversation=conversation).exclude(sender=Sender.NOTE).exists():
        raise ChatError("transcript_empty", _("There is nothing in this chat to send yet."))
    user = conversation.user
    if user is not None and user.is_email_verified:
        kind, address = "transcript", user.email
    else:
        kind, address = "link", (email or (user.email if user is not None else "")).strip()
        try:
            if not address or len(address) > 254:
                raise ValidationError("missing")
            validate_email(address)
        except ValidationError:
            raise ChatError("email_required", _("Enter a valid email address.")) from None
    if rate_limited("chat_transcript_per_conversation", str(conversation.pk)) or (
        kind == "link" and rate_limited("receipt_per_address_hour", f"chat:{address.lower()}")
    ):
        raise ChatRateLimited(
            "rate_limited", _("We have already sent this chat several times. Please try again later.")
        )
    language = i18n.normalise(conversation.language)
    context: dict = {"conversation": conversation}
    if kind == "transcript":
        context["rows"] = transcript_rows(conversation, language=language)
    else:
        context["transcript_url"] = settings.SITE_URL + reverse(
            "chat:transcript", args=[transcript_token(conversation)]
        )
        context["days"] = settings.OKPAY_CHAT_TRANSCRIPT_LINK_DAYS
    email_send(
        to=address,
        template=f"chat/email/{'transcript' if kind == 'transcript' else 'transcript_link'}",
        context=context,
        language=user.language if user is not None else language,
        time_zone=user.time_zone if user is not None else None,
    )
    audit_event_record(
        action="chat.transcript_sent",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        subject_user=user,
        data={"conversation": str(conversation.pk), "kind": kind},
    )
    return TranscriptSent(kind=kind, to=address)


def transcript_rows(conversation: Conversation, *, language: str) -> list[dict]:
    """The public messages for a reader: when, who, text (a file as its name), in `language`."""
    rows = []
    with translation.override(language):
        names = {Sender.CUSTOMER: str(_("You")), Sender.BOT: str(_("OKPay answer bot"))}
        for message in messages_for_transcript(conversation):
            if message.sender == Sender.SYSTEM:
                who, text = "", system_text(message.event, message.data, language)
            else:
                who = author_name(message.author) if message.sender == Sender.AGENT else names[message.sender]
                text = message.text
            rows.append(
                {
                    "created_at": message.created_at,
                    "sender": message.sender,
                    "who": who,
                    "text": text,
                    "file": bool(getattr(message, "file_id", None)),
                }
            )
    return rows


# --- agents -----------------------------------------------------------------------------------------


def presence_set(
    *,
    agent,
    availability: str,
    capacity: int | None = None,
    languages: list[str] | None = None,
    groups: list[str] | None = None,
) -> AgentPresence:
    """An agent sets their availability (and optionally capacity, languages, groups). Going online or
    raising the capacity offers them the queue at once."""
    if not roles.is_staff(agent):
        raise ChatForbidden("forbidden", _("Only support staff take chats."))
    if availability not in Availability.values:
        raise ChatError("invalid_availability", _("Choose online, away or offline."))
    maximum = settings.OKPAY_CHAT_MAX_CAPACITY
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= maximum
    ):
        raise ChatError("invalid_capacity", _("Capacity is from 1 to %(max)s chats."), max=maximum)
    if languages is not None:
        if not languages or any(not isinstance(code, str) or code not in i18n.CODES for code in languages):
            raise ChatError("invalid_languages", _("Choose at least one of the product's languages."))
        languages = [code for code in i18n.CODES if code in languages]
    if groups is not None:
        if any(not isinstance(group, str) or group not in ChatGroup.values for group in groups):
            raise ChatError("invalid_groups", _("Choose groups from the list (none for every group)."))
        groups = [group for group in ChatGroup.values if group in groups]
    with transaction.atomic():
        presence, _created = AgentPresence.objects.select_for_update().get_or_create(
            user=agent, defaults={"languages": [i18n.normalise(agent.language)], "groups": []}
        )
        previous = presence.availability
        presence.availability = availability
        if capacity is not None:
            presence.capacity = capacity
        if languages is not None:
            presence.languages = languages
        if groups is not None:
            presence.groups = groups
        presence.save()
        audit_event_record(
            action="chat.presence_set",
            actor=agent,
            data={
                "from": previous,
                "to": availability,
                "capacity": presence.capacity,
                "languages": presence.languages,
                "groups": presence.groups,
            },
        )
        for group in ChatGroup.values:
            _after_commit(_broadcast_queue, group)  # estimates change with the agents on duty
    if availability == Availability.ONLINE:
        queue_dispatch()
    return presence
