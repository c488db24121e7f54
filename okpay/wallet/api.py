"""Wallet API. Every money-moving POST needs an `Idempotency-Key` header (≤ 255 characters): the
same key and request return the stored response, a different request with the key → 409. A refused
operation raises a WalletError (a DomainError): the API answers its code, message and status."""

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from okpay.accounts import roles
from okpay.core.api import ApiError
from okpay.core.idempotency import IdempotencyError, idempotent

from . import fx, selectors
from .actions import payment_create
from .errors import WalletError
from .international.actions import international_cancel, international_submit
from .models import InternationalTransfer, Quote
from .money import parse_amount, supported_currency

router = Router(tags=["wallet"])


class BalanceOut(Schema):
    currency: str
    available_minor: int
    posted_minor: int
    pending_out_minor: int


class TransactionOut(Schema):
    id: int
    kind: str
    status: str
    amount_minor: int
    fee_minor: int
    currency: str
    counterparty: str
    description: str
    reference: str
    created_at: datetime


class TransactionPage(Schema):
    results: list[TransactionOut]
    next_cursor: str | None


class QuoteIn(Schema):
    from_currency: str = Field(..., max_length=3)
    to_currency: str = Field(..., max_length=3)
    amount: str = Field(..., max_length=30, description='in major units, e.g. "1000.50"')
    recipient_country: str = Field(
        ..., min_length=2, max_length=2, description="ISO 3166 code of a supported country"
    )


class QuoteOut(Schema):
    id: UUID
    from_currency: str
    to_currency: str
    source_amount_minor: int
    target_amount_minor: int
    mid_rate: str
    applied_rate: str
    markup_percent: str
    fee_fixed_minor: int
    fee_percent_minor: int
    fee_total_minor: int
    total_debit_minor: int
    rate_date: str
    expires_at: datetime


class TransferIn(Schema):
    quote_id: UUID
    recipient_name: str = Field(..., min_length=1, max_length=140)
    recipient_country: str = Field(
        ..., min_length=2, max_length=2, description="ISO 3166 code of a supported country"
    )
    recipient_account: str = Field(..., min_length=5, max_length=40)
    recipient_address: str = Field("", max_length=200)
    sender_address: str = Field("", max_length=200)
    purpose: str = Field("", max_length=140)


class TransferOut(Schema):
    id: int
    status: str
    decision: str
    reason_codes: list[str]
    quote_id: UUID
    cancel_until: datetime
    review_deadline: datetime | None


class PaymentIn(Schema):
    merchant_id: int
    amount: str = Field(..., max_length=30)
    currency: str = Field(..., max_length=3)
    description: str = Field("", max_length=200)


class PaymentOut(Schema):
    id: int
    amount_minor: int
    currency: str
    transaction_id: int


def _run_idempotent(request, scope: str, payload: dict, action):
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise ApiError(
            400,
            "idempotency_key_required",
            _("Send an Idempotency-Key header with every money-moving request."),
        )
    try:  # a refusal inside `action` (WalletError) is answered by the API's DomainError handler
        return idempotent(user=request.auth, key=key, scope=scope, payload=payload, action=action)
    except IdempotencyError as error:
        raise ApiError(
            409 if error.code != "idempotency_key_invalid" else 400, error.code, error.message
        ) from None


def _quote_out(q: Quote) -> dict:
    return {
        "id": q.pk,
        "from_currency": q.from_currency,
        "to_currency": q.to_currency,
        "source_amount_minor": q.source_amount_minor,
        "target_amount_minor": q.target_amount_minor,
        "mid_rate": str(q.mid_rate),
        "applied_rate": str(q.applied_rate),
        "markup_percent": f"{q.markup_percent:.3f}",
        "fee_fixed_minor": q.fee_fixed_minor,
        "fee_percent_minor": q.fee_percent_minor,
        "fee_total_minor": q.fee_total_minor,
        "total_debit_minor": q.total_debit_minor,
        "rate_date": q.rate_set.as_of.isoformat(),
        "expires_at": q.expires_at,
    }


def _transfer_out(t: InternationalTransfer) -> dict:
    return {
        "id": t.pk,
        "status": t.status,
        "decision": t.decision,
        "reason_codes": t.reason_codes,
        "quote_id": t.quote_id,
        "cancel_until": t.cancel_until,
        "review_deadline": t.review_deadline,
    }


@router.get("/wallet/balances", response=list[BalanceOut], summary="Your balances per currency")
def balances(request):
    return [
        {
            "currency": a.currency,
            "available_minor": a.available_balance,
            "posted_minor": a.posted_balance,
            "pending_out_minor": a.pending_out,
        }
        for a in selectors.balances_for(user=request.auth)
    ]


@router.get(
    "/wallet/transactions", response=TransactionPage, summary="Your history, newest first (keyset pages)"
)
def transactions(
    request,
    kind: str = "",
    status: str = "",
    currency: str = "",
    cursor: str = "",
    limit: int = Query(25, ge=1, le=100),
):
    before = None
    if cursor:
        try:
            stamp, pk = cursor.rsplit("_", 1)
            before = (datetime.fromisoformat(stamp), int(pk))
        except ValueError:
            raise ApiError(
                400, "bad_cursor", _("The cursor is not valid; start from the first page.")
            ) from None
    rows = selectors.transactions_for_user(
        user=request.auth, kind=kind, status=status, currency=currency.upper(), before=before, limit=limit
    )
    next_cursor = f"{rows[-1].created_at.isoformat()}_{rows[-1].pk}" if len(rows) == limit else None
    return {"results": rows, "next_cursor": next_cursor}


@router.get(
    "/wallet/transactions/{transaction_id}", response=TransactionOut, summary="One of your transactions"
)
def transaction_detail(request, transaction_id: int):
    row = selectors.transaction_for_user(user=request.auth, transaction_id=transaction_id)
    if row is None:
        raise ApiError(404, "not_found", _("Not found."))
    return row


@router.post(
    "/wallet/quotes", response={201: QuoteOut}, summary="Quote an international transfer (30 minutes)"
)
def quote_create(request, payload: QuoteIn):
    from_currency = supported_currency(payload.from_currency)
    amount = parse_amount(payload.amount, from_currency)
    q = fx.quote_create(
        user=request.auth,
        from_currency=from_currency,
        to_currency=payload.to_currency.upper(),
        source_amount_minor=amount,
        recipient_country=payload.recipient_country,
    )
    return Status(201, _quote_out(q))


@router.post(
    "/wallet/transfers",
    response={201: TransferOut},
    summary="Send an international transfer (Idempotency-Key)",
)
def transfer_create(request, payload: TransferIn):
    data = payload.model_dump()

    def action():
        transfer = international_submit(user=request.auth, key=request.headers["Idempotency-Key"], **data)
        return 201, _transfer_out(transfer)

    status, body = _run_idempotent(request, "api.transfer", {k: str(v) for k, v in data.items()}, action)
    return Status(status, body)


@router.get(
    "/wallet/transfers/{transfer_id}", response=TransferOut, summary="One of your international transfers"
)
def transfer_detail(request, transfer_id: int):
    transfer = InternationalTransfer.objects.filter(pk=transfer_id, user=request.auth).first()
    if transfer is None:
        raise ApiError(404, "not_found", _("Not found."))
    return _transfer_out(transfer)


@router.post(
    "/wallet/transfers/{transfer_id}/cancel",
    response=TransferOut,
    summary="Cancel within 30 minutes (Idempotency-Key)",
)
def transfer_cancel(request, transfer_id: int):
    def action():
        return 200, _transfer_out(international_cancel(user=request.auth, transfer_id=transfer_id))

    _status, body = _run_idempotent(request, "api.cancel", {"transfer": transfer_id}, action)
    return body


@router.post("/wallet/payments", response={201: PaymentOut}, summary="Pay a merchant (Idempotency-Key)")
def payment(request, payload: PaymentIn):
    from okpay.accounts.models import User

    def action():
        merchant = User.objects.filter(
            pk=payload.merchant_id, role__in=roles.MERCHANT_ROLES, is_active=True
        ).first()
        if merchant is None:
            raise WalletError("not_a_merchant", _("This merchant cannot accept payments."))
        currency = supported_currency(payload.currency)
        made = payment_create(
            customer=request.auth,
            merchant=merchant,
            amount_minor=parse_amount(payload.amount, currency),
            currency=currency,
            description=payload.description,
            key=request.headers["Idempotency-Key"],
        )
        row = made.entry.transactions.get(user=request.auth)
        return 201, {
            "id": made.pk,
            "amount_minor": made.amount_minor,
            "currency": made.currency,
            "transaction_id": row.pk,
        }

    status, body = _run_idempotent(request, "api.payment", payload.model_dump(), action)
    return Status(status, body)
