"""The live-chat websocket, `ws/chat/` (protocol: docs/chat.md). One connection follows one
conversation at a time: `hello {conversation, last_seq}` replays every message after last_seq and
then delivers new ones live, in seq order, each once. The consumer only calls the actions (in a
thread, `database_sync_to_async`) and relays the broadcasts that the actions send after their
commits; a broadcast it missed (a gap in the seqs) is read back from the database.

Who: the signed-in session (core.sockets.socket_auth_stack in config/asgi.py; a session still owing
its two-factor code counts as nobody) or the guest's signed chat cookie. Staff may follow any
conversation (and `inbox` for queue changes); a customer only their own — any other id closes the
connection (4404) and changes nothing."""

import asyncio
import json
import logging
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import i18n
from okpay.core.errors import DomainError
from okpay.core.ratelimit import rate_limit_policy
from okpay.core.sockets import database_sync_to_async

from . import actions, selectors
from .choices import ConversationStatus, Sender
from .guests import guest_key_from_cookies
from .presenters import conversation_data, message_data, message_view

logger = logging.getLogger(__name__)

MAX_FRAME_CHARS = 16_000  # a 2,000-character message, escaped, fits many times over
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_FAST = 4429
RECEIPT_DELAY_SECONDS = 0.25


def _two_factor_ok(user, session) -> bool:
    """A session that has not yet passed the account's second factor is not signed in here either
    (the HTTP side sends it to the verify page)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    from okpay.accounts.actions import staff_two_factor_required

    device_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(device_id) if device_id else None
    if device is not None and getattr(device, "user_id", None) == user.pk:
        return True
    has_device = user.totpdevice_set.filter(confirmed=True).exists()
    return not (has_device or staff_two_factor_required(user))


@database_sync_to_async
def _identify(scope):
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        if not user.is_active or not _two_factor_ok(user, scope.get("session")):
            user = None
    else:
        user = None
    return user, guest_key_from_cookies(scope.get("cookies"))


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every frame and event: that
        is a hop to the one shared sync thread per message (measured: 8% of the event loop's time and a
        queue behind every other connection's hop). This consumer's database work runs on the pool
        threads, which check their own connections (core.sockets.SocketDatabaseWork)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.user, self.guest_key = await _identify(self.scope)
        self.conversation = None
        self.group = None
        self.for_customer = True
        self.language = i18n.default()
        self.last_seq = 0
        self.frames: deque[float] = deque()
        self.in_inbox = False
        self.delivered_up_to = 0
        self.receipt_task: asyncio.Task | None = None
        if self.user is None and not self.guest_key:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "receipt_task", None) is not None:
            self.receipt_task.cancel()
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "in_inbox", False):
            await self.channel_layer.group_discard(actions.STAFF_GROUP, self.channel_name)

    # --- frames in ------------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self._error("bad_frame", _("Frames are JSON text of at most 16,000 characters."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("bad_frame", _("Frames are JSON text of at most 16,000 characters."))
            return
        if not isinstance(content, dict):
            await self._error("bad_frame", _("Frames are JSON objects with a type."))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if self._too_fast():
            if len(self.frames) > 3 * rate_limit_policy("chat_frame_per_connection")[0]:
                await self.close(code=CLOSE_TOO_FAST)
                return
            await self._error(
                "rate_limited",
                _("You are sending too fast. Wait a few seconds and try again."),
                client_id=content.get("client_id") if content.get("type") == "message" else None,
            )
            return
        handler = {
            "hello": self._hello,
            "message": self._message,
            "typing": self._typing,
            "read": self._read,
            "inbox": self._inbox,
        }.get(content.get("type"))
        if handler is None:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        if handler not in (self._hello, self._inbox) and self.conversation is None:
            await self._error("hello_first", _("Say hello with a conversation first."))
            return
        await handler(content)

    def _too_fast(self) -> bool:
        """Frames of any kind per connection (OKPAY_RATE_LIMITS "chat_frame_per_connection", counted in
        this process: a connection lives in one). Over it a frame is refused with an error frame; at
        three times the limit the connection is closed (4429)."""
        limit, window = rate_limit_policy("chat_frame_per_connection")
        now = time.monotonic()
        while self.frames and self.frames[0] <= now - window:
            self.frames.popleft()
        self.frames.append(now)
        return len(self.frames) > limit

    # --- hello: follow a conversation --------------------------------------------------------------

    async def _hello(self, content):
        after = content.get("last_seq", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self._error("bad_frame", _("last_seq is a whole number, 0 or more."))
            return
        conversation, for_customer = await self._find(content.get("conversation"))
        if conversation is None:
            await self._error("not_found", _("No such chat."))
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.receipt_task is not None:  # receipts of the conversation followed before
            self.receipt_task.cancel()
        self.delivered_up_to = 0
        self.conversation, self.for_customer = conversation, for_customer
        self.language = conversation.language if for_customer else i18n.normalise(self.user.language)
        self.group = actions.group_name(conversation.pk)
        self.last_seq = after
        # join first, then read: whatever commits in between arrives as an event and is deduplicated
        await self.channel_layer.group_add(self.group, self.channel_name)
        snapshot = await self._conversation_view()
        await self.send_json({"type": "hello", "conversation": snapshot})
        await self._catch_up(floor=snapshot["last_seq"])

    @database_sync_to_async
    def _find(self, conversation_id):
        conversation = selectors.conversation_for_customer(
            user=self.user, guest_key="" if self.user else self.guest_key, conversation_id=conversation_id
        )
        if conversation is not None:
            return conversation, True
        if roles.is_staff(self.user):
            return selectors.conversation_for_staff(user=self.user, conversation_id=conversation_id), False
        return None, True

    @database_sync_to_async
    def _conversation_view(self) -> dict:
        self.conversation.refresh_from_db()
        return conversation_data(self.conversation, for_customer=self.for_customer)

    @database_sync_to_async
    def _messages_after(self, after: int):
        rows = selectors.messages_after(
            conversation=self.conversation, after=after, for_customer=self.for_customer
        )
        return rows, [message_data(m, language=self.language, for_customer=self.for_customer) for m in rows]

    async def _catch_up(self, floor: int = 0):
        """Send every message after last_seq from the database, in order. `floor`: a last seq read
        before the messages, so notes a customer does not see still count as seen."""
        delivered_other = 0
        while True:
            rows, views = await self._messages_after(self.last_seq)
            for row, view in zip(rows, views, strict=True):
                await self.send_json({"type": "message", "message": view})
                self.last_seq = row.seq
                if self._from_other_side(row.sender):
                    delivered_other = row.seq
            if len(rows) < selectors.MESSAGES_PAGE:
                break
        self.last_seq = max(self.last_seq, floor)
        if delivered_other:
            await self._mark(delivered_other, read=False)

    def _from_other_side(self, sender: str) -> bool:
        return sender == (Sender.AGENT if self.for_customer else Sender.CUSTOMER)

    # --- message -------------------------------------------------------------------------------------

    async def _message(self, content):
        client_id, text = content.get("client_id"), content.get("text")
        if self.for_customer:
            sender = Sender.CUSTOMER
        else:
            sender = Sender.NOTE if content.get("note") is True else Sender.AGENT
        try:
            posted = await self._post(sender, client_id, text)
        except DomainError as error:
            await self._error(error.code, error.message, error=error, client_id=client_id)
            return
        await self.send_json(
            {
                "type": "ack",
                "client_id": posted.message.client_id,
                "seq": posted.message.seq,
                "duplicate": not posted.created,
            }
        )
        if sender == Sender.CUSTOMER and posted.with_bot:  # with a person: no bot, no thread hop
            await self._bot_reply(posted.message)  # appended and broadcast: arrives as a message

    @database_sync_to_async
    def _post(self, sender, client_id, text):
        return actions.message_post(
            conversation=self.conversation,
            sender=sender,
            author=self.user,
            client_id=client_id,
            text=text,
            answer_bot=False,
        )

    @database_sync_to_async
    def _bot_reply(self, message):
        try:
            return actions.bot_reply(conversation=self.conversation, message=message)
        except Exception:  # the customer's message is stored; the bot's silence must not close the socket
            logger.exception("chat bot reply failed")
            return None

    # --- typing, read, inbox ------------------------------------------------------------------------

    def _side(self) -> str:
        return "customer" if self.for_customer else "staff"

    async def _typing(self, content):
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.typing", "side": self._side(), "typing": content.get("typing") is not False},
        )

    async def _read(self, content):
        seq = content.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            await self._error("bad_frame", _("seq is a whole number, 0 or more."))
            return
        await self._mark(seq, read=True)

    @database_sync_to_async
    def _mark_sync(self, seq: int, read: bool) -> int:
        return actions.messages_mark(
            conversation=self.conversation, reader=self.user, up_to=min(seq, self.last_seq), read=read
        )

    async def _mark(self, seq: int, *, read: bool) -> None:
        try:
            await self._mark_sync(seq, read)
        except DomainError as error:
            await self._error(error.code, error.message, error=error)

    async def _inbox(self, content):
        if not roles.is_staff(self.user):
            await self._error("forbidden", _("Only support staff can do this."))
            return
        if not self.in_inbox:
            await self.channel_layer.group_add(actions.STAFF_GROUP, self.channel_name)
            self.in_inbox = True
        await self.send_json({"type": "inbox", "subscribed": True})

    # --- events from the channel layer ---------------------------------------------------------------

    async def chat_message(self, event):
        record = event["record"]
        if self.conversation is None or record["conversation"] != str(self.conversation.pk):
            return
        seq = record["seq"]
        if seq <= self.last_seq:
            return  # already sent (replayed, or read back after a gap)
        if seq > self.last_seq + 1:
            await self._catch_up()  # a notification went missing: the database has everything
            return
        self.last_seq = seq
        view = message_view(record, language=self.language, for_customer=self.for_customer)
        if view is not None:
            await self.send_json({"type": "message", "message": view})
            if self._from_other_side(record["sender"]):
                self._delivered_soon(seq)

    def _delivered_soon(self, seq: int) -> None:
        """A delivered receipt for live messages, at most one per RECEIPT_DELAY_SECONDS per
        connection (up to the highest seq delivered): a busy chat costs one receipt write per quarter
        second, not one per message."""
        self.delivered_up_to = max(self.delivered_up_to, seq)
        if self.receipt_task is None or self.receipt_task.done():
            self.receipt_task = asyncio.ensure_future(self._deliver_receipts())

    async def _deliver_receipts(self) -> None:
        marked = 0
        while self.delivered_up_to > marked:
            await asyncio.sleep(RECEIPT_DELAY_SECONDS)
            marked = self.delivered_up_to
            await self._mark(marked, read=False)

    async def chat_status(self, event):
        if self.conversation is not None:
            self.conversation.status = event["status"]
        await self.send_json(
            {
                "type": "status",
                "status": event["status"],
                "agent_name": event["agent_name"],
                "ticket": event["ticket"],
            }
        )

    async def chat_queue(self, event):
        conversation = self.conversation
        if (
            self.for_customer
            and conversation is not None
            and conversation.status == ConversationStatus.QUEUED
        ):
            await self.send_json(
                {
                    "type": "queue",
                    "queue_position": event["queue_position"],
                    "estimated_wait_seconds": event["estimated_wait_seconds"],
                }
            )

    async def chat_typing(self, event):
        if event["side"] != self._side():
            await self.send_json({"type": "typing", "side": event["side"], "typing": event["typing"]})

    async def chat_receipt(self, event):
        if event["side"] != self._side():
            await self.send_json(
                {"type": "receipt", "side": event["side"], "seq": event["seq"], "read": event["read"]}
            )

    async def chat_inbox(self, event):
        if self.in_inbox:
            await self.send_json({"type": "inbox", "group": event["group"]})

    # --- errors -----------------------------------------------------------------------------------------

    async def _error(self, code: str, message, *, error: DomainError | None = None, client_id=None):
        with translation.override(self.language):
            frame = {"type": "error", "code": code, "message": str(error.message if error else message)}
        if client_id is not None:
            frame["client_id"] = client_id
        await self.send_json(frame)
