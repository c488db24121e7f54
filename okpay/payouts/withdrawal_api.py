"""Withdrawals API (资金转出): quote, submit, list, one, cancel. Amounts are decimal strings in major
units ("12.34"); `amount` is what arrives at the destination and the fee is added on top. Submitting
needs an `Idempotency-Key` header: the same key and body answer the same withdrawal, the same key with
another body is refused (409). Changes need a token with write scope (or the site session with its
CSRF token); only wallet customers withdraw; another customer's withdrawal is 404. A refusal is a
DomainError: the API answers its code, message and status."""

from datetime import UTC, datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from okpay.core.api import ApiError
from okpay.core.money import to_major
from okpay.wallet.money import parse_amount, supported_currency

from .api import DestinationOut, _customer
from .api import _out as destination_out
from .choices import Speed, WithdrawalStatus
from .errors import PayoutError
from .models import Withdrawal
from .selectors import MAX_ID
from .withdrawal_selectors import withdrawal_for, withdrawal_preview, withdrawals_for
from .withdrawals import WithdrawalQuote, withdrawal_cancel, withdrawal_submit

router = Router(tags=["payouts"])

MONEY = 'a decimal string in major units, e.g. "12.34"'


class WithdrawalIn(Schema):
    amount: str = Field(
        ..., max_length=30, description=f"what arrives at the destination ({MONEY}); the fee is on top"
    )
    currency: str = Field(..., max_length=3, description="the balance's currency, e.g. CNY")
    destination_id: int = Field(..., gt=0, le=MAX_ID, description="one of your payout destinations")
    speed: Speed = Field(Speed.STANDARD, description="standard, or instant (debit cards only)")


class QuoteOut(Schema):
    amount: str = Field(..., description=f"what arrives ({MONEY})")
    fee: str
    amount_received: str
    total: str = Field(..., description="taken from your balance: amount + fee")
    currency: str
    method: str = Field(..., description="bank_transfer, card_standard, card_instant or ewallet")
    speed: str
    estimated_arrival: datetime = Field(
        ..., description="at the latest (business days on the China calendar)"
    )
    destination: DestinationOut


class WithdrawalOut(QuoteOut):
    id: int
    reference: str
    status: str = Field(
        ..., description="requested, under_review, processing, paid, failed, canceled or rejected"
    )
    failure_code: str = Field(..., description="why it failed (status failed), else empty")
    failure_reason: str = Field(..., description="the failure code in the request's language")
    provider: str = Field(..., description='who pays it out: "manual" or "sandbox" (no real money)')
    created_at: datetime
    paid_at: datetime | None


class WithdrawalPage(Schema):
    results: list[WithdrawalOut]
    next_cursor: str | None


def _money(amount_minor: int, currency: str) -> str:
    return str(to_major(amount_minor, currency))


def _quote_out(quote: WithdrawalQuote) -> dict:
    return {
        "amount": _money(quote.amount_minor, quote.currency),
        "fee": _money(quote.fee_minor, quote.currency),
        "amount_received": _money(quote.amount_minor, quote.currency),
        "total": _money(quote.total_minor, quote.currency),
        "currency": quote.currency,
        "method": quote.method,
        "speed": quote.speed,
        "estimated_arrival": quote.arrival.latest,
        "destination": destination_out(quote.destination),
    }


def _withdrawal_out(w: Withdrawal) -> dict:
    return {
        "id": w.pk,
        "reference": w.reference,
        "status": w.status,
        "amount": _money(w.amount_minor, w.currency),
        "fee": _money(w.fee_minor, w.currency),
        "amount_received": _money(w.amount_minor, w.currency),
        "total": _money(w.total_minor, w.currency),
        "currency": w.currency,
        "method": w.method,
        "speed": w.speed,
        "estimated_arrival": w.estimated_arrival,
        "destination": destination_out(w.destination),
        "failure_code": w.failure_code,
        "failure_reason": str(w.get_failure_code_display()) if w.failure_code else "",
        "provider": w.provider,
        "created_at": w.created_at,
        "paid_at": w.paid_at,
    }


def _request(payload: WithdrawalIn) -> dict:
    currency = supported_currency(payload.currency)
    return {
        "destination_id": payload.destination_id,
        "amount_minor": parse_amount(payload.amount, currency),
        "currency": currency,
        "speed": str(payload.speed.value),
    }


def _own(user, withdrawal_id: int) -> Withdrawal:
    withdrawal = withdrawal_for(user=user, withdrawal_id=withdrawal_id)
    if withdrawal is None:
        raise PayoutError("not_found", _("No such withdrawal."), status=404)
    return withdrawal


def _stamp(moment: datetime) -> str:
    """UTC with a "Z", so the cursor needs no escaping in an address (a "+" would read as a space)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_cursor(value: str) -> tuple[datetime, int]:
    try:
        stamp, pk = value.replace(" ", "+").rsplit("_", 1)  # a "+" an address turned into a space
        moment, number = datetime.fromisoformat(stamp), int(pk)
    except (ValueError, OverflowError):
        moment, number = None, 0
    if moment is None or moment.tzinfo is None or not 0 < number <= MAX_ID:
        raise ApiError(400, "bad_cursor", _("The cursor is not valid; start from the first page."))
    return moment.astimezone(UTC), number


@router.post(
    "/payouts/withdrawals/quote",
    response=QuoteOut,
    summary="Quote a withdrawal: fee, amount received, estimated arrival (stores nothing)",
    description="Refused as the withdrawal would be for the amount, destination, speed and balance. "
    "Your verification level's limits and a new destination's cooling-off are checked when you submit.",
)
def withdrawal_quote_create(request, payload: WithdrawalIn):
    user = _customer(request)
    return _quote_out(withdrawal_preview(user=user, **_request(payload)))


@router.post(
    "/payouts/withdrawals",
    response={201: WithdrawalOut},
    summary="Withdraw to one of your payout destinations (Idempotency-Key; write scope)",
    description="Holds amount + fee from your balance at once. Send an `Idempotency-Key` header (at most "
    "100 characters): the same key with the same body answers **201 with the same withdrawal** (as it is "
    "now; nothing more is held), the same key with another body is refused with 409 "
    "`idempotency_key_reused`. Large withdrawals, and a first large one to a destination, start "
    "`under_review`; the customer may cancel while `requested` or `under_review`.",
)
def withdrawal_create(request, payload: WithdrawalIn):
    key = request.headers.get("Idempotency-Key", "")
    if not key.strip():
        raise ApiError(
            400,
            "idempotency_key_required",
            _("Send an Idempotency-Key header with every money-moving request."),
        )
    user = _customer(request)
    withdrawal = withdrawal_submit(user=user, key=key, **_request(payload))
    return Status(201, _withdrawal_out(withdrawal))


@router.get(
    "/payouts/withdrawals",
    response=WithdrawalPage,
    summary="Your withdrawals, newest first (keyset pages: pass next_cursor as cursor)",
)
def withdrawal_list(request, cursor: str = Query("", max_length=100), limit: int = Query(25, ge=1, le=100)):
    user = _customer(request)
    rows = withdrawals_for(user=user, before=_parse_cursor(cursor) if cursor else None, limit=limit)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = f"{_stamp(last.created_at)}_{last.pk}" if last else None
    return {"results": [_withdrawal_out(w) for w in rows], "next_cursor": next_cursor}


@router.get("/payouts/withdrawals/{withdrawal_id}", response=WithdrawalOut, summary="One of your withdrawals")
def withdrawal_detail(request, withdrawal_id: int):
    return _withdrawal_out(_own(_customer(request), withdrawal_id))


@router.post(
    "/payouts/withdrawals/{withdrawal_id}/cancel",
    response=WithdrawalOut,
    summary="Cancel a withdrawal while it is requested or under review (write scope)",
    description="The amount and the fee come back to your balance at once. Cancelling a cancelled "
    "withdrawal again answers it unchanged; one on its way (processing) or finished is refused with 409.",
)
def withdrawal_cancel_create(request, withdrawal_id: int):
    user = _customer(request)
    withdrawal = _own(user, withdrawal_id)
    if withdrawal.status == WithdrawalStatus.CANCELED:
        return _withdrawal_out(withdrawal)
    return _withdrawal_out(withdrawal_cancel(user=user, withdrawal_id=withdrawal.pk))
