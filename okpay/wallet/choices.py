from django.db import models
from django.utils.translation import gettext_lazy as _

from okpay.accounts.roles import can_decide_reviews
from okpay.core.transitions import CUSTOMER, SYSTEM, Table


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    REVENUE = "revenue", _("Revenue")
    EXPENSE = "expense", _("Expense")
    EQUITY = "equity", _("Equity")


class Side(models.TextChoices):
    DEBIT = "debit", _("Debit")
    CREDIT = "credit", _("Credit")


class EntryKind(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    FX = "fx", _("Currency conversion")
    FEE = "fee", _("Fee")
    DISPUTE_HOLD = "dispute_hold", _("Dispute hold")
    DISPUTE_ADJUSTMENT = "dispute_adjust", _("Dispute adjustment")
    REVERSAL = "reversal", _("Reversal")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")
    EXPIRED = "expired", _("Expired")


class TransactionKind(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    PAYMENT = "payment", _("Payment")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    REFUND = "refund", _("Refund")
    REFUND_ISSUED = "refund_issued", _("Refund issued")
    INTERNATIONAL = "international", _("International transfer")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    DISPUTE_HOLD = "dispute_hold", _("Dispute hold")
    DISPUTE_ADJUSTMENT = "dispute_adjustment", _("Dispute adjustment")


class TransactionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UNDER_REVIEW = "under_review", _("Under review")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class TransferStatus(models.TextChoices):
    """An international transfer's status (the customer's receipt shows these labels)."""

    UNDER_REVIEW = "under_review", _("Under compliance review")
    PENDING = "pending", _("Processing")
    PAID = "paid", _("Paid out")
    CANCELED = "canceled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")
    BLOCKED = "blocked", _("Refused by screening")


# Screening decides the first status when the transfer is submitted
# (international.actions.international_submit): allow → pending, review → under_review (money held),
# block → blocked (nothing held).
TRANSFER_INITIAL_STATUSES = (TransferStatus.PENDING, TransferStatus.UNDER_REVIEW, TransferStatus.BLOCKED)
# The one table of a transfer's life: {from: {to: who may}} (okpay.core.transitions). CUSTOMER is the
# sender; SYSTEM the scheduled payout and the review deadline. Besides who, two deadlines decide:
# the sender cancels only before `cancel_until`, the payout comes only after it, and a review expires
# (→ canceled) at `review_deadline`. Paid, canceled, rejected and blocked are final. A change to the
# status happens only in international.actions.transfer_transition.
TRANSFER_TRANSITIONS: Table = {
    TransferStatus.UNDER_REVIEW: {
        TransferStatus.PENDING: (can_decide_reviews,),
        TransferStatus.REJECTED: (can_decide_reviews,),
        TransferStatus.CANCELED: (CUSTOMER, SYSTEM),
    },
    TransferStatus.PENDING: {
        TransferStatus.PAID: (SYSTEM,),
        TransferStatus.CANCELED: (CUSTOMER,),
    },
    TransferStatus.PAID: {},
    TransferStatus.CANCELED: {},
    TransferStatus.REJECTED: {},
    TransferStatus.BLOCKED: {},
}
# what the customer's transaction row shows for each status a move leads to
TRANSFER_TRANSACTION_STATUS: dict[str, TransactionStatus] = {
    TransferStatus.PENDING: TransactionStatus.PENDING,
    TransferStatus.PAID: TransactionStatus.COMPLETED,
    TransferStatus.CANCELED: TransactionStatus.CANCELED,
    TransferStatus.REJECTED: TransactionStatus.FAILED,
}


WALLET_CURRENCIES = ("CNY", "USD", "EUR", "HKD")
