"""Double-entry ledger (domain.md § Ledger) and the customer-facing records built on it."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    AccountKind,
    EntryKind,
    EntryStatus,
    Side,
    TransactionKind,
    TransactionStatus,
    TransferStatus,
)


class LedgerAccount(models.Model):
    code = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    normal_balance = models.CharField(max_length=6, choices=Side.choices)
    currency = models.CharField(max_length=3)
    allow_negative = models.BooleanField(default=False)
    posted_debits = models.BigIntegerField(default=0)
    posted_credits = models.BigIntegerField(default=0)
    pending_debits = models.BigIntegerField(default=0)
    pending_credits = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    posted_debits__gte=0, posted_credits__gte=0, pending_debits__gte=0, pending_credits__gte=0
                ),
                name="wallet_account_totals_non_negative",
            ),
            # invariant 3: an account that may not go negative never does, counting pending debits
            models.CheckConstraint(
                condition=Q(allow_negative=True)
                | Q(normal_balance=Side.CREDIT, posted_credits__gte=F("posted_debits") + F("pending_debits"))
                | Q(normal_balance=Side.DEBIT, posted_debits__gte=F("posted_credits") + F("pending_credits")),
                name="wallet_account_available_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="wallet_account_currency_iso"
            ),
        ]
        indexes = [models.Index(fields=["owner", "currency"], name="wallet_account_owner_currency")]

    def __str__(self) -> str:
        return self.code

    @property
    def posted_balance(self) -> int:
        if self.normal_balance == Side.CREDIT:
            return self.posted_credits - self.posted_debits
        return self.posted_debits - self.posted_credits

    @property
    def available_balance(self) -> int:
        if self.normal_balance == Side.CREDIT:
            return self.posted_credits - self.posted_debits - self.pending_debits
        return self.posted_debits - self.posted_credits - self.pending_credits

    @property
    def pending_out(self) -> int:
        return self.pending_debits if self.normal_balance == Side.CREDIT else self.pending_credits


class JournalEntry(models.Model):
    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    status = models.CharField(max_length=8, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    description = models.CharField(max_length=300, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="business object, e.g. payment:42"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(default=timezone.now)
    posted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="wallet_entry_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.POSTED) | Q(posted_at__isnull=False),
                name="wallet_entry_posted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="wallet_entry_status_expiry")]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.status}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    side = models.CharField(max_length=6, choices=Side.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_posting_amount_positive"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="wallet_posting_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.amount} {self.currency} {self.account_id}"


class PaymentLink(models.Model):
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_links"
    )
    token = models.CharField(max_length=32, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="wallet_link_amount_positive")
        ]

    def __str__(self) -> str:
        return self.token


class Payment(models.Model):
    """A customer's payment to a merchant. The merchant fee (policy) is kept on refunds."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_made"
    )
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_received"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    fee_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    description = models.CharField(max_length=200)
    payment_link = models.ForeignKey(
        PaymentLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="wallet_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(fee_minor__gte=0, fee_minor__lte=F("amount_minor")),
                name="wallet_payment_fee_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0, refunded_minor__lte=F("amount_minor")),
                name="wallet_payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"payment#{self.pk}"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="refund")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="wallet_refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"refund#{self.pk}"


class Transaction(models.Model):
    """One line of a user's history (customer or merchant). Written with the ledger entry it shows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet_transactions"
    )
    kind = models.CharField(_("type"), max_length=20, choices=TransactionKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=TransactionStatus.choices)
    amount_minor = models.BigIntegerField(help_text="signed: negative = money out of this user's balance")
    fee_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    counterparty = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, db_index=True)
    entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="wallet_tx_user_time"),
            models.Index(fields=["user", "kind", "-created_at", "-id"], name="wallet_tx_user_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"

    # the reference a person reads and quotes to support: the same numbers the other pages show
    # (PAY-26, WD-7, INT-5), never the internal "payment:26"
    DISPLAY_PREFIXES = {"payment": "PAY", "withdrawal": "WD", "international": "INT"}

    @property
    def display_reference(self) -> str:
        kind, _sep, number = (self.reference or "").partition(":")
        prefix = self.DISPLAY_PREFIXES.get(kind)
        return f"{prefix}-{number}" if prefix and number.isdigit() else f"TX-{self.pk}"


class TransactionEvent(models.Model):
    """Status timeline of a transaction."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=TransactionStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.transaction_id}:{self.status}"


class FxRateSet(models.Model):
    """One publication of reference rates (ECB: 1 EUR = x units, working days ~16:00 CET)."""

    source = models.CharField(max_length=40)
    as_of = models.DateField()
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "as_of"], name="wallet_rateset_source_date")]
        ordering = ["-as_of", "-fetched_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.as_of}"


class FxRate(models.Model):
    rate_set = models.ForeignKey(FxRateSet, on_delete=models.CASCADE, related_name="rates")
    currency = models.CharField(max_length=3)
    per_eur = models.DecimalField(max_digits=20, decimal_places=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rate_set", "currency"], name="wallet_rate_one_per_currency"),
            models.CheckConstraint(condition=Q(per_eur__gt=0), name="wallet_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency}={self.per_eur}"


class Quote(models.Model):
    """A locked price for an international transfer: single use, expires (policy: 30 minutes)."""

    id = models.UUIDField(primary_key=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fx_quotes")
    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    source_amount_minor = models.BigIntegerField()
    target_amount_minor = models.BigIntegerField()
    mid_rate = models.DecimalField(max_digits=24, decimal_places=10)
    applied_rate = models.DecimalField(max_digits=24, decimal_places=10)
    markup_percent = models.DecimalField(max_digits=6, decimal_places=3)
    fee_fixed_minor = models.BigIntegerField()
    fee_percent_minor = models.BigIntegerField()
    fee_total_minor = models.BigIntegerField()
    rate_set = models.ForeignKey(FxRateSet, on_delete=models.PROTECT, related_name="+")
    recipient_country = models.CharField(max_length=2)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(source_amount_minor__gt=0, target_amount_minor__gt=0),
                name="wallet_quote_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(fee_total_minor=F("fee_fixed_minor") + F("fee_percent_minor")),
                name="wallet_quote_fee_total",
            ),
            models.CheckConstraint(
                condition=~Q(from_currency=F("to_currency")), name="wallet_quote_two_currencies"
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def total_debit_minor(self) -> int:
        return self.source_amount_minor + self.fee_total_minor


class InternationalTransfer(models.Model):
    """A transfer abroad against a locked quote. Its status moves only through
    `international.actions.transfer_transition`, along `choices.TRANSFER_TRANSITIONS`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="international_transfers"
    )
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="transfer")
    recipient_name = models.CharField(max_length=140)
    recipient_country = models.CharField(max_length=2)
    recipient_account = models.CharField(max_length=64)
    recipient_address = models.CharField(max_length=200, blank=True)
    sender_address = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=140, blank=True)
    status = models.CharField(max_length=16, choices=TransferStatus.choices)
    decision = models.CharField(max_length=8)  # allow | review | block
    reason_codes = models.JSONField(default=list, blank=True)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="international"
    )
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="international"
    )
    eur_equivalent_minor = models.BigIntegerField(default=0)
    cancel_until = models.DateTimeField()
    review_deadline = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.CharField(max_length=1000, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="wallet_intl_status_valid"
            )
        ]
        indexes = [
            models.Index(fields=["status", "review_deadline"], name="wallet_intl_status_deadline"),
            models.Index(fields=["user", "recipient_account"], name="wallet_intl_user_beneficiary"),
        ]

    def __str__(self) -> str:
        return f"international#{self.pk}"
