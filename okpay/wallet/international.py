"""International transfers: submit against a locked quote, screening, holds, cancel, settle, review."""

import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.audit import audit_event_record

from .actions import transaction_record, transaction_status_set
from .choices import EntryKind, Side, TransactionKind, TransactionStatus
from .errors import WalletError
from .fx import eur_equivalent_minor
from .ledger import Line, entry_create, entry_post, entry_void, system_account, wallet_account
from .locks import customer_lock
from .models import InternationalTransfer, Quote
from .screening import BLOCK, REVIEW, country_normalise, recipient_account_normalise, rules, screen


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
    if result.decision == BLOCK:
        transfer.status = "blocked"
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
    transfer.status = "under_review" if under_review else "pending"
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
    from .tasks import international_review_expire_task, international_settle_task

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


@transaction.atomic
def international_cancel(*, user, transfer_id: int) -> InternationalTransfer:
    transfer = InternationalTransfer.objects.select_for_update().filter(pk=transfer_id, user=user).first()
    if transfer is None:
        raise WalletError("not_found", _("Transfer not found."))
    if transfer.status not in ("pending", "under_review") or timezone.now() >= transfer.cancel_until:
        raise WalletError(
            "cannot_cancel",
            _(
                "This transfer can no longer be cancelled: the 30 minutes have passed or it has been paid out."
            ),
        )
    entry_void(transfer.entry)
    transfer.status = "canceled"
    transfer.save(update_fields=["status"])
    transaction_status_set(
        row=transfer.transaction, status=TransactionStatus.CANCELED, note="canceled by customer"
    )
    audit_event_record(action="wallet.international_canceled", actor=user, data={"transfer": transfer.pk})
    return transfer


@transaction.atomic
def international_settle(*, transfer_id: int) -> bool:
    """Pay out a pending transfer once its cancellation window has passed."""
    transfer = _locked(transfer_id)
    if transfer.status != "pending" or timezone.now() < transfer.cancel_until:
        return False
    entry_post(transfer.entry)
    transfer.status, transfer.paid_at = "paid", timezone.now()
    transfer.save(update_fields=["status", "paid_at"])
    transaction_status_set(row=transfer.transaction, status=TransactionStatus.COMPLETED, note="paid out")
    return True


@transaction.atomic
def international_review_decide(
    *, reviewer, transfer_id: int, approve: bool, note: str
) -> InternationalTransfer:
    if reviewer.role not in ("supervisor", "admin"):
        raise WalletError("forbidden", _("Only supervisors can decide compliance reviews."))
    if not note.strip():
        raise WalletError("note_required", _("Write a note explaining the decision."))
    transfer = _locked(transfer_id)
    if transfer.status != "under_review":
        raise WalletError("not_under_review", _("This transfer is no longer waiting for review."))
    transfer.reviewed_by, transfer.review_note, transfer.reviewed_at = (
        reviewer,
        note.strip()[:1000],
        timezone.now(),
    )
    if approve:
        transfer.status = "pending"
        transfer.save()
        transaction_status_set(
            row=transfer.transaction, status=TransactionStatus.PENDING, note="approved by compliance"
        )
        if timezone.now() >= transfer.cancel_until:
            international_settle(transfer_id=transfer.pk)
        else:
            from .tasks import international_settle_task

            _schedule(international_settle_task, transfer.cancel_until, transfer_id=transfer.pk)
    else:
        entry_void(transfer.entry)
        transfer.status = "rejected"
        transfer.save()
        transaction_status_set(
            row=transfer.transaction, status=TransactionStatus.FAILED, note="rejected by compliance"
        )
    audit_event_record(
        action="wallet.international_reviewed",
        actor=reviewer,
        subject_user=transfer.user,
        data={"transfer": transfer.pk, "approved": approve},
    )
    return transfer


@transaction.atomic
def international_review_expire(*, transfer_id: int) -> bool:
    """After the review SLA (72 h) an undecided transfer is cancelled and the funds released."""
    transfer = _locked(transfer_id)
    if (
        transfer.status != "under_review"
        or transfer.review_deadline is None
        or timezone.now() < transfer.review_deadline
    ):
        return False
    entry_void(transfer.entry)
    transfer.status = "canceled"
    transfer.save(update_fields=["status"])
    transaction_status_set(
        row=transfer.transaction,
        status=TransactionStatus.CANCELED,
        note="review not completed within 72 hours",
    )
    audit_event_record(
        action="wallet.international_review_expired",
        subject_user=transfer.user,
        data={"transfer": transfer.pk},
    )
    return True


def wallet_sweep() -> dict:
    """Run every due deadline (safety net beside the scheduled tasks)."""
    from .ledger import entries_expire

    now = timezone.now()
    settled = sum(
        international_settle(transfer_id=pk)
        for pk in InternationalTransfer.objects.filter(status="pending", cancel_until__lte=now).values_list(
            "pk", flat=True
        )
    )
    expired = sum(
        international_review_expire(transfer_id=pk)
        for pk in InternationalTransfer.objects.filter(
            status="under_review", review_deadline__lte=now
        ).values_list("pk", flat=True)
    )
    return {"settled": settled, "reviews_expired": expired, "entries_expired": entries_expire(now=now)}
