import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from okpay.tickets.choices import Satisfaction

from .choices import (
    OPEN_STATUSES,
    Availability,
    ChatGroup,
    ChatPriority,
    ConversationStatus,
    Sender,
    SystemEvent,
)

TEXT_MAX_LENGTH = 2000
CLIENT_ID_MAX_LENGTH = 64


class Conversation(models.Model):
    """One live chat: bot turns, customer and agent messages in one ordered stream (Message.seq).
    Its id is public (URLs, websocket), so it is a random UUID that reveals nothing. The owner is a
    signed-in user or a guest (the random key in the guest's signed cookie); a customer has at most
    one open conversation (constraints below)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chat_conversations",
    )
    guest_key = models.CharField(max_length=64, blank=True, db_index=True)
    language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.BOT
    )
    group = models.CharField(max_length=12, choices=ChatGroup.choices, default=ChatGroup.GENERAL)
    priority = models.CharField(max_length=8, choices=ChatPriority.choices, default=ChatPriority.NORMAL)
    intent = models.CharField(max_length=60, blank=True)  # the bot's intent that chose group and priority
    transaction = models.ForeignKey(
        "wallet.Transaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )  # the customer's own transaction the chat is about
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_assigned",
    )
    bot_conversation = models.ForeignKey(
        "bot.BotConversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_conversations"
    )
    next_seq = models.PositiveIntegerField(default=1)  # the seq the next message gets (row-locked)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # first asked for a person (kept on transfer)
    accepted_at = models.DateTimeField(null=True, blank=True)  # the (latest) agent took it
    first_response_at = models.DateTimeField(null=True, blank=True)  # first agent message
    closed_at = models.DateTimeField(null=True, blank=True)  # closed, abandoned or converted
    rating = models.PositiveSmallIntegerField(null=True, blank=True, choices=Satisfaction.choices)
    rating_comment = models.CharField(max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_key=""), name="chat_conversation_has_owner"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False, status__in=OPEN_STATUSES),
                name="chat_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["guest_key"],
                condition=Q(user__isnull=True, status__in=OPEN_STATUSES) & ~Q(guest_key=""),
                name="chat_one_open_per_guest",
            ),
            models.CheckConstraint(condition=Q(next_seq__gte=1), name="chat_next_seq_positive"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="chat_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "group", "priority", "queued_at"], name="chat_queue"),
            models.Index(fields=["agent", "status"], name="chat_agent_status"),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_seq(self) -> int:
        return self.next_seq - 1


class Message(models.Model):
    """One message of a conversation. `seq` is the conversation's order (1, 2, 3 …, assigned under
    the conversation's row lock); `client_id` is the sender's own id for the message, so a retry
    returns the stored message instead of storing it again."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.CharField(max_length=CLIENT_ID_MAX_LENGTH, blank=True)
    text = models.CharField(max_length=TEXT_MAX_LENGTH, blank=True)
    # the bot's answer
    intent = models.CharField(max_length=60, blank=True)
    article_url = models.CharField(max_length=300, blank=True)
    article_title = models.CharField(max_length=300, blank=True)
    actions = models.JSONField(default=list, blank=True)  # account actions: [{"text", "items", "links"}]
    hand_off = models.BooleanField(default=False)  # the bot suggests a person (the widget offers it)
    # a system message: SystemEvent key + its data ({"name": …}); rendered in the reader's language
    event = models.CharField(max_length=20, blank=True, choices=SystemEvent.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)  # reached the other side's screen
    read_at = models.DateTimeField(null=True, blank=True)  # the other side read it

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_client_id_unique",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="chat_message_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    @property
    def is_public(self) -> bool:
        return self.sender != Sender.NOTE


def attachment_path(instance, filename: str) -> str:
    """A random stored name (the visitor's file name is kept only as `original_name`)."""
    extension = filename.rsplit(".", 1)[-1][:5].lower() if "." in filename else ""
    return f"chat/{secrets.token_hex(16)}{'.' + extension if extension else ''}"


class ChatAttachment(models.Model):
    """A file sent in a chat (a screenshot, a statement), under the questions' upload rules: one per
    message, whose text is the file's name. Served only to the conversation's customer and to staff,
    always as a download; a chat that becomes a question takes its files along."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="attachment")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.original_name


class AgentPresence(models.Model):
    """An agent's availability for chats: how many at once (capacity), in which languages and groups
    (an empty list of groups = every group)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    availability = models.CharField(
        _("availability"), max_length=8, choices=Availability.choices, default=Availability.OFFLINE
    )
    capacity = models.PositiveSmallIntegerField(_("concurrent chats"), default=3)
    languages = models.JSONField(default=list, blank=True)
    groups = models.JSONField(default=list, blank=True)
    last_routed_at = models.DateTimeField(null=True, blank=True)  # round robin among equally loaded agents
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1, capacity__lte=20), name="chat_capacity_range")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.availability}"

    def serves(self, *, language: str, group: str) -> bool:
        return language in (self.languages or []) and (not self.groups or group in self.groups)
