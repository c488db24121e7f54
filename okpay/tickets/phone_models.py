"""Phone: calls agents log on a question, and callbacks customers book (phone.py, phone_actions.py).
Imported by models.py, so Django finds them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import OPEN_CALLBACK_STATES, CallbackState, CallDirection, CallOutcome


class PhoneCall(models.Model):
    """A call an agent logged on a question: who called whom, how long, what was said (internal)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="calls")
    direction = models.CharField(max_length=3, choices=CallDirection.choices)
    duration_seconds = models.PositiveIntegerField()
    summary = models.TextField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.direction} {self.duration_seconds}s"


class Callback(models.Model):
    """A customer's request to be called back in a slot inside the phone hours. Its question carries
    the conversation; `due_at` is when the next call is due (the slot's start, then the retry's time).
    The slot is stored in UTC; `time_zone` is the customer's, for showing it back to them."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="callbacks")
    phone = models.CharField(max_length=20)  # E.164
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=CallbackState.choices, default=CallbackState.REQUESTED)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at", "id"],
                name="callback_open_due",
                condition=models.Q(state__in=["requested", "retry"]),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_end__gt=models.F("slot_start")), name="callback_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CALLBACK_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class CallbackAttempt(models.Model):
    """One call made for a callback and its outcome."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(max_length=10, choices=CallOutcome.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.callback_id} {self.outcome}"
