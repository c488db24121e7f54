"""Refused chat operations: `okpay.core.errors.DomainError`s with a stable code and a translated
message. The API answers {"error": {"code", "message"}} with `status`; the websocket sends
{"type": "error", "code", "message"}; nothing was changed."""

from okpay.core.errors import Conflict, DomainError, PermissionDenied, RateLimited


class ChatError(DomainError):
    """A message or request the chat does not take (bad text, bad client id): 422 unless said."""

    status = 422


class ChatConflict(ChatError, Conflict):
    """The conversation's state does not allow this (it ended, it is not waiting …)."""

    status = 409


class ChatTransitionRefused(ChatConflict):
    """The move is not in `choices.CONVERSATION_TRANSITIONS` (e.g. closed → active)."""


class ChatForbidden(ChatError, PermissionDenied):
    """The move or message exists, but not for this actor (e.g. an agent closing another's chat)."""

    status = 403


class ChatRateLimited(ChatError, RateLimited):
    status = 429
