"""Every change to a dispute. Lock order: the dispute row (the business object that owns every
decision on it), then the payment, then ledger accounts in primary-key order. `dispute_transition`
is the only place a status changes; the money follows it there:

- opening holds the disputed amount on the merchant's balance (a pending entry merchant → customer:
  it counts against the merchant's available balance, not yet for the customer), as much of it as
  the merchant's available balance has; the rest is recorded and taken when the decision comes;
- a refund decision releases the hold and moves the decided amount in one posted entry; whatever the
  merchant's balance cannot pay, OKPay advances (system account `dispute_advances`) and the dispute
  records what the merchant owes, collected by the sweep from the merchant's next incoming money;
- a rejection or withdrawal releases the hold;
- an appeal decision moves only the difference from the first decision, in either direction (the
  customer's side may owe in the same way).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core.audit import audit_event_record
from okpay.core.transitions import SYSTEM, is_system, transition_exists, transition_permitted
from okpay.core.uploads import KINDS, upload_check
from okpay.wallet.actions import (
    payment_refund_record,
    payment_status_refresh,
    transaction_record,
    transaction_status_set,
)
from okpay.wallet.choices import EntryKind, EntryStatus, Side, TransactionKind, TransactionStatus
from okpay.wallet.errors import WalletError
from okpay.wallet.ledger import Line, accounts_lock, entry_create, entry_void, system_account, wallet_account
from okpay.wallet.models import Payment, Transaction

from . import notify, policy
from .choices import (
    DISPUTE_TRANSITIONS,
    FINISHED_STATUSES,
    HELD_STATUSES,
    OUTCOME_STATUS,
    RESOLVED_STATUSES,
    DeadlineKind,
    DisputeStatus,
    EventKind,
    EvidenceKind,
    Outcome,
    Party,
    Reason,
)
from .errors import DisputeError
from .models import Dispute, DisputeDeadline, DisputeEvent, DisputeMessage, DisputeNote, Evidence

# --- who is who --------------------------------------------------------------------------------


def party_of(dispute: Dispute, user) -> str | None:
    """The side `user` is on: the dispute's customer, its merchant, OKPay's staff; None for anyone else."""
    if is_system(user):
        return Party.SYSTEM
    if getattr(user, "pk", None) is None:
        return None
    if user.pk == dispute.customer_id:
        return Party.CUSTOMER
    if user.pk == dispute.merchant_id:
        return Party.MERCHANT
    if roles.is_staff(user):
        return Party.OKPAY
    return None


def _locked(dispute_id: int) -> Dispute:
    dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
    if dispute is None:
        raise DisputeError("not_found", _("No such dispute."), status=404)
    return dispute


def _locked_for(dispute_id: int, user, *parties: str) -> tuple[Dispute, str]:
    """The locked dispute, if `user` is on one of `parties`; a stranger gets 404 (nothing revealed)."""
    dispute = _locked(dispute_id)
    party = party_of(dispute, user)
    if party is None or (parties and party not in parties):
        if party in (Party.CUSTOMER, Party.MERCHANT, Party.OKPAY):
            raise DisputeError("forbidden", _("You may not do this on this dispute."), status=403)
        raise DisputeError("not_found", _("No such dispute."), status=404)
    return dispute, party


def _event(
    dispute: Dispute,
    *,
    kind: str,
    party: str,
    actor=None,
    code: str = "",
    reason: str = "",
    from_status: str = "",
    to_status: str = "",
    amount_minor: int | None = None,
    note_customer: str = "",
    note_merchant: str = "",
) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        kind=kind,
        party=party,
        actor=None if is_system(actor) else actor,
        code=code,
        reason=reason,
        from_status=from_status,
        to_status=to_status,
        amount_minor=amount_minor,
        note_customer=note_customer,
        note_merchant=note_merchant,
    )


def _text(value: str, *, limit: int, required: bool = False, what=None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DisputeError("text_required", what or _("Write a few words."))
    if len(value) > limit:
        raise DisputeError("text_too_long", _("Keep it under %(limit)d characters."), limit=limit)
    return value


# --- deadlines -----------------------------------------------------------------------------------


def _deadline_set(dispute: Dispute, kind: str, due_at) -> DisputeDeadline:
    DisputeDeadline.objects.filter(
        dispute=dispute, kind=kind, fired_at__isnull=True, canceled_at__isnull=True
    ).update(canceled_at=timezone.now())
    deadline = DisputeDeadline.objects.create(
        dispute=dispute, kind=kind, for_status=dispute.status, due_at=due_at
    )
    from .tasks import dispute_deadline_schedule

    dispute_deadline_schedule(deadline)
    return deadline


def _deadlines_cancel_stale(dispute: Dispute) -> None:
    """A state move cancels the deadlines of the state left (they will not fire)."""
    DisputeDeadline.objects.filter(dispute=dispute, fired_at__isnull=True, canceled_at__isnull=True).exclude(
        for_status=dispute.status
    ).update(canceled_at=timezone.now())


# --- money ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    entry: object
    short_minor: int  # what the payer's balance could not pay (OKPay advanced it)


def _move(
    dispute: Dispute, *, payer, payee, amount_minor: int, key: str, kind: str, description: str
) -> Moved:
    """One posted entry payer → payee for `amount_minor`; what the payer's available balance cannot
    cover comes from OKPay's dispute advances (a receivable from the payer)."""
    payer_account = wallet_account(payer, dispute.currency)
    payee_account = wallet_account(payee, dispute.currency)
    advances = system_account("dispute_advances", dispute.currency)
    locked = accounts_lock([payer_account.pk, payee_account.pk, advances.pk])
    take = min(amount_minor, max(0, locked[payer_account.pk].available_balance))
    short = amount_minor - take
    lines = [Line(payee_account, Side.CREDIT, amount_minor)]
    if take:
        lines.append(Line(payer_account, Side.DEBIT, take))
    if short:
        lines.append(Line(advances, Side.DEBIT, short))
    entry = entry_create(
        key=key,
        kind=kind,
        lines=lines,
        reference=f"dispute:{dispute.pk}",
        description=description,
    )
    return Moved(entry=entry, short_minor=short)


def _hold_place(dispute: Dispute) -> None:
    assert dispute.amount_minor is not None
    merchant_account = wallet_account(dispute.merchant, dispute.currency)
    customer_account = wallet_account(dispute.customer, dispute.currency)
    locked = accounts_lock([merchant_account.pk, customer_account.pk])
    held = min(dispute.amount_minor, max(0, locked[merchant_account.pk].available_balance))
    dispute.held_minor = held
    if held:
        dispute.hold_entry = entry_create(
            key=f"dispute:{dispute.pk}:hold",
            kind=EntryKind.DISPUTE_HOLD,
            pending=True,
            reference=f"dispute:{dispute.pk}",
            description=f"dispute {dispute.number} hold",
            lines=[
                Line(merchant_account, Side.DEBIT, held),
                Line(customer_account, Side.CREDIT, held),
            ],
        )
        transaction_record(
            user=dispute.merchant,
            kind=TransactionKind.DISPUTE_HOLD,
            status=TransactionStatus.PENDING,
            amount_minor=-held,
            currency=dispute.currency,
            reference=f"dispute:{dispute.pk}",
            entry=dispute.hold_entry,
            counterparty=dispute.customer.display_name,
            description=str(_("Held for dispute %(number)s") % {"number": dispute.number}),
        )


def _hold_release(dispute: Dispute, note: str) -> None:
    entry = dispute.hold_entry
    if entry is not None and entry.status == EntryStatus.PENDING:
        entry_void(entry)
        for row in Transaction.objects.filter(
            reference=f"dispute:{dispute.pk}",
            kind=TransactionKind.DISPUTE_HOLD,
            status=TransactionStatus.PENDING,
        ):
            transaction_status_set(row=row, status=TransactionStatus.CANCELED, note=note)


def _refund(dispute: Dispute, *, amount_minor: int, actor, step: str) -> int:
    """Move `amount_minor` (capped at what is left to refund on the payment) merchant → customer.
    Returns the amount moved."""
    payment = (
        Payment.objects.select_for_update().select_related("customer", "merchant").get(pk=dispute.payment_id)
    )
    amount_minor = min(amount_minor, payment.refundable_minor)
    if amount_minor <= 0:
        return 0
    description = str(_("Refund for dispute %(number)s") % {"number": dispute.number})
    moved = _move(
        dispute,
        payer=dispute.merchant,
        payee=dispute.customer,
        amount_minor=amount_minor,
        key=f"dispute:{dispute.pk}:{step}",
        kind=EntryKind.REFUND,
        description=description,
    )
    payment_refund_record(
        payment=payment,
        amount_minor=amount_minor,
        entry=moved.entry,
        created_by=actor if not is_system(actor) and actor is not None else dispute.merchant,
        reason=description,
        description=description,
    )
    dispute.refunded_minor += amount_minor
    dispute.merchant_owes_minor += moved.short_minor
    _event(dispute, kind=EventKind.MONEY, party=Party.SYSTEM, code="refunded", amount_minor=amount_minor)
    return amount_minor


def _refund_reverse(dispute: Dispute, *, amount_minor: int, step: str) -> None:
    """An appeal gave the customer less than the first decision: `amount_minor` goes back to the
    merchant (what the customer's balance cannot pay, OKPay advances and the customer owes)."""
    payment = (
        Payment.objects.select_for_update().select_related("customer", "merchant").get(pk=dispute.payment_id)
    )
    description = str(_("Dispute %(number)s: appeal decision") % {"number": dispute.number})
    moved = _move(
        dispute,
        payer=dispute.customer,
        payee=dispute.merchant,
        amount_minor=amount_minor,
        key=f"dispute:{dispute.pk}:{step}",
        kind=EntryKind.DISPUTE_ADJUSTMENT,
        description=description,
    )
    payment.refunded_minor -= amount_minor
    payment.save(update_fields=["refunded_minor"])
    payment_status_refresh(payment=payment, note=description)
    for user, signed, other in (
        (dispute.customer, -amount_minor, dispute.merchant),
        (dispute.merchant, amount_minor, dispute.customer),
    ):
        transaction_record(
            user=user,
            kind=TransactionKind.DISPUTE_ADJUSTMENT,
            status=TransactionStatus.COMPLETED,
            amount_minor=signed,
            currency=dispute.currency,
            reference=f"dispute:{dispute.pk}",
            entry=moved.entry,
            counterparty=other.display_name,
            description=description,
        )
    dispute.refunded_minor -= amount_minor
    dispute.customer_owes_minor += moved.short_minor
    _event(dispute, kind=EventKind.MONEY, party=Party.SYSTEM, code="reversed", amount_minor=amount_minor)


def decided_refund_minor(dispute: Dispute, outcome: str, amount_minor: int | None) -> int:
    """What an outcome gives the customer: the disputed amount, the partial amount (more than zero,
    less than the disputed amount), or nothing."""
    disputed = dispute.amount_minor or 0
    if outcome == Outcome.REFUND_FULL:
        return disputed
    if outcome == Outcome.REJECTED:
        return 0
    if outcome == Outcome.REFUND_PARTIAL:
        if not isinstance(amount_minor, int) or not 0 < amount_minor < disputed:
            raise DisputeError(
                "partial_amount",
                _("A partial refund is more than zero and less than the disputed amount."),
            )
        return amount_minor
    raise DisputeError("outcome_required", _("Choose a decision."))


# --- the one transition function ----------------------------------------------------------------


def dispute_transition_allowed(*, dispute: Dispute, to: str, actor) -> bool:
    party = party_of(dispute, actor)
    return transition_permitted(
        DISPUTE_TRANSITIONS,
        dispute.status,
        to,
        actor=actor,
        is_customer=party == Party.CUSTOMER,
        is_merchant=party == Party.MERCHANT,
    )


def dispute_transition_targets(*, dispute: Dispute, actor) -> list[str]:
    return [
        to
        for to in DISPUTE_TRANSITIONS.get(dispute.status, {})
        if dispute_transition_allowed(dispute=dispute, to=to, actor=actor)
    ]


@transaction.atomic
def dispute_transition(
    *,
    dispute: Dispute,
    to: str,
    actor,
    code: str = "",
    reason: str = "",
    outcome: str = "",
    refund_minor: int | None = None,
    note_customer: str = "",
    note_merchant: str = "",
) -> Dispute:
    """The one place a dispute's status changes: locks it, checks the move and the actor, moves the
    money, sets the deadlines of the new state (cancelling those of the old one), writes the timeline
    event and the audit row, and notifies both parties after the commit. A refused move changes
    nothing."""
    locked = _locked(dispute.pk)
    label = dict(DisputeStatus.choices)
    if not transition_exists(DISPUTE_TRANSITIONS, locked.status, to):
        raise DisputeError(
            "illegal_transition",
            _("This dispute cannot move from “%(current)s” to “%(target)s”."),
            status=409,
            current=label.get(locked.status, locked.status),
            target=label.get(to, to),
        )
    if not dispute_transition_allowed(dispute=locked, to=to, actor=actor):
        raise DisputeError("forbidden", _("You may not change this dispute this way."), status=403)
    party = party_of(locked, actor) or Party.SYSTEM
    previous, now = locked.status, timezone.now()
    locked.status, locked.updated_at = to, now
    if to == DisputeStatus.OPEN:
        locked.opened_at = now
        _hold_place(locked)
        locked.response_due_at = policy.merchant_response_due(now)
    elif to == DisputeStatus.MERCHANT_RESPONDED:
        if previous == DisputeStatus.OPEN:
            locked.review_due_at = policy.review_due(now)
        locked.assigned_to = None
    elif to == DisputeStatus.UNDER_REVIEW:
        locked.assigned_to = actor
    elif to in RESOLVED_STATUSES:
        if to == DisputeStatus.RESOLVED_CUSTOMER and not outcome:
            outcome = Outcome.REFUND_FULL  # the merchant accepts, or did not respond in time
        amount = decided_refund_minor(locked, outcome, refund_minor)
        if OUTCOME_STATUS[Outcome(outcome)] != to:
            raise DisputeError("outcome_mismatch", _("Choose a decision."))
        _hold_release(locked, note=str(label[to]))
        if amount:
            _refund(locked, amount_minor=amount, actor=actor, step="decision")
        locked.outcome, locked.resolved_at = outcome, now
        if party == Party.OKPAY:
            locked.decided_by = actor
        locked.appeal_until = policy.appeal_until(now)
        locked.assigned_to = None
    elif to == DisputeStatus.APPEALED:
        locked.appealed_by = party
        locked.review_due_at = policy.review_due(now)
        locked.assigned_to = None
    elif to == DisputeStatus.FINAL:
        if previous == DisputeStatus.APPEALED:
            target = decided_refund_minor(locked, outcome, refund_minor)
            delta = target - locked.refunded_minor
            if delta > 0:
                _refund(locked, amount_minor=delta, actor=actor, step="appeal")
            elif delta < 0:
                _refund_reverse(locked, amount_minor=-delta, step="appeal")
            locked.outcome = outcome
        locked.closed_at = now
        locked.assigned_to = None
    elif to == DisputeStatus.WITHDRAWN:
        _hold_release(locked, note=str(label[to]))
        locked.closed_at = now
    locked.save()
    _deadlines_cancel_stale(locked)
    if to == DisputeStatus.OPEN:
        assert locked.response_due_at is not None
        _deadline_set(locked, DeadlineKind.MERCHANT_RESPONSE, locked.response_due_at)
        _deadline_set(
            locked, DeadlineKind.MERCHANT_REMINDER, policy.merchant_reminder_at(locked.response_due_at)
        )
    elif to in (DisputeStatus.MERCHANT_RESPONDED, DisputeStatus.APPEALED) and locked.review_due_at:
        if (
            not locked.deadlines.filter(
                kind=DeadlineKind.REVIEW, fired_at__isnull=True, canceled_at__isnull=True
            ).exists()
            or to == DisputeStatus.APPEALED
        ):
            _deadline_set(locked, DeadlineKind.REVIEW, locked.review_due_at)
    elif to == DisputeStatus.UNDER_REVIEW and locked.review_due_at:
        _deadline_set(locked, DeadlineKind.REVIEW, locked.review_due_at)
    elif to in RESOLVED_STATUSES:
        assert locked.appeal_until is not None
        _deadline_set(locked, DeadlineKind.APPEAL_WINDOW, locked.appeal_until)
    _event(
        locked,
        kind=EventKind.STATUS,
        party=party,
        actor=actor,
        code=code,
        reason=reason,
        from_status=previous,
        to_status=to,
        amount_minor=locked.refunded_minor if to in (*RESOLVED_STATUSES, DisputeStatus.FINAL) else None,
        note_customer=note_customer,
        note_merchant=note_merchant,
    )
    audit_event_record(
        action="dispute.status_changed",
        actor=None if is_system(actor) else actor,
        subject_user=locked.customer,
        data={"dispute": locked.number, "from": previous, "to": to, "code": code, "outcome": locked.outcome},
    )
    notify.status_changed(locked, previous=previous, code=code)
    return locked


# --- the customer --------------------------------------------------------------------------------


def _payment_for_customer(*, customer, payment_id) -> Payment:
    payment = (
        Payment.objects.select_for_update()
        .select_related("merchant", "customer")
        .filter(pk=payment_id, customer=customer)
        .first()
    )
    if payment is None:
        raise DisputeError("not_found", _("Payment not found."), status=404)
    return payment


def _filing_check(payment: Payment) -> None:
    if timezone.now() > policy.filing_deadline(payment.created_at):
        raise DisputeError(
            "filing_window_closed",
            _("Disputes can be opened within %(days)d days of the payment; this payment is older."),
            status=409,
            days=policy.rules()["filing_window_days"],
        )
    if payment.refundable_minor <= 0:
        raise DisputeError(
            "nothing_to_dispute", _("This payment has already been refunded in full."), status=409
        )


def _already_exists() -> DisputeError:
    return DisputeError(
        "dispute_exists",
        _("There is already a dispute on this payment. Open it from the payment's page."),
        status=409,
    )


@transaction.atomic
def dispute_contact_start(*, customer, payment_id, body: str, files=()) -> Dispute:
    """ "Contact the merchant": the customer's first message about a payment. The merchant has the
    policy's business days to answer; after that, or if the merchant refuses, the customer may open a
    dispute (and this conversation is part of its evidence)."""
    payment = _payment_for_customer(customer=customer, payment_id=payment_id)
    body = _text(
        body,
        limit=policy.rules()["message_max_chars"],
        required=True,
        what=_("Write what went wrong and what you would like the merchant to do."),
    )
    _filing_check(payment)
    if Dispute.objects.filter(payment=payment).exists():
        raise _already_exists()
    now = timezone.now()
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                payment=payment,
                customer=customer,
                merchant=payment.merchant,
                currency=payment.currency,
                status=DisputeStatus.MERCHANT_CONTACT,
                merchant_answer_due_at=policy.merchant_answer_due(now),
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise _already_exists() from None
    message = DisputeMessage.objects.create(dispute=dispute, author=customer, party=Party.CUSTOMER, body=body)
    _files_store(dispute, message=message, party=Party.CUSTOMER, user=customer, files=files)
    _event(
        dispute,
        kind=EventKind.STATUS,
        party=Party.CUSTOMER,
        actor=customer,
        code="contacted",
        to_status=DisputeStatus.MERCHANT_CONTACT,
    )
    assert dispute.merchant_answer_due_at is not None
    _deadline_set(dispute, DeadlineKind.MERCHANT_ANSWER, dispute.merchant_answer_due_at)
    audit_event_record(action="dispute.contacted", actor=customer, data={"dispute": dispute.number})
    notify.merchant_contacted(dispute, message)
    return dispute


def may_open(dispute: Dispute, *, now=None) -> bool:
    """Whether the customer may open the dispute from the merchant conversation: the merchant
    refused, or the policy's business days passed."""
    now = now or timezone.now()
    return dispute.status == DisputeStatus.MERCHANT_CONTACT and (
        dispute.merchant_refused_at is not None
        or (dispute.merchant_answer_due_at is not None and now >= dispute.merchant_answer_due_at)
    )


def _amount_check(payment: Payment, amount_minor) -> int:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise DisputeError("invalid_amount", _("Enter the amount as a number, e.g. 100.50."))
    if amount_minor > payment.refundable_minor:
        raise DisputeError(
            "amount_too_large",
            _("You can dispute at most the amount not yet refunded on this payment."),
        )
    return amount_minor


@transaction.atomic
def dispute_open(
    *,
    customer,
    payment_id,
    reason: str,
    amount_minor: int,
    description: str,
    files: Iterable = (),
) -> Dispute:
    """Open the dispute: after the merchant conversation (see `may_open`), or at once for a payment
    the customer did not make ("unauthorized", which also goes to the urgent queue). Holds the
    disputed amount on the merchant's balance."""
    if reason not in Reason.values:
        raise DisputeError("reason_required", _("Choose what went wrong."))
    description = _text(
        description,
        limit=policy.rules()["description_max_chars"],
        required=True,
        what=_("Describe what happened."),
    )
    # the dispute row first (as every action on it), then the payment
    existing = (
        Dispute.objects.filter(payment_id=payment_id, customer=customer).values_list("pk", flat=True).first()
    )
    dispute = _locked(existing) if existing is not None else None
    payment = _payment_for_customer(customer=customer, payment_id=payment_id)
    if dispute is not None and dispute.status != DisputeStatus.MERCHANT_CONTACT:
        raise _already_exists()
    _filing_check(payment)
    amount_minor = _amount_check(payment, amount_minor)
    if dispute is None:
        if reason != Reason.UNAUTHORIZED:
            raise DisputeError(
                "contact_merchant_first",
                _(
                    "Contact the merchant first: most problems are solved that way. If the merchant "
                    "refuses or the problem is not solved within %(days)d business days, "
                    "you can open a dispute."
                ),
                status=409,
                days=policy.rules()["merchant_answer_business_days"],
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                dispute = Dispute.objects.create(
                    payment=payment,
                    customer=customer,
                    merchant=payment.merchant,
                    currency=payment.currency,
                    status=DisputeStatus.MERCHANT_CONTACT,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            raise _already_exists() from None
    elif reason != Reason.UNAUTHORIZED and not may_open(dispute):
        assert dispute.merchant_answer_due_at is not None
        raise DisputeError(
            "merchant_has_time",
            _(
                "The merchant has until %(date)s to answer. You can open the dispute then, or as soon as the "
                "merchant refuses."
            ),
            status=409,
            date=notify.moment_text(dispute.merchant_answer_due_at, customer),
        )
    dispute.reason, dispute.amount_minor, dispute.description = reason, amount_minor, description
    dispute.is_urgent = reason == Reason.UNAUTHORIZED
    dispute.save(update_fields=["reason", "amount_minor", "description", "is_urgent"])
    dispute = dispute_transition(dispute=dispute, to=DisputeStatus.OPEN, actor=customer, code="opened")
    if files:
        _files_store(dispute, message=None, party=Party.CUSTOMER, user=customer, files=files)
    return dispute


@transaction.atomic
def dispute_withdraw(*, customer, dispute_id: int, reason: str = "") -> Dispute:
    dispute, _party = _locked_for(dispute_id, customer, Party.CUSTOMER)
    reason = _text(reason, limit=policy.rules()["message_max_chars"])
    return dispute_transition(
        dispute=dispute, to=DisputeStatus.WITHDRAWN, actor=customer, code="withdrawn", reason=reason
    )


# --- the conversation and evidence -------------------------------------------------------------


def _files_store(dispute: Dispute, *, message, party: str, user, files, note: str = "") -> list[Evidence]:
    """Check and store a submission: each item an upload or (upload, kind). The dispute row must be
    locked (the per-dispute size limit is counted under that lock)."""
    rules = policy.evidence_rules()
    items = [item if isinstance(item, tuple) else (item, "") for item in files or () if item]
    if not items:
        return []
    if len(items) > rules["max_files_per_submission"]:
        raise DisputeError(
            "too_many_files",
            _("Attach at most %(count)d files at a time."),
            count=rules["max_files_per_submission"],
        )
    note = _text(note, limit=rules["note_max_chars"])
    kinds = []
    for upload, kind in items:
        try:
            sniffed = upload_check(upload, allowed=set(rules["kinds"]), max_bytes=rules["max_bytes_per_file"])
        except ValidationError as error:
            raise DisputeError(
                "bad_file",
                "%(name)s: %(problem)s",
                name=str(upload.name)[:80],
                problem=" ".join(error.messages),
            ) from None
        if kind and kind not in EvidenceKind.values:
            raise DisputeError("bad_evidence_kind", _("Choose what the file shows."))
        kinds.append(
            (
                sniffed,
                kind
                or (
                    EvidenceKind.SCREENSHOT
                    if sniffed in ("jpeg", "png", "gif", "webp")
                    else EvidenceKind.OTHER
                ),
            )
        )
    stored = sum(Evidence.objects.filter(dispute=dispute).values_list("size", flat=True))
    incoming = sum(upload.size for upload, _kind in items)
    if stored + incoming > rules["max_bytes_per_dispute"]:
        raise DisputeError(
            "dispute_files_full",
            _("A dispute holds at most %(limit)d MB of files; %(left)s MB are left."),
            limit=rules["max_bytes_per_dispute"] // (1024 * 1024),
            left=f"{max(0, rules['max_bytes_per_dispute'] - stored) / (1024 * 1024):.1f}",
        )
    now = timezone.now()
    late = _is_late(dispute, party, now)
    saved = []
    for (upload, _kind), (sniffed, kind) in zip(items, kinds, strict=True):
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        saved.append(
            Evidence.objects.create(
                dispute=dispute,
                message=message,
                party=party,
                uploaded_by=user,
                kind=kind,
                note=note,
                file=upload,
                original_name=str(upload.name or "file")[:200],
                content_type=KINDS[sniffed].content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                is_late=late,
                created_at=now,
            )
        )
    return saved


def _is_late(dispute: Dispute, party: str, now) -> bool:
    if party == Party.MERCHANT and dispute.response_due_at and dispute.status == DisputeStatus.OPEN:
        return now > dispute.response_due_at
    return False


@transaction.atomic
def evidence_add(*, user, dispute_id: int, files, note: str = "") -> list[Evidence]:
    """Add files to an open dispute (either party, or OKPay). Stored files never change."""
    dispute, party = _locked_for(dispute_id, user)
    if dispute.status in FINISHED_STATUSES:
        raise DisputeError("dispute_closed", _("This dispute is closed."), status=409)
    saved = _files_store(dispute, message=None, party=party, user=user, files=files, note=note)
    if not saved:
        raise DisputeError("file_required", _("Choose a file."))
    _event(
        dispute,
        kind=EventKind.EVIDENCE,
        party=party,
        actor=user,
        code="evidence_added",
        reason=note,
        amount_minor=None,
    )
    audit_event_record(
        action="dispute.evidence_added",
        actor=user,
        data={"dispute": dispute.number, "files": [e.sha256 for e in saved]},
    )
    notify.evidence_added(dispute, party=party, count=len(saved))
    return saved


@transaction.atomic
def dispute_message_add(*, user, dispute_id: int, body: str, files=()) -> DisputeMessage:
    dispute, party = _locked_for(dispute_id, user)
    if dispute.status in FINISHED_STATUSES:
        raise DisputeError("dispute_closed", _("This dispute is closed."), status=409)
    body = _text(body, limit=policy.rules()["message_max_chars"], required=True)
    message = DisputeMessage.objects.create(dispute=dispute, author=user, party=party, body=body)
    _files_store(dispute, message=message, party=party, user=user, files=files)
    if party == Party.MERCHANT and dispute.merchant_answered_at is None:
        dispute.merchant_answered_at = message.created_at
        dispute.save(update_fields=["merchant_answered_at"])
    dispute.updated_at = message.created_at
    dispute.save(update_fields=["updated_at"])
    notify.message_added(dispute, message)
    return message


# --- the merchant -------------------------------------------------------------------------------


@transaction.atomic
def dispute_merchant_refuse(*, merchant, dispute_id: int, body: str) -> Dispute:
    """The merchant will not do what the customer asks: the customer may open the dispute now."""
    dispute, _party = _locked_for(dispute_id, merchant, Party.MERCHANT)
    if dispute.status != DisputeStatus.MERCHANT_CONTACT or dispute.merchant_refused_at is not None:
        raise DisputeError("not_in_contact", _("This conversation is past that step."), status=409)
    body = _text(
        body, limit=policy.rules()["message_max_chars"], required=True, what=_("Tell the customer why.")
    )
    message = DisputeMessage.objects.create(dispute=dispute, author=merchant, party=Party.MERCHANT, body=body)
    dispute.merchant_refused_at = message.created_at
    dispute.merchant_answered_at = dispute.merchant_answered_at or message.created_at
    dispute.save(update_fields=["merchant_refused_at", "merchant_answered_at"])
    _event(
        dispute,
        kind=EventKind.STATUS,
        party=Party.MERCHANT,
        actor=merchant,
        code="merchant_refused",
        reason=body,
    )
    DisputeDeadline.objects.filter(
        dispute=dispute, kind=DeadlineKind.MERCHANT_ANSWER, fired_at__isnull=True, canceled_at__isnull=True
    ).update(canceled_at=timezone.now())
    audit_event_record(action="dispute.merchant_refused", actor=merchant, data={"dispute": dispute.number})
    notify.merchant_refused(dispute, message)
    return dispute


@transaction.atomic
def dispute_merchant_accept(*, merchant, dispute_id: int, statement: str = "") -> Dispute:
    """The merchant refunds the disputed amount: resolved for the customer, from the hold."""
    dispute, _party = _locked_for(dispute_id, merchant, Party.MERCHANT)
    statement = _text(statement, limit=policy.rules()["message_max_chars"])
    return dispute_transition(
        dispute=dispute,
        to=DisputeStatus.RESOLVED_CUSTOMER,
        actor=merchant,
        code="merchant_accepted",
        reason=statement,
        outcome=Outcome.REFUND_FULL,
    )


@transaction.atomic
def dispute_merchant_contest(*, merchant, dispute_id: int, statement: str, files=()) -> Dispute:
    """The merchant disagrees, with a statement and evidence: OKPay reviews."""
    dispute, _party = _locked_for(dispute_id, merchant, Party.MERCHANT)
    statement = _text(
        statement,
        limit=policy.rules()["description_max_chars"],
        required=True,
        what=_("Explain why you contest the dispute."),
    )
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeError("not_open", _("This dispute is not waiting for your response."), status=409)
    _files_store(dispute, message=None, party=Party.MERCHANT, user=merchant, files=files)
    return dispute_transition(
        dispute=dispute,
        to=DisputeStatus.MERCHANT_RESPONDED,
        actor=merchant,
        code="merchant_contested",
        reason=statement,
    )


# --- OKPay -------------------------------------------------------------------------------------------


@transaction.atomic
def dispute_review_start(*, reviewer, dispute_id: int) -> Dispute:
    """Take a dispute from the queue. An appeal is taken by someone other than the first decision's
    reviewer (it stays `appealed` and is assigned)."""
    dispute, _party = _locked_for(dispute_id, reviewer, Party.OKPAY)
    if not roles.can_decide_disputes(reviewer):
        raise DisputeError("forbidden", _("You may not change this dispute this way."), status=403)
    if dispute.status == DisputeStatus.APPEALED:
        _second_reviewer_check(dispute, reviewer)
        dispute.assigned_to = reviewer
        dispute.save(update_fields=["assigned_to"])
        _event(
            dispute, kind=EventKind.STATUS, party=Party.OKPAY, actor=reviewer, code="appeal_review_started"
        )
        return dispute
    return dispute_transition(
        dispute=dispute, to=DisputeStatus.UNDER_REVIEW, actor=reviewer, code="review_started"
    )


def _second_reviewer_check(dispute: Dispute, reviewer) -> None:
    if dispute.decided_by_id is not None and dispute.decided_by_id == reviewer.pk:
        raise DisputeError(
            "same_reviewer",
            _("An appeal is decided by another reviewer than the first decision's."),
            status=403,
        )


@transaction.atomic
def dispute_decide(
    *,
    reviewer,
    dispute_id: int,
    outcome: str,
    amount_minor: int | None = None,
    note_customer: str,
    note_merchant: str,
) -> Dispute:
    """OKPay's decision, with a note written for each party (both required)."""
    dispute, _party = _locked_for(dispute_id, reviewer, Party.OKPAY)
    limit = policy.rules()["decision_note_max_chars"]
    note_customer = _text(
        note_customer, limit=limit, required=True, what=_("Write the decision's reason for the customer.")
    )
    note_merchant = _text(
        note_merchant, limit=limit, required=True, what=_("Write the decision's reason for the merchant.")
    )
    if outcome not in Outcome.values:
        raise DisputeError("outcome_required", _("Choose a decision."))
    if dispute.status == DisputeStatus.APPEALED:
        _second_reviewer_check(dispute, reviewer)
        to, code = DisputeStatus.FINAL, "appeal_decided"
    else:
        to, code = OUTCOME_STATUS[Outcome(outcome)], "decided"
    return dispute_transition(
        dispute=dispute,
        to=to,
        actor=reviewer,
        code=code,
        outcome=outcome,
        refund_minor=amount_minor,
        note_customer=note_customer,
        note_merchant=note_merchant,
    )


@transaction.atomic
def dispute_note_add(*, author, dispute_id: int, body: str) -> DisputeNote:
    """An internal note: staff only."""
    dispute, _party = _locked_for(dispute_id, author, Party.OKPAY)
    body = _text(body, limit=policy.rules()["message_max_chars"], required=True)
    return DisputeNote.objects.create(dispute=dispute, author=author, body=body)


# --- appeals -----------------------------------------------------------------------------------------


@transaction.atomic
def dispute_appeal(*, user, dispute_id: int, reason: str, files) -> Dispute:
    """The losing side appeals a reviewer's decision once, within the window, with new evidence."""
    dispute, party = _locked_for(dispute_id, user, Party.CUSTOMER, Party.MERCHANT)
    if dispute.status not in RESOLVED_STATUSES or dispute.decided_by_id is None:
        raise DisputeError(
            "not_appealable", _("Only a decision by OKPay's reviewers can be appealed."), status=409
        )
    if dispute.appealed_by:
        raise DisputeError("already_appealed", _("A dispute can be appealed only once."), status=409)
    if dispute.appeal_until and timezone.now() > dispute.appeal_until:
        raise DisputeError("appeal_window_closed", _("The time to appeal has passed."), status=409)
    if not dispute_transition_allowed(dispute=dispute, to=DisputeStatus.APPEALED, actor=user):
        raise DisputeError(
            "not_the_losing_side", _("Only the side the decision went against can appeal."), status=403
        )
    reason = _text(
        reason,
        limit=policy.rules()["description_max_chars"],
        required=True,
        what=_("Explain why the decision should change."),
    )
    if not _files_store(dispute, message=None, party=party, user=user, files=files):
        raise DisputeError(
            "new_evidence_required", _("An appeal needs new evidence: attach at least one file.")
        )
    return dispute_transition(
        dispute=dispute, to=DisputeStatus.APPEALED, actor=user, code="appealed", reason=reason
    )


# --- deadlines and the sweep --------------------------------------------------------------------------


def dispute_deadline_fire(*, deadline_id: int) -> bool:
    """Fire one deadline: once, only when due, and only if the dispute is still in the state the
    deadline was set for (otherwise it is cancelled). Returns whether it fired."""
    row = DisputeDeadline.objects.filter(pk=deadline_id).values("dispute_id").first()
    if row is None:
        return False
    with transaction.atomic():
        dispute = _locked(row["dispute_id"])  # the dispute first, as every other action
        deadline = DisputeDeadline.objects.select_for_update().get(pk=deadline_id)
        now = timezone.now()
        if deadline.fired_at or deadline.canceled_at or deadline.due_at > now:
            return False
        if dispute.status != deadline.for_status:
            deadline.canceled_at = now
            deadline.save(update_fields=["canceled_at"])
            return False
        deadline.fired_at = now
        deadline.save(update_fields=["fired_at"])
        if deadline.kind == DeadlineKind.MERCHANT_ANSWER:
            _event(dispute, kind=EventKind.DEADLINE, party=Party.SYSTEM, code="merchant_answer_time_over")
            notify.may_open_now(dispute)
        elif deadline.kind == DeadlineKind.MERCHANT_REMINDER:
            notify.merchant_reminder(dispute)
        elif deadline.kind == DeadlineKind.MERCHANT_RESPONSE:
            dispute_transition(
                dispute=dispute,
                to=DisputeStatus.RESOLVED_CUSTOMER,
                actor=SYSTEM,
                code="merchant_no_response",
                outcome=Outcome.REFUND_FULL,
            )
        elif deadline.kind == DeadlineKind.REVIEW:
            audit_event_record(action="dispute.review_overdue", data={"dispute": dispute.number})
            notify.review_overdue(dispute)
        elif deadline.kind == DeadlineKind.APPEAL_WINDOW:
            dispute_transition(
                dispute=dispute, to=DisputeStatus.FINAL, actor=SYSTEM, code="appeal_window_closed"
            )
        return True


def disputes_deadlines_due(*, now=None) -> int:
    now = now or timezone.now()
    due = DisputeDeadline.objects.filter(
        fired_at__isnull=True, canceled_at__isnull=True, due_at__lte=now
    ).values_list("pk", flat=True)[:500]
    return sum(dispute_deadline_fire(deadline_id=pk) for pk in list(due))


def dispute_debts_collect() -> int:
    """Take what a party owes (OKPay advanced it at a decision) from its available balance, as far as
    it goes. Returns how many disputes were collected from."""
    collected = 0
    owing = Dispute.objects.filter(merchant_owes_minor__gt=0) | Dispute.objects.filter(
        customer_owes_minor__gt=0
    )
    for pk in list(owing.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            dispute = _locked(pk)
            for debtor, field in (
                (dispute.merchant, "merchant_owes_minor"),
                (dispute.customer, "customer_owes_minor"),
            ):
                owed = getattr(dispute, field)
                if owed <= 0:
                    continue
                debtor_account = wallet_account(debtor, dispute.currency)
                advances = system_account("dispute_advances", dispute.currency)
                locked = accounts_lock([debtor_account.pk, advances.pk])
                take = min(owed, max(0, locked[debtor_account.pk].available_balance))
                if take <= 0:
                    continue
                step = dispute.events.filter(kind=EventKind.MONEY, code="collected").count()
                description = str(_("Dispute %(number)s: amount owed") % {"number": dispute.number})
                try:
                    entry = entry_create(
                        key=f"dispute:{dispute.pk}:collect:{step}",
                        kind=EntryKind.DISPUTE_ADJUSTMENT,
                        reference=f"dispute:{dispute.pk}",
                        description=description,
                        lines=[Line(debtor_account, Side.DEBIT, take), Line(advances, Side.CREDIT, take)],
                    )
                except WalletError:
                    continue
                transaction_record(
                    user=debtor,
                    kind=TransactionKind.DISPUTE_ADJUSTMENT,
                    status=TransactionStatus.COMPLETED,
                    amount_minor=-take,
                    currency=dispute.currency,
                    reference=f"dispute:{dispute.pk}",
                    entry=entry,
                    counterparty="OKPay",
                    description=description,
                )
                setattr(dispute, field, owed - take)
                dispute.save(update_fields=[field])
                _event(dispute, kind=EventKind.MONEY, party=Party.SYSTEM, code="collected", amount_minor=take)
                collected += 1
    return collected


# re-exported for views that show who may still act
__all__ = [
    "HELD_STATUSES",
    "dispute_appeal",
    "dispute_contact_start",
    "dispute_deadline_fire",
    "dispute_debts_collect",
    "dispute_decide",
    "dispute_merchant_accept",
    "dispute_merchant_contest",
    "dispute_merchant_refuse",
    "dispute_message_add",
    "dispute_note_add",
    "dispute_open",
    "dispute_review_start",
    "dispute_transition",
    "dispute_withdraw",
    "disputes_deadlines_due",
    "evidence_add",
    "may_open",
    "party_of",
]
