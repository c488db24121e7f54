"""Wallet state changes: demo top-ups, payments to merchants, refunds. Each writes the ledger entry,
the history rows of both sides and an audit event in one transaction."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core.audit import audit_event_record

from .choices import EntryKind, Side, TransactionKind, TransactionStatus
from .errors import WalletError
from .ledger import Line, entry_create, system_account, wallet_account
from .models import Payment, PaymentLink, Refund, Transaction, TransactionEvent
from .money import MAX_AMOUNT_MINOR, merchant_fee, payment_amount_check, supported_currency


def transaction_record(**fields) -> Transaction:
    """Write a history row and its first timeline event (the fields of `transaction_build`)."""
    row, event = transaction_build(**fields)
    row.save(force_insert=True)
    event.transaction = row
    event.save(force_insert=True)
    return row


def transaction_build(
    *,
    user,
    kind: str,
    status: str,
    amount_minor: int,
    currency: str,
    reference: str,
    entry=None,
    fee_minor: int = 0,
    counterparty: str = "",
    description: str = "",
    note: str = "",
) -> tuple[Transaction, TransactionEvent]:
    """The history row and its first timeline event that `transaction_record` writes, not saved yet:
    for a caller whose database function writes them among its own rows."""
    now = timezone.now()
    row = Transaction(
        user=user,
        kind=kind,
        status=status,
        amount_minor=amount_minor,
        fee_minor=fee_minor,
        currency=currency,
        counterparty=counterparty[:200],
        description=description[:200],
        reference=reference,
        entry=entry,
        created_at=now,
        updated_at=now,
    )
    return row, TransactionEvent(status=status, note=note[:300], created_at=now)


def transaction_status_set(*, row: Transaction, status: str, note: str = "") -> Transaction:
    row.status, row.updated_at = status, timezone.now()
    row.save(update_fields=["status", "updated_at"])
    TransactionEvent.objects.create(transaction=row, status=status, note=note[:300])
    return row


def _check_amount(amount_minor: int) -> None:
    if not isinstance(amount_minor, int) or amount_minor <= 0 or amount_minor > MAX_AMOUNT_MINOR:
        raise WalletError("invalid_amount", _("Enter the amount as a number, e.g. 100.50."))


@transaction.atomic
def topup_demo(*, user, amount_minor: int, currency: str, key: str) -> Transaction:
    """Demo only: money arrives from "the outside world". In production top-ups come from a provider."""
    _check_amount(amount_minor)
    currency = supported_currency(currency)
    entry = entry_create(
        key=f"topup:{user.pk}:{key}",
        kind=EntryKind.TOPUP,
        reference=f"topup:{user.pk}",
        description="demo top-up",
        created_by=user,
        lines=[
            Line(system_account("external", currency), Side.DEBIT, amount_minor),
            Line(wallet_account(user, currency), Side.CREDIT, amount_minor),
        ],
    )
    row = transaction_record(
        user=user,
        kind=TransactionKind.TOPUP,
        status=TransactionStatus.COMPLETED,
        amount_minor=amount_minor,
        currency=currency,
        reference=f"entry:{entry.pk}",
        entry=entry,
        counterparty="OKPay",
        description=str(_("Demo top-up")),
    )
    audit_event_record(
        action="wallet.topup", actor=user, data={"amount_minor": amount_minor, "currency": currency}
    )
    return row


@transaction.atomic
def payment_create(
    *,
    customer,
    merchant,
    amount_minor: int,
    currency: str,
    description: str,
    key: str,
    link: PaymentLink | None = None,
) -> Payment:
    currency = supported_currency(currency)
    payment_amount_check(amount_minor, currency)
    if not roles.is_merchant(merchant):  # an inactive merchant is no merchant
        raise WalletError("not_a_merchant", _("This merchant cannot accept payments."))
    if merchant.pk == customer.pk:
        raise WalletError("self_payment", _("You cannot pay yourself."))
    fee = merchant_fee(amount_minor)
    lines = [
        Line(wallet_account(customer, currency), Side.DEBIT, amount_minor),
        Line(wallet_account(merchant, currency), Side.CREDIT, amount_minor - fee),
    ]
    if fee:
        lines.append(Line(system_account("fee_revenue", currency), Side.CREDIT, fee))
    entry = entry_create(
        key=f"payment:{customer.pk}:{key}",
        kind=EntryKind.PAYMENT,
        lines=lines,
        created_by=customer,
        description=description,
        reference="payment:new",
    )
    payment = Payment.objects.create(
        customer=customer,
        merchant=merchant,
        amount_minor=amount_minor,
        currency=currency,
        fee_minor=fee,
        description=description[:200],
        payment_link=link,
        entry=entry,
    )
    entry.reference = f"payment:{payment.pk}"
    entry.save(update_fields=["reference"])
    transaction_record(
        user=customer,
        kind=TransactionKind.PAYMENT,
        status=TransactionStatus.COMPLETED,
        amount_minor=-amount_minor,
        currency=currency,
        reference=entry.reference,
        entry=entry,
        counterparty=merchant.display_name,
        description=description,
    )
    transaction_record(
        user=merchant,
        kind=TransactionKind.PAYMENT_RECEIVED,
        status=TransactionStatus.COMPLETED,
        amount_minor=amount_minor - fee,
        fee_minor=fee,
        currency=currency,
        reference=entry.reference,
        entry=entry,
        counterparty=customer.display_name,
        description=description,
    )
    audit_event_record(
        action="wallet.payment",
        actor=customer,
        data={"payment": payment.pk, "amount_minor": amount_minor, "currency": currency},
    )
    return payment


@transaction.atomic
def refund_create(*, merchant, payment: Payment, amount_minor: int, reason: str, key: str) -> Refund:
    """Full or partial refund from the merchant's balance; never more than is left to refund. The
    merchant fee is not returned (policy)."""
    _check_amount(amount_minor)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.merchant_id != merchant.pk:
        raise WalletError("not_found", _("Payment not found."))
    if amount_minor > payment.refundable_minor:
        raise WalletError("refund_too_large", _("You can refund at most the amount not yet refunded."))
    entry = entry_create(
        key=f"refund:{payment.pk}:{key}",
        kind=EntryKind.REFUND,
        created_by=merchant,
        reference=f"payment:{payment.pk}",
        description=reason,
        lines=[
            Line(wallet_account(merchant, payment.currency), Side.DEBIT, amount_minor),
            Line(wallet_account(payment.customer, payment.currency), Side.CREDIT, amount_minor),
        ],
    )
    refund = payment_refund_record(
        payment=payment, amount_minor=amount_minor, entry=entry, created_by=merchant, reason=reason
    )
    audit_event_record(
        action="wallet.refund",
        actor=merchant,
        subject_user=payment.customer,
        data={"payment": payment.pk, "amount_minor": amount_minor},
    )
    return refund


def payment_refund_record(
    *, payment: Payment, amount_minor: int, entry, created_by, reason: str, description: str = ""
) -> Refund:
    """The records of money already moved back to a payment's customer (by the merchant, or by a
    dispute's decision): the refund row, the payment's refunded total and status, both history rows.
    `payment` must be locked by the caller (select_for_update)."""
    refund = Refund.objects.create(
        payment=payment, amount_minor=amount_minor, reason=reason[:300], created_by=created_by, entry=entry
    )
    payment.refunded_minor += amount_minor
    payment.save(update_fields=["refunded_minor"])
    payment_status_refresh(payment=payment, note=reason)
    transaction_record(
        user=payment.customer,
        kind=TransactionKind.REFUND,
        status=TransactionStatus.COMPLETED,
        amount_minor=amount_minor,
        currency=payment.currency,
        reference=f"payment:{payment.pk}",
        entry=entry,
        counterparty=payment.merchant.display_name,
        description=description or reason or payment.description,
    )
    transaction_record(
        user=payment.merchant,
        kind=TransactionKind.REFUND_ISSUED,
        status=TransactionStatus.COMPLETED,
        amount_minor=-amount_minor,
        currency=payment.currency,
        reference=f"payment:{payment.pk}",
        entry=entry,
        counterparty=payment.customer.display_name,
        description=description or reason or payment.description,
    )
    return refund


def payment_status_refresh(*, payment: Payment, note: str = "") -> None:
    """Set both history rows of a payment to what its refunded total says (completed, partially
    refunded, refunded), with a timeline event when that changes."""
    if payment.refunded_minor <= 0:
        status = TransactionStatus.COMPLETED
    elif payment.refundable_minor == 0:
        status = TransactionStatus.REFUNDED
    else:
        status = TransactionStatus.PARTIALLY_REFUNDED
    for row in Transaction.objects.filter(
        reference=f"payment:{payment.pk}",
        kind__in=[TransactionKind.PAYMENT, TransactionKind.PAYMENT_RECEIVED],
    ):
        transaction_status_set(row=row, status=status, note=note)


def payment_link_create(*, merchant, amount_minor: int, currency: str, description: str) -> PaymentLink:
    currency = supported_currency(currency)
    payment_amount_check(amount_minor, currency)
    if not roles.is_merchant(merchant):
        raise WalletError("not_a_merchant", _("Only merchants can create payment links."))
    link = PaymentLink.objects.create(
        merchant=merchant,
        token=secrets.token_urlsafe(12),
        amount_minor=amount_minor,
        currency=currency,
        description=description[:200],
    )
    audit_event_record(action="wallet.payment_link_created", actor=merchant, data={"link": link.pk})
    return link
