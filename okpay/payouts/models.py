"""Where a customer's withdrawals go. A destination is never edited: a changed account is a new
destination (re-authenticated, notified, cooling off) and the old one is removed; removed ones stay
for the withdrawals that used them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CardBrand, DestinationKind, EWalletProvider


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
