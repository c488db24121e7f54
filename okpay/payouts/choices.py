"""Payout destinations (kinds, e-wallet providers; the Chinese banks are data: data/cn_banks.json) and
withdrawals (methods, speeds, states and their one transition table, failure codes)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.accounts.roles import can_decide_reviews, can_operate_payouts
from okpay.core.transitions import CUSTOMER, SYSTEM, Table


class DestinationKind(models.TextChoices):
    IBAN = "iban", _("Bank account (IBAN)")
    CN_BANK_CARD = "cn_bank_card", _("Chinese bank card (bank transfer)")
    DEBIT_CARD = "debit_card", _("Debit card")
    EWALLET = "ewallet", _("E-wallet account")


class EWalletProvider(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    PAYPAL = "paypal", _("PayPal")


class CardBrand(models.TextChoices):
    UNIONPAY = "unionpay", _("UnionPay")
    VISA = "visa", _("Visa")
    MASTERCARD = "mastercard", _("Mastercard")
    OTHER = "other", _("Card")


class Speed(models.TextChoices):
    STANDARD = "standard", _("Standard")
    INSTANT = "instant", _("Instant")


class Method(models.TextChoices):
    """How the money travels (data/withdrawals.json has each one's fee and arrival time)."""

    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD_STANDARD = "card_standard", _("Debit card, standard")
    CARD_INSTANT = "card_instant", _("Debit card, instant")
    EWALLET = "ewallet", _("E-wallet")


class PayoutProvider(models.TextChoices):
    """Who pays withdrawals out (providers.py; OKPAY_PAYOUT_PROVIDER)."""

    MANUAL = "manual", _("Manual (payout operators)")
    SANDBOX = "sandbox", _("Sandbox")


class WithdrawalStatus(models.TextChoices):
    """The labels are the ones the help center's articles use (待处理 → 审核中 → 转出中 → 已到账)."""

    REQUESTED = "requested", pgettext_lazy("withdrawal status", "Pending")
    UNDER_REVIEW = "under_review", _("Under review")
    PROCESSING = "processing", pgettext_lazy("withdrawal status", "In transit")
    PAID = "paid", pgettext_lazy("withdrawal status", "Paid")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class FailureCode(models.TextChoices):
    ACCOUNT_CLOSED = "account_closed", _("The receiving account is closed.")
    INVALID_ACCOUNT = "invalid_account_number", _("The receiving account number is not valid.")
    NAME_MISMATCH = "name_mismatch", _("The account holder's name does not match the account.")
    DECLINED = "declined", _("The receiving bank or provider declined the payment.")
    COULD_NOT_PROCESS = "could_not_process", _("The payment could not be processed.")


# The one table of a withdrawal's life (okpay.core.transitions): CUSTOMER is the withdrawal's owner;
# SYSTEM the payout provider's callbacks and scheduled tasks; can_operate_payouts the operators who run
# the manual provider; can_decide_reviews who approves or rejects a withdrawal held for review. Paid,
# failed, canceled and rejected are final. Only withdrawals.withdrawal_transition changes a status; the
# held money follows it there.
WITHDRAWAL_TRANSITIONS: Table = {
    WithdrawalStatus.REQUESTED: {
        WithdrawalStatus.PROCESSING: (SYSTEM, can_operate_payouts),
        WithdrawalStatus.CANCELED: (CUSTOMER,),
    },
    WithdrawalStatus.UNDER_REVIEW: {
        WithdrawalStatus.REQUESTED: (can_decide_reviews,),
        WithdrawalStatus.REJECTED: (can_decide_reviews,),
        WithdrawalStatus.CANCELED: (CUSTOMER, SYSTEM),
    },
    WithdrawalStatus.PROCESSING: {
        WithdrawalStatus.PAID: (SYSTEM, can_operate_payouts),
        WithdrawalStatus.FAILED: (SYSTEM, can_operate_payouts),
    },
    WithdrawalStatus.PAID: {},
    WithdrawalStatus.FAILED: {},
    WithdrawalStatus.CANCELED: {},
    WithdrawalStatus.REJECTED: {},
}
OPEN_STATUSES = (WithdrawalStatus.REQUESTED, WithdrawalStatus.UNDER_REVIEW, WithdrawalStatus.PROCESSING)
