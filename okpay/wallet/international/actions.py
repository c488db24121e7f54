"""International transfers: submit against a locked quote, screening, holds, cancel, settle, review."""

import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.audit import audit_event_record
from okpay.core.transitions import SYSTEM, is_system, transition_exists, transition_permitted

from ..actions import transaction_record, transaction_status_set
from ..choices import (
    TRANSFER_TRANSACTION_STATUS,
    TRANSFER_TRANSITIONS,
    EntryKind,
    Side,
    TransactionKind,
    TransactionStatus,
    TransferStatus,
)
from ..errors import TransferTransitionForbidden, TransferTransitionRefused, WalletError
from ..fx import eur_equivalent_minor
from ..ledger import Line, entry_create, entry_post, entry_void, system_account, wallet_account
from ..locks import customer_lock
from ..models import InternationalTransfer, Quote
from .screening import BLOCK, REVIEW, country_normalise, recipient_account_normalise, rules, screen

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _schedule(task, when, **kwargs) -> None:
    """Deadlines fire as scheduled tasks; backends without deferral (tests) rely on `wallet_sweep`."""
    from django.tasks import task_backends

    if task_backends[task.backend].supports_defer:
        transaction.on_commit(lambda: task.using(run_after=when).enqueue(**kwargs))


@transaction.atomic
def international_submit(
    *,
    user,
    quote_id,
    recipient_name: str,
    recipient_country: str,
    recipient_account: str,
    recipient_address: str = "",
    sender_address: str = "",
    purpose: str = "",
    key: str,
) -> InternationalTransfer:
    recipient_country = country_normalise(recipient_country)
    recipient_account = recipient_account_normalise(recipient_account)
    recipient_name = unicodedata.normalize("NFKC", recipient_name or "").strip()
    if not recipient_name:
        raise WalletError("recipient_name_required", _("Enter the recipient's full name."))
    customer_lock(user)  # limits and review thresholds are decided per customer, one submission at a time
    quote = Quote.objects.select_for_update().filter(pk=quote_id, user=user).first()
    if quote is None:
        raise WalletError("quote_not_found", _("This quote does not exist. Start again to get a new quote."))
    now = timezone.now()
    if quote.used_at is not None:
        raise WalletError(
            "quote_used", _("This quote has already been used. Start again to get a new quote.")
        )
    if quote.expires_at <= now:
        raise WalletError(
            "quote_expired", _("This quote has expired (quotes are held for 30 minutes). Get a new quote.")
        )
    if recipient_country != quote.recipient_country:
        raise WalletError(
            "country_changed", _("The recipient's country changed since the quote. Get a new quote.")
        )
    eur = eur_equivalent_minor(quote.rate_set, quote.source_amount_minor, quote.from_currency)
    result = screen(
        user=user,
        eur_minor=eur,
        country=recipient_country,
        recipient_account=recipient_account,
        has_full_details=bool(recipient_address.strip() and sender_address.strip()),
    )
    if result.is_limit:
        raise WalletError("limit", " ".join(result.messages))
    quote.used_at = now
    quote.save(update_fields=["used_at"])
    transfer = InternationalTransfer(
        user=user,
        quote=quote,
        recipient_name=recipient_name[:140],
        recipient_country=recipient_country,
        recipient_account=recipient_account[:64],
        recipient_address=recipient_address[:200],
        sender_address=sender_address[:200],
        purpose=purpose[:140],
        decision=result.decision,
        reason_codes=result.reasons,
        eur_equivalent_minor=eur,
        created_at=now,
        cancel_until=now + timedelta(minutes=settings.OKPAY_INTERNATIONAL_CANCEL_MINUTES),
    )
    if result.decision == BLOCK:  # the first status comes from screening (TRANSFER_INITIAL_STATUSES)
        transfer.status = TransferStatus.BLOCKED
        transfer.save()
        audit_event_record(
            action="wallet.international_blocked", actor=user, data={"reasons": result.reasons}
        )
        return transfer
    entry = entry_create(
        key=f"international:{user.pk}:{key}",
        kind=EntryKind.FX,
        pending=True,
        created_by=user,
        reference=f"quote:{quote.pk}",
        description=f"to {recipient_name}"[:300],
        lines=[
            Line(wallet_account(user, quote.from_currency), Side.DEBIT, quote.total_debit_minor),
            Line(system_account("fee_revenue", quote.from_currency), Side.CREDIT, quote.fee_total_minor),
            Line(system_account("fx_clearing", quote.from_currency), Side.CREDIT, quote.source_amount_minor),
            Line(system_account("fx_clearing", quote.to_currency), Side.DEBIT, quote.target_amount_minor),
            Line(system_account("external", quote.to_currency), Side.CREDIT, quote.target_amount_minor),
        ],
    )
    transfer.entry = entry
    under_review = result.decision == REVIEW
    transfer.status = TransferStatus.UNDER_REVIEW if under_review else TransferStatus.PENDING
    if under_review:
        transfer.review_deadline = now + timedelta(hours=rules()["review_sla_hours"])
    transfer.save()
    entry.reference = f"international:{transfer.pk}"
    entry.save(update_fields=["reference"])
    transfer.transaction = transaction_record(
        user=user,
        kind=TransactionKind.INTERNATIONAL,
        status=TransactionStatus.UNDER_REVIEW if under_review else TransactionStatus.PENDING,
        amount_minor=-quote.total_debit_minor,
        fee_minor=quote.fee_total_minor,
        currency=quote.from_currency,
        reference=f"international:{transfer.pk}",
        entry=entry,
        counterparty=recipient_name,
        description=purpose,
        note=", ".join(result.reasons),
    )
    transfer.save(update_fields=["transaction"])
    audit_event_record(
        action="wallet.international_submitted",
        actor=user,
        data={"transfer": transfer.pk, "decision": result.decision, "reasons": result.reasons},
    )
    from ..tasks import international_review_expire_task, international_settle_task

    if under_review:
        _schedule(international_review_expire_task, transfer.review_deadline, transfer_id=transfer.pk)
    else:
        _schedule(international_settle_task, transfer.cancel_until, transfer_id=transfer.pk)
    return transfer


def _locked(transfer_id: int) -> InternationalTransfer:
    return (
        InternationalTransfer.objects.select_for_update(of=("self",))
        .select_related("quote", "transaction", "entry")
        .get(pk=transfer_id)
    )


# --- the transfer's state machine (choices.TRANSFER_TRANSITIONS) ----------------------------------

CANCEL_REFUSED = _(
    "This transfer can no longer be cancelled: the 30 minutes have passed or it has been paid out."
)
# the refusal a customer or a reviewer reads for a move that is not (or no longer) possible
REFUSALS: "dict[str, tuple[str, StrOrPromise]]" = {
    TransferStatus.CANCELED: ("cannot_cancel", CANCEL_REFUSED),
    TransferStatus.PENDING: ("not_under_review", _("This transfer is no longer waiting for review.")),
    TransferStatus.REJECTED: ("not_under_review", _("This transfer is no longer waiting for review.")),
}


def _status_label(status: str) -> "StrOrPromise":
    return dict(TransferStatus.choices).get(status, status)


def transfer_transition_allowed(*, transfer: InternationalTransfer, to: str, actor) -> bool:
    """Whether the table has the move and lets `actor` make it (the sender is the customer)."""
    is_customer = not is_system(actor) and getattr(actor, "pk", None) == transfer.user_id
    return transition_permitted(
        TRANSFER_TRANSITIONS, transfer.status, to, actor=actor, is_customer=is_customer
    )


def transfer_cancellable(*, transfer: InternationalTransfer, actor, now=None) -> bool:
    """The sender may cancel while the transfer is held or pending and the 30 minutes are not over."""
    return (
        transfer_transition_allowed(transfer=transfer, to=TransferStatus.CANCELED, actor=actor)
        and (now or timezone.now()) < transfer.cancel_until
    )


def transfer_in_progress(transfer: InternationalTransfer) -> bool:
    """Still on its way (held or pending: its status has moves left), so an estimated arrival means
    something; paid, canceled, rejected and blocked are final."""
    return bool(TRANSFER_TRANSITIONS.get(transfer.status))


def transfer_transition_check(*, transfer: InternationalTransfer, to: str, actor) -> None:
    """Raises TransferTransitionRefused (409; the same status included) for a move not in the table
    and TransferTransitionForbidden (403) for one this actor may not make. Changes nothing."""
    if not transition_exists(TRANSFER_TRANSITIONS, transfer.status, to):
        code, message = REFUSALS.get(
            to,
            (
                "illegal_transition",
                _("An international transfer cannot move from “%(current)s” to “%(target)s”."),
            ),
        )
        raise TransferTransitionRefused(
            code, message, current=_status_label(transfer.status), target=_status_label(to)
        )
    if not transfer_transition_allowed(transfer=transfer, to=to, actor=actor):
        if to in (TransferStatus.PENDING, TransferStatus.REJECTED):
            raise TransferTransitionForbidden(
                "forbidden", _("Only supervisors can decide compliance reviews.")
            )
        raise TransferTransitionForbidden("forbidden", _("You do not have permission to do this."))


def _transition_audit_action(to: str, actor) -> str | None:
    """The audit row of a move (the payout is the system's routine step: the timeline records it)."""
    if to == TransferStatus.PAID:
        return None
    if to == TransferStatus.CANCELED:
        return "wallet.international_review_expired" if is_system(actor) else "wallet.international_canceled"
    return "wallet.international_reviewed"


@transaction.atomic
def transfer_transition(
    *, transfer: InternationalTransfer, to: str, actor, note: str = ""
) -> InternationalTransfer:
    """The one place a transfer's status changes. Locks the transfer, checks the move against
    choices.TRANSFER_TRANSITIONS and the actor's right to make it (`actor` is a user or
    core.transitions.SYSTEM), then in the same transaction: the held money follows (paid → the
    ledger entry is posted; canceled or rejected → it is voided and the money released), the
    customer's transaction row and its timeline get the new status with `note`, and the audit row is
    written. A refused move raises and changes nothing. Deadlines are the callers' (cancel, settle,
    expire) to check. Returns the locked, current transfer."""
    transfer = _locked(transfer.pk)
    transfer_transition_check(transfer=transfer, to=to, actor=actor)
    entry, row = transfer.entry, transfer.transaction
    if entry is None or row is None:  # only a blocked transfer has neither, and it has no moves
        raise RuntimeError(f"international transfer {transfer.pk} has no ledger entry or transaction row")
    previous, now = transfer.status, timezone.now()
    fields = ["status"]
    if to == TransferStatus.PAID:
        entry_post(entry)
        transfer.paid_at = now
        fields.append("paid_at")
    elif to in (TransferStatus.CANCELED, TransferStatus.REJECTED):
        entry_void(entry)
    transfer.status = to
    transfer.save(update_fields=fields)
    transaction_status_set(row=row, status=TRANSFER_TRANSACTION_STATUS[to], note=note)
    action = _transition_audit_action(to, actor)
    if action is not None:
        data = {"transfer": transfer.pk, "from": previous, "to": to}
        if to in (TransferStatus.PENDING, TransferStatus.REJECTED):
            data["approved"] = to == TransferStatus.PENDING
        audit_event_record(action=action, actor=actor, subject_user=transfer.user, data=data)
    return transfer


# --- actions ---------------------------------------------------------------------------------------


@transaction.atomic
def international_cancel(*, user, transfer_id: int) -> InternationalTransfer:
    """The sender cancels within 30 minutes; the held money is released."""
    transfer = InternationalTransfer.objects.select_for_update().filter(pk=transfer_id, user=user).first()
    if transfer is None:
        raise WalletError("not_found", _("Transfer not found."))
    if not transfer_cancellable(transfer=transfer, actor=user):
        raise TransferTransitionRefused("cannot_cancel", CANCEL_REFUSED)
    return transfer_transition(
        transfer=transfer, to=TransferStatus.CANCELED, actor=user, note="canceled by customer"
    )


@transaction.atomic
def international_settle(*, transfer_id: int) -> bool:
    """Pay out a pending transfer once its cancellation window has passed (False: not due, or no
    longer pending — a task may arrive after a cancel)."""
    transfer = _locked(transfer_id)
    if (
        not transfer_transition_allowed(transfer=transfer, to=TransferStatus.PAID, actor=SYSTEM)
        or timezone.now() < transfer.cancel_until
    ):
        return False
    transfer_transition(transfer=transfer, to=TransferStatus.PAID, actor=SYSTEM, note="paid out")
    return True


@transaction.atomic
def international_review_decide(
    *, reviewer, transfer_id: int, approve: bool, note: str
) -> InternationalTransfer:
    """A supervisor approves (→ pending; paid out once the 30 minutes are over) or rejects (→ the
    money is released) a held transfer, with a note."""
    transfer = _locked(transfer_id)
    to = TransferStatus.PENDING if approve else TransferStatus.REJECTED
    transfer_transition_check(transfer=transfer, to=to, actor=reviewer)
    if not note.strip():
        raise WalletError("note_required", _("Write a note explaining the decision."))
    transfer.reviewed_by, transfer.review_note, transfer.reviewed_at = (
        reviewer,
        note.strip()[:1000],
        timezone.now(),
    )
    transfer.save(update_fields=["reviewed_by", "review_note", "reviewed_at"])
    transfer = transfer_transition(
        transfer=transfer,
        to=to,
        actor=reviewer,
        note="approved by compliance" if approve else "rejected by compliance",
    )
    if approve:
        if timezone.now() >= transfer.cancel_until:
            international_settle(transfer_id=transfer.pk)
        else:
            from ..tasks import international_settle_task

            _schedule(international_settle_task, transfer.cancel_until, transfer_id=transfer.pk)
    return transfer


@transaction.atomic
def international_review_expire(*, transfer_id: int) -> bool:
    """After the review SLA (72 h) an undecided transfer is cancelled and the funds released (False:
    not due, or already decided)."""
    transfer = _locked(transfer_id)
    if (
        not transfer_transition_allowed(transfer=transfer, to=TransferStatus.CANCELED, actor=SYSTEM)
        or transfer.review_deadline is None
        or timezone.now() < transfer.review_deadline
    ):
        return False
    transfer_transition(
        transfer=transfer,
        to=TransferStatus.CANCELED,
        actor=SYSTEM,
        note="review not completed within 72 hours",
    )
    return True


def wallet_sweep() -> dict:
    """Run every due deadline (safety net beside the scheduled tasks)."""
    from ..ledger import entries_expire

    now = timezone.now()
    settled = sum(
        international_settle(transfer_id=pk)
        for pk in InternationalTransfer.objects.filter(
            status=TransferStatus.PENDING, cancel_until__lte=now
        ).values_list("pk", flat=True)
    )
    expired = sum(
        international_review_expire(transfer_id=pk)
        for pk in InternationalTransfer.objects.filter(
            status=TransferStatus.UNDER_REVIEW, review_deadline__lte=now
        ).values_list("pk", flat=True)
    )
    return {"settled": settled, "reviews_expired": expired, "entries_expired": entries_expire(now=now)}
