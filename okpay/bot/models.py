from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BotModelVersion(models.Model):
    """A trained intent model on disk. Exactly one is active; every process loads the active one."""

    version = models.CharField(max_length=40, unique=True)
    path = models.CharField(max_length=500)
    metrics = models.JSONField(default=dict, blank=True)
    training_rows = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="bot_one_active_model"
            )
        ]

    def __str__(self) -> str:
        return self.version


class BotConversation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, default="help")
    handed_off = models.BooleanField(default=False)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"conversation#{self.pk}"


class BotTurn(models.Model):
    """Every bot answer: what was asked, what the model thought, what it did; agents correct it."""

    conversation = models.ForeignKey(BotConversation, on_delete=models.CASCADE, related_name="turns")
    text = models.CharField(max_length=1000)
    language = models.CharField(max_length=8)
    intent = models.CharField(max_length=60, blank=True)
    confidence = models.FloatField(default=0)
    abstained = models.BooleanField(default=False)
    hand_off = models.BooleanField(default=False)
    hand_off_reason = models.CharField(max_length=40, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    reply = models.TextField(blank=True)  # what the customer was told (shown again when the chat is reopened)
    article_url = models.CharField(max_length=300, blank=True)
    article_title = models.CharField(max_length=300, blank=True)
    corrected_intent = models.CharField(_("correct intent"), max_length=60, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    correction_status = models.CharField(max_length=10, blank=True)  # "" | proposed | accepted | rejected
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"turn#{self.pk}"


class BotTrainingExample(models.Model):
    """Accepted corrections: added to the shipped data at the next `okpay bot train`."""

    text = models.CharField(max_length=1000)
    intent = models.CharField(max_length=60)
    language = models.CharField(max_length=8)
    source_turn = models.OneToOneField(
        BotTurn, null=True, blank=True, on_delete=models.SET_NULL, related_name="example"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.intent}: {self.text[:40]}"
