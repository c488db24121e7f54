"""A dispute on one payment, from the first message to the merchant to the final decision: the
conversation between the parties, evidence files (immutable once submitted), the timeline of
events, OKPay's internal notes (never shown to either party) and the deadlines that fire once."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import (
    REVIEW_QUEUE_STATUSES,
    DeadlineKind,
    DisputeStatus,
    EventKind,
    EvidenceKind,
    Outcome,
    Party,
    Reason,
)

# no 0/O/1/I/L: numbers are read out on the phone (as the questions' numbers)
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def dispute_number_new() -> str:
    return "D-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(7))


def evidence_path(instance, filename: str) -> str:
    ending = "." + filename.rsplit(".", 1)[-1][:5] if "." in filename else ""
    return f"disputes/{secrets.token_hex(16)}{ending}"


class Dispute(models.Model):
    number = models.CharField(max_length=12, unique=True, default=dispute_number_new)
    # one dispute per payment, whatever becomes of it (a withdrawn dispute is not opened again)
    payment = models.OneToOneField("wallet.Payment", on_delete=models.PROTECT, related_name="dispute")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_as_customer"
    )
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_as_merchant"
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=DisputeStatus.choices)
    reason = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)  # disputed, set when opened
    description = models.TextField(blank=True)
    is_urgent = models.BooleanField(default=False)  # unauthorised payments: the urgent queue
    # money: the hold on the merchant's balance (a pending entry merchant → customer); what the
    # customer got back through this dispute so far; what a party owes because its balance was short
    hold_entry = models.OneToOneField(
        "wallet.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    merchant_owes_minor = models.BigIntegerField(default=0)
    customer_owes_minor = models.BigIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # the reviewer of the first decision; an appeal goes to someone else
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appealed_by = models.CharField(max_length=10, choices=Party.choices, blank=True)
    merchant_refused_at = models.DateTimeField(null=True, blank=True)
    merchant_answered_at = models.DateTimeField(null=True, blank=True)
    # the next deadline of each kind (the DisputeDeadline rows fire them)
    merchant_answer_due_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    appeal_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "review_due_at"], name="dispute_queue"),
            models.Index(fields=["customer", "-created_at"], name="dispute_customer"),
            models.Index(fields=["merchant", "-created_at"], name="dispute_merchant"),
            # the console: the review queue (urgent first, then the review deadline) and the look-up
            models.Index(
                fields=["-is_urgent", "review_due_at", "id"],
                condition=Q(status__in=[str(status) for status in REVIEW_QUEUE_STATUSES]),
                name="dispute_review_queue",
            ),
            models.Index(fields=["-created_at", "-id"], name="dispute_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True) | Q(amount_minor__gt=0), name="dispute_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(held_minor__gte=0)
                & Q(refunded_minor__gte=0)
                & Q(merchant_owes_minor__gte=0)
                & Q(customer_owes_minor__gte=0),
                name="dispute_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DisputeMessage(models.Model):
    """The conversation between the customer and the merchant (and OKPay's messages to both); it
    starts as "contact the merchant" and is part of the evidence once the dispute is opened."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(max_length=10, choices=Party.choices)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute} {self.party}"


class ImmutableError(Exception):
    pass


class Evidence(models.Model):
    """A file either party (or OKPay) submitted. Never changed or deleted once stored: `save` of a
    stored row and `delete` refuse."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="evidence")
    message = models.ForeignKey(
        DisputeMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    party = models.CharField(max_length=10, choices=Party.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    note = models.TextField(blank=True)
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_late = models.BooleanField(default=False)  # submitted after that party's deadline
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("evidence is immutable once submitted")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("evidence is immutable once submitted")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class DisputeEvent(models.Model):
    """The timeline both parties see: every status change (with actor, time and reason), messages,
    evidence, deadlines and money. `note_customer` / `note_merchant`: the decision's text written for
    each party; each sees only its own."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    party = models.CharField(max_length=10, choices=Party.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=DisputeStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DisputeStatus.choices, blank=True)
    code = models.CharField(max_length=40, blank=True)  # what happened, e.g. "merchant_refused"
    reason = models.TextField(blank=True)  # the actor's words (both parties see them)
    note_customer = models.TextField(blank=True)
    note_merchant = models.TextField(blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["dispute", "created_at"], name="dispute_event_timeline")]

    def __str__(self) -> str:
        return f"{self.dispute} {self.kind} {self.code}"


class DisputeNote(models.Model):
    """OKPay's internal note: only staff ever see it (no party's page, API answer or email reads
    this table)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute} note"


class DisputeDeadline(models.Model):
    """A deadline that fires once as a scheduled task (and by the sweep if that task was lost), and
    not at all if the dispute left `for_status` first."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    for_status = models.CharField(max_length=20, choices=DisputeStatus.choices)
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(fired_at__isnull=True, canceled_at__isnull=True),
                name="dispute_deadline_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "kind"],
                condition=Q(fired_at__isnull=True, canceled_at__isnull=True),
                name="dispute_deadline_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute} {self.kind} {self.due_at:%Y-%m-%d %H:%M}"
