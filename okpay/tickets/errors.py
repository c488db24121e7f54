"""Refused changes to a question: `okpay.core.errors.DomainError`s with a stable code and a translated
message. Web pages show the message; the API answers {"error": {"code", "message"}} with `status`."""

from okpay.core.errors import Conflict, DomainError, PermissionDenied


class TicketError(DomainError):
    """A change the question's state does not allow (409 unless said otherwise); nothing changed."""

    status = 409


class TicketTransitionRefused(TicketError, Conflict):
    """The move is not in `choices.TICKET_TRANSITIONS` (e.g. closed → new)."""


class TicketTransitionForbidden(TicketError, PermissionDenied):
    """The move exists, but not for this actor (e.g. an agent reopening a closed question)."""

    status = 403


class TicketMergeRefused(TicketError):
    """A merge the questions do not allow (merge.ticket_merge_check): itself, merged or closed ones,
    different customers."""


class TicketMergeForbidden(TicketError, PermissionDenied):
    """Only staff merge questions."""

    status = 403
