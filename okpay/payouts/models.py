"""Where a customer's withdrawals go. A destination is never edited: a changed account is a new
destination (re-authenticated, notified, cooling off) and the old one is removed; removed ones stay
for the withdrawals that used them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    OPEN_STATUSES,
    CardBrand,
    DestinationKind,
    EWalletProvider,
    FailureCode,
    Method,
    PayoutProvider,
    Speed,
    WithdrawalStatus,
)


class PayoutDestination(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_destinations"
    )
    kind = models.CharField(max_length=16, choices=DestinationKind.choices)
    label = models.CharField(_("name for this destination"), max_length=60, blank=True)
    holder_name = models.CharField(_("account holder"), max_length=100, blank=True)
    # IBAN (compact, upper case), Chinese bank card number or e-wallet account (email or phone);
    # empty for a debit card, whose number is never stored (card_fingerprint tells the same card)
    account = models.CharField(max_length=254, blank=True)
    country = models.CharField(max_length=2, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)  # a Chinese bank from data/cn_banks.json
    bank_name = models.CharField(max_length=140, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_brand = models.CharField(max_length=12, choices=CardBrand.choices, blank=True)
    card_fingerprint = models.CharField(max_length=64, blank=True)
    provider = models.CharField(max_length=12, choices=EWalletProvider.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # large withdrawals only after this (the cooling-off period: OKPAY_PAYOUT_COOLING_OFF)
    usable_for_large_after = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "account", "card_fingerprint", "provider"],
                condition=Q(removed_at__isnull=True),
                name="payout_destination_once_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(kind=DestinationKind.DEBIT_CARD) | Q(account=""),
                name="payout_destination_no_card_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked}"

    @property
    def masked(self) -> str:
        """What a person reads: the last four characters (an e-wallet's address half hidden)."""
        if self.kind == DestinationKind.DEBIT_CARD:
            return f"•••• {self.card_last4}"
        if self.kind == DestinationKind.EWALLET:
            name, at, domain = self.account.partition("@")
            if at:
                return f"{name[:2]}•••@{domain}"
            return f"•••• {self.account[-4:]}"
        return f"•••• {self.account[-4:]}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    @property
    def cooling_off(self) -> bool:
        return timezone.now() < self.usable_for_large_after


class Withdrawal(models.Model):
    """Money leaving a customer's wallet for one of their destinations (资金转出). `amount_minor` is
    what arrives; the fee is on top; both are held by `entry` (pending) from submission, posted when
    paid, voided when it fails, is cancelled or rejected."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    destination = models.ForeignKey(PayoutDestination, on_delete=models.PROTECT, related_name="withdrawals")
    method = models.CharField(max_length=16, choices=Method.choices)
    speed = models.CharField(max_length=10, choices=Speed.choices)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    eur_equivalent_minor = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=WithdrawalStatus.choices)
    review_reasons = models.JSONField(default=list, blank=True)
    failure_code = models.CharField(max_length=32, choices=FailureCode.choices, blank=True)
    provider = models.CharField(max_length=16, choices=PayoutProvider.choices)
    provider_reference = models.CharField(max_length=64, blank=True)
    provider_due_at = models.DateTimeField(null=True, blank=True)  # the provider's next step (sandbox)
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    entry = models.ForeignKey(
        "wallet.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction = models.ForeignKey(
        "wallet.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    estimated_arrival = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="withdrawal_key_once_per_user"),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) & Q(fee_minor__gte=0), name="withdrawal_amounts"
            ),
            models.CheckConstraint(
                condition=Q(status__in=WithdrawalStatus.values), name="withdrawal_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="withdrawal_queue")]

    def __str__(self) -> str:
        return f"WD-{self.pk}"

    @property
    def reference(self) -> str:
        return f"WD-{self.pk}"

    @property
    def total_minor(self) -> int:
        return self.amount_minor + self.fee_minor

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
