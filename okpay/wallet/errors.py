"""Refused money operations: `okpay.core.errors.DomainError`s with a stable code and a translated
message. Web pages show the message; the API answers {"error": {"code", "message"}} with `status`."""

from django.utils.translation import gettext_lazy as _

from okpay.core.errors import Conflict, DomainError, PermissionDenied


class WalletError(DomainError):
    """A refused money operation: a stable code and a translated message. Nothing has moved.
    The HTTP status follows the code (`STATUS_BY_CODE`, 400 otherwise) unless one is given."""

    STATUS_BY_CODE = {
        "insufficient_funds": 422,
        "unsupported_country": 422,
        "invalid_recipient_account": 422,
        "recipient_name_required": 422,
        "not_found": 404,
        "quote_not_found": 404,
        "forbidden": 403,
        "cannot_cancel": 409,
        "not_under_review": 409,
    }

    def __init__(self, code: str, message, *, status: int | None = None, **params):
        super().__init__(code, message, status=status or self.STATUS_BY_CODE.get(code), **params)


class TransferTransitionRefused(WalletError, Conflict):
    """The move is not in `choices.TRANSFER_TRANSITIONS` (e.g. paid → canceled), or its deadline
    has passed."""

    status = 409


class TransferTransitionForbidden(WalletError, PermissionDenied):
    """The move exists, but not for this actor (e.g. an agent deciding a compliance review)."""

    status = 403


def insufficient_funds():
    return WalletError("insufficient_funds", _("Your available balance is not enough for this payment."))
