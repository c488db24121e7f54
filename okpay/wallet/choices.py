from django.db import models
from django.utils.translation import gettext_lazy as _


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


class TransactionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UNDER_REVIEW = "under_review", _("Under review")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


WALLET_CURRENCIES = ("CNY", "USD", "EUR", "HKD")
