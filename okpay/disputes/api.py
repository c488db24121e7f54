"""Disputes API (交易纠纷): contact the merchant, open a dispute on a payment, read the caller's
disputes (as customer, as merchant, or all of them for staff), the conversation, evidence upload and
download, the merchant's refusal and response, withdrawal, appeal, and OKPay's review and decision.

Scoped per caller: a dispute is visible to its customer, its merchant and staff; anyone else gets
404 on every endpoint (nothing tells them it exists). Internal notes are never part of an answer.
Amounts are decimal strings in major units ("12.34"). Changes need a token with write scope (or the
site session with its CSRF token). Handlers are thin: parse, call one action of `actions`,
serialise; a refusal is a DomainError and the API answers `{"error": {"code", "message"}}` with its
status."""

from datetime import UTC, datetime
from functools import wraps
from typing import Annotated, Literal

from django.contrib.auth import get_user_model
from django.http import FileResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.decorators import decorate_view

from okpay.accounts import roles
from okpay.core.api import ApiError
from okpay.core.money import to_major
from okpay.core.uploads import UploadLimitHandler, request_content_length, size_text
from okpay.wallet.choices import TransactionKind
from okpay.wallet.models import Transaction
from okpay.wallet.money import parse_amount
from okpay.wallet.selectors import payment_id_of, transaction_for_user

from . import actions, policy, selectors, timeline
from .choices import DisputeStatus, EvidenceKind, Outcome, Party, Reason
from .errors import DisputeError
from .models import Dispute, DisputeMessage, Evidence
from .views import next_deadline_of, upload_cap

router = Router(tags=["disputes"])

MAX_ID = 2**63 - 1
MONEY = 'a decimal string in major units, e.g. "12.34"'
RULES = policy.rules()


# --- schemas -----------------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str = Field(..., description="stable, for programs (e.g. dispute_exists)")
    message: str = Field(..., description="for people, in the request's language")


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def _errors(*statuses: int) -> dict:
    return {status: ERRORS[status] for status in statuses}


class DeadlineOut(Schema):
    kind: str = Field(..., description="merchant_answer, merchant_response, review or appeal_window")
    label: str = Field(..., description="what the deadline is for, in the request's language")
    due_at: datetime | None


class PaymentOut(Schema):
    id: int = Field(..., description="the payment's id")
    transaction_id: int | None = Field(
        ..., description="the caller's own history row of this payment (customer or merchant), else null"
    )
    amount: str = Field(..., description=MONEY)
    refunded: str = Field(..., description=f"refunded on the payment so far ({MONEY})")
    currency: str
    description: str
    merchant_name: str
    customer_name: str
    created_at: datetime


class EvidenceOut(Schema):
    id: int
    kind: str = Field(
        ..., description="screenshot, chat_log, receipt, proof_of_delivery, proof_of_refund or other"
    )
    kind_label: str
    name: str = Field(..., description="the file's name as it was uploaded")
    content_type: str = Field(..., description="from the file's content (sniffed), not from its name")
    size: int = Field(..., description="bytes")
    sha256: str = Field(..., description="hex digest of the stored file; files never change once submitted")
    party: str = Field(..., description="who added it: customer, merchant or okpay")
    note: str
    is_late: bool = Field(..., description="added after that party's deadline")
    created_at: datetime
    url: str = Field(..., description="GET: the file, as a download")


class MessageOut(Schema):
    id: int
    party: str = Field(..., description="customer, merchant or okpay")
    author: str = Field(..., description="\"You\" for the caller's own side, else the party's name")
    body: str
    created_at: datetime
    files: list[EvidenceOut]


class TimelineOut(Schema):
    at: datetime
    code: str = Field(..., description="what happened, stable (e.g. opened, merchant_contested, decided)")
    who: str
    text: str = Field(..., description="what happened, in the request's language")
    reason: str = Field(..., description="the actor's words")
    note: str = Field(..., description="the decision's note written for the caller's side")


class DisputeOut(Schema):
    id: str = Field(..., description='the dispute\'s number, e.g. "D-ABC2345"')
    role: str = Field(..., description="the caller's side: customer, merchant or okpay (staff)")
    status: str = Field(..., description=", ".join(DisputeStatus.values))
    status_label: str
    reason: str = Field(
        ..., description="empty while talking to the merchant; else " + ", ".join(Reason.values)
    )
    reason_label: str
    amount: str | None = Field(..., description=f"the disputed amount ({MONEY}); null before it is opened")
    currency: str
    held: str = Field(..., description="held on the merchant's balance for the dispute")
    refunded: str = Field(..., description="refunded to the customer through this dispute")
    outcome: str = Field(..., description="empty until decided; else " + ", ".join(Outcome.values))
    outcome_label: str
    is_urgent: bool = Field(..., description="an unauthorised payment: reviewed first")
    next_deadline: DeadlineOut | None = Field(..., description="the current deadline, if any")
    merchant_answer_due_at: datetime | None
    response_due_at: datetime | None = Field(..., description="the merchant's response is due")
    review_due_at: datetime | None = Field(..., description="OKPay's decision is due")
    appeal_until: datetime | None
    may: list[str] = Field(
        ...,
        description="what the caller may do now: message, evidence, open, refuse, respond, withdraw, "
        "appeal, review, decide",
    )
    payment: PaymentOut
    created_at: datetime
    opened_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class DisputeDetailOut(DisputeOut):
    description: str
    messages: list[MessageOut] = Field(..., description="the conversation between the parties (and OKPay)")
    evidence: list[EvidenceOut] = Field(..., description="files submitted as evidence (outside messages)")
    timeline: list[TimelineOut] = Field(..., description="as the caller's side sees it")


class DisputePage(Schema):
    results: list[DisputeOut]
    next_cursor: str | None = Field(..., description="pass as cursor for the next page; null at the end")


class ContactIn(Schema):
    transaction_id: int = Field(..., gt=0, le=MAX_ID, description="your payment's row in your history")
    message: str = Field(..., max_length=RULES["message_max_chars"], description="what went wrong")


class OpenIn(Schema):
    transaction_id: int = Field(..., gt=0, le=MAX_ID, description="your payment's row in your history")
    reason: Reason
    amount: str = Field(
        ..., max_length=40, description=f"the disputed amount ({MONEY}), at most what is not refunded"
    )
    description: str = Field(..., max_length=RULES["description_max_chars"])


class MessageIn(Schema):
    body: str = Field(..., max_length=RULES["message_max_chars"])


class RefuseIn(Schema):
    body: str = Field(..., max_length=RULES["message_max_chars"], description="why, for the customer")


class RespondIn(Schema):
    decision: Literal["accept", "contest"] = Field(
        ..., description="accept: refund the disputed amount now; contest: OKPay reviews"
    )
    statement: str = Field("", max_length=RULES["description_max_chars"], description="required to contest")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=RULES["message_max_chars"])


class DecisionIn(Schema):
    outcome: Outcome
    amount: str | None = Field(None, max_length=40, description=f"refund_partial only: the refund ({MONEY})")
    note_customer: str = Field(..., max_length=RULES["decision_note_max_chars"])
    note_merchant: str = Field(..., max_length=RULES["decision_note_max_chars"])


# --- helpers -----------------------------------------------------------------------------------------


def _user(request):
    """The user row itself (the session's request.user is a lazy proxy; actions lock real rows)."""
    user = request.auth
    if type(user) is not get_user_model():
        user = get_user_model().objects.get(pk=user.pk)
    return user


def _not_found() -> DisputeError:
    return DisputeError("not_found", _("No such dispute."), status=404)


def _visible(user, number: str) -> tuple[Dispute, str]:
    """The dispute and the caller's side; 404 for anyone who is not a party or staff."""
    for party in (Party.CUSTOMER, Party.MERCHANT):
        dispute = selectors.dispute_for_party(number=number, user=user, party=party)
        if dispute is not None:
            return dispute, party
    dispute = selectors.dispute_for_staff(number=number, user=user)
    if dispute is None:
        raise _not_found()
    return dispute, Party.OKPAY


def _money(amount_minor: int | None, currency: str) -> str:
    return str(to_major(amount_minor or 0, currency))


def _payment_of_history_row(user, transaction_id: int) -> tuple[int, str]:
    """(payment id, currency) of the caller's history row (kind payment, reference payment:<id>)."""
    row = transaction_for_user(user=user, transaction_id=transaction_id)
    if row is None:
        raise DisputeError("not_found", _("No such transaction in your history."), status=404)
    payment_id = payment_id_of(row)
    if row.kind != TransactionKind.PAYMENT or payment_id is None:
        raise DisputeError("not_a_payment", _("Only a payment you made can be disputed."))
    return payment_id, row.currency


def _history_rows(user, disputes) -> dict[int, int]:
    """{payment id: the caller's history row id} for the disputes' payments."""
    if user is None:
        return {}
    references = [f"payment:{d.payment_id}" for d in disputes]
    rows = Transaction.objects.filter(
        user=user,
        reference__in=references,
        kind__in=(TransactionKind.PAYMENT, TransactionKind.PAYMENT_RECEIVED),
    ).values_list("reference", "pk")
    return {int(reference.split(":", 1)[1]): pk for reference, pk in rows}


def _may(dispute: Dispute, party: str, user) -> list[str]:
    if dispute.status in (DisputeStatus.FINAL, DisputeStatus.WITHDRAWN):
        return []
    may = ["message", "evidence"]
    targets = actions.dispute_transition_targets(dispute=dispute, actor=user)
    if party == Party.CUSTOMER and actions.may_open(dispute):
        may.append("open")
    if (
        party == Party.MERCHANT
        and dispute.status == DisputeStatus.MERCHANT_CONTACT
        and dispute.merchant_refused_at is None
    ):
        may.append("refuse")
    if party == Party.MERCHANT and dispute.status == DisputeStatus.OPEN:
        may.append("respond")
    if DisputeStatus.WITHDRAWN in targets:
        may.append("withdraw")
    if (
        DisputeStatus.APPEALED in targets
        and dispute.decided_by_id is not None
        and not dispute.appealed_by
        and dispute.appeal_until is not None
        and timezone.now() <= dispute.appeal_until
    ):
        may.append("appeal")
    if party == Party.OKPAY and roles.can_decide_disputes(user):
        if dispute.status in (DisputeStatus.MERCHANT_RESPONDED, DisputeStatus.APPEALED):
            may.append("review")
        if dispute.status == DisputeStatus.UNDER_REVIEW or (
            dispute.status == DisputeStatus.APPEALED and dispute.decided_by_id != user.pk
        ):
            may.append("decide")
    return may


def _evidence_out(item: Evidence, dispute: Dispute) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "name": item.original_name,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "party": item.party,
        "note": item.note,
        "is_late": item.is_late,
        "created_at": item.created_at,
        "url": f"/api/v1/disputes/{dispute.number}/evidence/{item.pk}",
    }


def _author(message: DisputeMessage, dispute: Dispute, party: str) -> str:
    if message.party == party and party in (Party.CUSTOMER, Party.MERCHANT):
        return _("You")
    if message.party == Party.CUSTOMER:
        return dispute.customer.display_name
    if message.party == Party.MERCHANT:
        return dispute.merchant.display_name
    return _("OKPay")


def _message_out(message: DisputeMessage, dispute: Dispute, party: str) -> dict:
    return {
        "id": message.pk,
        "party": message.party,
        "author": _author(message, dispute, party),
        "body": message.body,
        "created_at": message.created_at,
        "files": [_evidence_out(item, dispute) for item in message.files.all()],
    }


def _out(dispute: Dispute, party: str, user, *, history_row: int | None) -> dict:
    payment = dispute.payment
    deadline = next_deadline_of(dispute)
    return {
        "id": dispute.number,
        "role": party,
        "status": dispute.status,
        "status_label": str(dispute.get_status_display()),
        "reason": dispute.reason,
        "reason_label": str(dispute.get_reason_display()) if dispute.reason else "",
        "amount": _money(dispute.amount_minor, dispute.currency) if dispute.amount_minor else None,
        "currency": dispute.currency,
        "held": _money(dispute.held_minor, dispute.currency),
        "refunded": _money(dispute.refunded_minor, dispute.currency),
        "outcome": dispute.outcome,
        "outcome_label": str(dispute.get_outcome_display()) if dispute.outcome else "",
        "is_urgent": dispute.is_urgent,
        "next_deadline": {"kind": deadline[0].value, "label": str(deadline[0].label), "due_at": deadline[1]}
        if deadline
        else None,
        "merchant_answer_due_at": dispute.merchant_answer_due_at,
        "response_due_at": dispute.response_due_at,
        "review_due_at": dispute.review_due_at,
        "appeal_until": dispute.appeal_until,
        "may": _may(dispute, party, user),
        "payment": {
            "id": payment.pk,
            "transaction_id": history_row,
            "amount": _money(payment.amount_minor, payment.currency),
            "refunded": _money(payment.refunded_minor, payment.currency),
            "currency": payment.currency,
            "description": payment.description,
            "merchant_name": dispute.merchant.display_name,
            "customer_name": dispute.customer.display_name,
            "created_at": payment.created_at,
        },
        "created_at": dispute.created_at,
        "opened_at": dispute.opened_at,
        "resolved_at": dispute.resolved_at,
        "closed_at": dispute.closed_at,
        "updated_at": dispute.updated_at,
    }


def _detail(user, number: str) -> dict:
    """The dispute as the caller's side sees it: the conversation, evidence and timeline (never the
    internal notes)."""
    dispute, party = _visible(user, number)
    viewer = user if party in (Party.CUSTOMER, Party.MERCHANT) else None
    data = _out(dispute, party, user, history_row=_history_rows(viewer, [dispute]).get(dispute.payment_id))
    data["description"] = dispute.description
    data["messages"] = [_message_out(m, dispute, party) for m in selectors.messages_for(dispute)]
    data["evidence"] = [_evidence_out(item, dispute) for item in selectors.evidence_for(dispute)]
    data["timeline"] = [
        {
            "at": row.at,
            "code": row.code,
            "who": row.who,
            "text": row.text,
            "reason": row.reason,
            "note": row.note,
        }
        for row in timeline.timeline(dispute, selectors.timeline_for(dispute), party=party)
    ]
    return data


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_cursor(value: str) -> tuple[datetime, int]:
    try:
        stamp, pk = value.replace(" ", "+").rsplit("_", 1)
        moment, number = datetime.fromisoformat(stamp), int(pk)
    except (ValueError, OverflowError):
        moment, number = None, 0
    if moment is None or moment.tzinfo is None or not 0 < number <= MAX_ID:
        raise ApiError(400, "bad_cursor", _("The cursor is not valid; start from the first page."))
    return moment.astimezone(UTC), number


# --- uploads -----------------------------------------------------------------------------------------


def uploads_limited(run):
    """Before ninja reads the body: one over `views.upload_cap()` is refused (413, nothing stored; under
    ASGI not even received: hooks.BODY_LIMITS), and each file is dropped as soon as it passes the
    per-file limit (the handler then refuses the submission with a clear message)."""

    @wraps(run)
    def wrapped(request, *args, **kwargs):
        rules = policy.evidence_rules()
        if request_content_length(request) > upload_cap():
            return JsonResponse(
                {"error": {"code": "too_large", "message": _too_large_text()}},
                status=413,
            )
        handler = UploadLimitHandler(
            max_bytes=rules["max_bytes_per_file"],
            max_files=rules["max_files_per_submission"],
            request=request,
        )
        request.upload_handlers.insert(0, handler)
        request.upload_refused = handler.refused
        return run(request, *args, **kwargs)

    return wrapped


def _too_large_text() -> str:
    rules = policy.evidence_rules()
    return _("Send at most %(count)d files of at most %(size)s each.") % {
        "count": rules["max_files_per_submission"],
        "size": size_text(rules["max_bytes_per_file"]),
    }


def _upload_refusal_check(request) -> None:
    refused: set[str] = getattr(request, "upload_refused", set())
    rules = policy.evidence_rules()
    if "too_many" in refused:
        raise DisputeError(
            "too_many_files",
            _("Attach at most %(count)d files at a time."),
            count=rules["max_files_per_submission"],
        )
    if refused:
        raise DisputeError(
            "file_too_large",
            _("The file is too large: the limit is %(limit)s."),
            status=413,
            limit=size_text(rules["max_bytes_per_file"]),
        )


UPLOAD_RULES = (
    f"At most {RULES['evidence']['max_files_per_submission']} files per request, each at most "
    f"{RULES['evidence']['max_bytes_per_file'] // (1024 * 1024)} MB "
    f"({', '.join(RULES['evidence']['kinds'])}; the content is checked, not the name), at most "
    f"{RULES['evidence']['max_bytes_per_dispute'] // (1024 * 1024)} MB per dispute. A larger body is "
    "refused with 413 before it is read."
)


# --- endpoints ---------------------------------------------------------------------------------------


@router.post(
    "/disputes/contact",
    response={201: DisputeDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Contact the merchant about a payment (the first step before a dispute)",
    description="Starts the conversation with the merchant about one of your payments "
    "(`transaction_id`: the payment's row in your history). The merchant has "
    f"{RULES['merchant_answer_business_days']} business days to answer; once that time has passed, or the "
    "merchant refuses, you may open the dispute (`POST /disputes`), and the conversation is part of its "
    "evidence. Refused with 409 `dispute_exists` if the payment already has a conversation or dispute, "
    f"and with 409 `filing_window_closed` after {RULES['filing_window_days']} days.",
)
def dispute_contact(request, payload: ContactIn):
    user = _user(request)
    payment_id, _currency = _payment_of_history_row(user, payload.transaction_id)
    dispute = actions.dispute_contact_start(customer=user, payment_id=payment_id, body=payload.message)
    return Status(201, _detail(user, dispute.number))


@router.post(
    "/disputes",
    response={201: DisputeDetailOut, **_errors(400, 401, 403, 404, 409, 422)},
    summary="Open a dispute on one of your payments (write scope)",
    description="`transaction_id` is the payment's row in your history; `amount` the disputed amount "
    f"({MONEY}; plain decimal notation), at most what has not been refunded. The amount is held on the "
    "merchant's balance at once and the merchant has "
    f"{RULES['merchant_response_business_days']} business days to respond (`next_deadline`). "
    "Any reason but `unauthorized` needs the merchant conversation first (`POST /disputes/contact`): "
    "refused with 409 `contact_merchant_first`, or `merchant_has_time` while the merchant may still answer. "
    "A payment has at most one dispute: a second one is refused with 409 `dispute_exists`.",
)
def dispute_create(request, payload: OpenIn):
    user = _user(request)
    payment_id, currency = _payment_of_history_row(user, payload.transaction_id)
    amount_minor = parse_amount(payload.amount, currency)
    dispute = actions.dispute_open(
        customer=user,
        payment_id=payment_id,
        reason=payload.reason.value,
        amount_minor=amount_minor,
        description=payload.description,
    )
    return Status(201, _detail(user, dispute.number))


@router.get(
    "/disputes",
    response={200: DisputePage, **_errors(400, 401, 403, 422)},
    summary="Your disputes, newest first (as customer or merchant; staff: all)",
    description="`role` chooses the side: `customer` (disputes on payments you made) or `merchant` "
    "(disputes on payments to you; merchants only). Without it: merchants see theirs as merchant, "
    "customers as customer, and staff see every dispute (`urgent` filters the unauthorised-payment "
    "queue). Keyset pages: pass `next_cursor` as `cursor`.",
)
def dispute_list(
    request,
    role: Literal["customer", "merchant"] | None = Query(None, description="customer or merchant"),
    status: Annotated[DisputeStatus | None, Query(description="only disputes in this status")] = None,
    urgent: bool | None = Query(None, description="staff: only urgent (or only not urgent) disputes"),
    cursor: str = Query("", max_length=100),
    limit: int = Query(25, ge=1, le=100),
):
    user = _user(request)
    if role is None:
        role = "merchant" if roles.is_merchant(user) else None if roles.is_staff(user) else "customer"
    if role == "merchant" and not roles.is_merchant(user):
        raise DisputeError("forbidden", _("Only merchants have disputes as merchant."), status=403)
    if role == "customer":
        rows, party = selectors.disputes_of_customer(user=user), Party.CUSTOMER
    elif role == "merchant":
        rows, party = selectors.disputes_of_merchant(user=user), Party.MERCHANT
    else:
        rows, party = selectors.disputes_for_staff(user=user), Party.OKPAY
    if status is not None:
        rows = rows.filter(status=status.value)
    if urgent is not None and party == Party.OKPAY:
        rows = rows.filter(is_urgent=urgent)
    if cursor:
        moment, pk = _parse_cursor(cursor)
        rows = rows.filter(created_at__lte=moment).exclude(created_at=moment, pk__gte=pk)
    page = list(rows.order_by("-created_at", "-pk")[:limit])
    history = _history_rows(user if party != Party.OKPAY else None, page)
    last = page[-1] if len(page) == limit else None
    return {
        "results": [_out(d, party, user, history_row=history.get(d.payment_id)) for d in page],
        "next_cursor": f"{_stamp(last.created_at)}_{last.pk}" if last else None,
    }


@router.get(
    "/disputes/{dispute_id}",
    response={200: DisputeDetailOut, **_errors(401, 404)},
    summary="One dispute: the conversation, evidence and timeline as your side sees it",
    description="`dispute_id` is the dispute's number (e.g. `D-ABC2345`). Only its customer, its merchant "
    "and staff see it; anyone else gets 404. Each side sees the decision's note written for it.",
)
def dispute_detail(request, dispute_id: str):
    return _detail(_user(request), dispute_id)


@router.post(
    "/disputes/{dispute_id}/messages",
    response={201: MessageOut, **_errors(401, 403, 404, 409, 422)},
    summary="Write in the dispute's conversation (customer, merchant or staff)",
    description="Both parties and OKPay read the conversation. Refused with 409 once the dispute is closed.",
)
def dispute_message(request, dispute_id: str, payload: MessageIn):
    user = _user(request)
    dispute, party = _visible(user, dispute_id)
    message = actions.dispute_message_add(user=user, dispute_id=dispute.pk, body=payload.body)
    return Status(201, _message_out(message, dispute, party))


@router.post(
    "/disputes/{dispute_id}/evidence",
    response={201: list[EvidenceOut], **_errors(401, 403, 404, 409, 413, 422)},
    summary="Add evidence files (multipart: files, kind, note)",
    description=UPLOAD_RULES + " Files are immutable once submitted and their SHA-256 is recorded. "
    "`kind` applies to every file of the request (a screenshot for images, other otherwise when left out).",
)
@decorate_view(uploads_limited)
def dispute_evidence_add(
    request,
    dispute_id: str,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # required: said by the action
    kind: Form[EvidenceKind | None] = None,
    note: Form[str] = "",
):
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)
    _upload_refusal_check(request)
    saved = actions.evidence_add(
        user=user,
        dispute_id=dispute.pk,
        files=[(upload, kind.value if kind else "") for upload in files or ()],
        note=note,
    )
    return Status(201, [_evidence_out(item, dispute) for item in saved])


@router.get(
    "/disputes/{dispute_id}/evidence/{evidence_id}",
    response={200: None, **_errors(401, 404)},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as a download (Content-Disposition: attachment)",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="Download an evidence file (the dispute's customer, merchant or staff)",
)
def dispute_evidence_file(request, dispute_id: str, evidence_id: int):
    user = _user(request)
    item = (
        selectors.evidence_for_viewer(evidence_id=evidence_id, user=user)
        if 0 < evidence_id <= MAX_ID
        else None
    )
    if item is None or item.dispute.number != dispute_id:
        raise DisputeError("not_found", _("No such file."), status=404)
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/disputes/{dispute_id}/refuse",
    response={200: DisputeDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Merchant: decline the customer's request (the customer may then open the dispute)",
)
def dispute_refuse(request, dispute_id: str, payload: RefuseIn):
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)
    actions.dispute_merchant_refuse(merchant=user, dispute_id=dispute.pk, body=payload.body)
    return _detail(user, dispute_id)


@router.post(
    "/disputes/{dispute_id}/respond",
    response={200: DisputeDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Merchant: accept (refund the disputed amount) or contest the dispute",
    description="`accept` refunds the disputed amount to the customer at once (from the hold); `contest` "
    "needs a `statement` and sends the dispute to OKPay's review (add files first with "
    "`POST /disputes/{dispute_id}/evidence`). Only the dispute's merchant may respond "
    "(403 for the customer).",
)
def dispute_respond(request, dispute_id: str, payload: RespondIn):
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)
    if payload.decision == "accept":
        actions.dispute_merchant_accept(merchant=user, dispute_id=dispute.pk, statement=payload.statement)
    else:
        actions.dispute_merchant_contest(merchant=user, dispute_id=dispute.pk, statement=payload.statement)
    return _detail(user, dispute_id)


@router.post(
    "/disputes/{dispute_id}/withdraw",
    response={200: DisputeDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Customer: withdraw the dispute (the hold is released; it cannot be opened again)",
)
def dispute_withdraw(request, dispute_id: str, payload: WithdrawIn):
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)
    actions.dispute_withdraw(customer=user, dispute_id=dispute.pk, reason=payload.reason)
    return _detail(user, dispute_id)


@router.post(
    "/disputes/{dispute_id}/appeal",
    response={200: DisputeDetailOut, **_errors(401, 403, 404, 409, 413, 422)},
    summary="Appeal OKPay's decision once, with new evidence (multipart: reason, files)",
    description="Only the side the decision went against, within the appeal window "
    f"({RULES['appeal_window_business_days']} business days); another reviewer decides. At least one new "
    "file is required. " + UPLOAD_RULES,
)
@decorate_view(uploads_limited)
def dispute_appeal(
    request,
    dispute_id: str,
    reason: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # required: said by the action
):
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)
    _upload_refusal_check(request)
    actions.dispute_appeal(user=user, dispute_id=dispute.pk, reason=reason, files=list(files or ()))
    return _detail(user, dispute_id)


def _reviewer(request, dispute_id: str) -> tuple:
    user = _user(request)
    dispute, _party = _visible(user, dispute_id)  # a stranger: 404
    if not roles.can_decide_disputes(user):
        raise DisputeError("forbidden", _("Only OKPay's reviewers can do this."), status=403)
    return user, dispute


@router.post(
    "/disputes/{dispute_id}/review",
    response={200: DisputeDetailOut, **_errors(401, 403, 404, 409)},
    summary="Staff: take the dispute for review (an appeal: another reviewer than the first decision's)",
)
def dispute_review(request, dispute_id: str):
    user, dispute = _reviewer(request, dispute_id)
    actions.dispute_review_start(reviewer=user, dispute_id=dispute.pk)
    return _detail(user, dispute_id)


@router.post(
    "/disputes/{dispute_id}/decision",
    response={200: DisputeDetailOut, **_errors(400, 401, 403, 404, 409, 422)},
    summary="Staff: decide the dispute (full refund, partial refund, no refund)",
    description="For reviewers (`can_decide_disputes`); the parties get 403, anyone else 404. The dispute "
    "must be under review (`POST /disputes/{dispute_id}/review`). `amount` is the partial refund "
    f"({MONEY}), more than zero and less than the disputed amount; each party reads only its own note. "
    "An appeal is decided by another reviewer than the first decision's; it moves only the difference.",
)
def dispute_decision(request, dispute_id: str, payload: DecisionIn):
    user, dispute = _reviewer(request, dispute_id)
    amount_minor = None  # the action refuses a partial refund without an amount
    if payload.outcome == Outcome.REFUND_PARTIAL and payload.amount is not None:
        amount_minor = parse_amount(payload.amount, dispute.currency)
    actions.dispute_decide(
        reviewer=user,
        dispute_id=dispute.pk,
        outcome=payload.outcome.value,
        amount_minor=amount_minor,
        note_customer=payload.note_customer,
        note_merchant=payload.note_merchant,
    )
    return _detail(user, dispute_id)
