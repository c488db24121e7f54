import re
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n

from .choices import (
    CUSTOMER_STATUS_TEXT,
    FINISHED_STATUSES,
    MessageKind,
    Satisfaction,
    SupportGroup,
    SystemEvent,
    TicketChannel,
    TicketPriority,
    TicketStatus,
    TicketTopic,
)

# no 0/O/1/I/L: numbers are read out on the phone
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def ticket_number_new() -> str:
    return "Q-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(7))


class Ticket(models.Model):
    """A customer's question, from the web form, a bot hand-off, email or phone. The number is
    random (it reveals nothing about volume) and is what customers quote."""

    number = models.CharField(max_length=12, unique=True, default=ticket_number_new, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    requester_email = models.EmailField(_("email"))
    requester_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(max_length=8)
    channel = models.CharField(max_length=10, choices=TicketChannel.choices, default=TicketChannel.WEB)
    topic = models.CharField(
        _("topic"), max_length=20, choices=TicketTopic.choices, default=TicketTopic.OTHER
    )
    subject = models.CharField(_("subject"), max_length=200)
    # the team it waits for (choices.TOPIC_GROUP by topic when it arrives; an agent may move it)
    group = models.CharField(
        _("group"), max_length=12, choices=SupportGroup.choices, default=SupportGroup.GENERAL
    )
    tags = models.ManyToManyField(
        "tickets.Tag", through="tickets.TicketTag", blank=True, related_name="tickets"
    )
    # a duplicate merged into another question: it is closed, its messages, files and calls moved there,
    # and its links lead there (merge.ticket_merge)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    article_key = models.CharField(max_length=100, blank=True)
    transaction = models.ForeignKey(
        "wallet.Transaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )  # the customer's own transaction the question is about
    bot_conversation = models.ForeignKey(
        "bot.BotConversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    # Reply-time clocks (policy.py, clocks.py). The reply clock is the first reply's target until the
    # team first replies (first_responded_at), then the next reply's: due when the team owes the customer
    # a reply, None when it owes none. The resolution clock runs from the question (or its reopening)
    # until it is solved. Both stop while the question waits for the customer (paused_at) and their due
    # times move on by the time paused, on their own clock, when it comes back. warn_at: when the
    # assignee is warned; warned_at / breached_at: the sweep's marks, so each fires once per clock run.
    reply_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reply_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reply_warned_at = models.DateTimeField(null=True, blank=True)
    reply_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # staff search: the segmented words of the number, subject, address and every message, notes
    # included (search.py; never searched for customers)
    search_text = models.TextField(blank=True, default="", editable=False)
    # not stored: set by actions.ticket_create on the question it returns (was the receipt emailed?)
    receipt_sent: bool

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="ticket_status_created"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
            # the console's queue views (selectors.queue_page): each one an index range in (created_at, id)
            models.Index(fields=["created_at", "id"], name="ticket_created_id"),
            models.Index(
                fields=["created_at", "id"],
                name="ticket_active_created",
                condition=models.Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="ticket_unassigned_created",
                condition=models.Q(status__in=["new", "open"], assignee__isnull=True),
            ),
            models.Index(
                fields=["assignee", "created_at", "id"],
                name="ticket_mine_created",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
            models.Index(fields=["channel", "status", "created_at", "id"], name="ticket_channel_created"),
            models.Index(fields=["group", "status", "created_at", "id"], name="ticket_group_created"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def customer_status_text(self):
        return CUSTOMER_STATUS_TEXT[TicketStatus(self.status)]

    @property
    def is_overdue(self) -> bool:
        """A reply is owed and its due time has passed (on a paused clock: had passed when it stopped)."""
        return (
            self.reply_due_at is not None
            and self.reply_due_at < (self.paused_at or timezone.now())
            and not self.is_finished
        )

    @property
    def is_resolution_overdue(self) -> bool:
        return (
            self.resolution_due_at is not None
            and self.resolution_due_at < (self.paused_at or timezone.now())
            and not self.is_finished
        )

    @property
    def reply_target(self) -> str:
        """Which reply the reply clock counts to: "first_reply" or "next_reply" (policy.TARGETS)."""
        return "first_reply" if self.first_responded_at is None else "next_reply"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def address_confirmed(self) -> bool:
        """Whether someone has confirmed that the address we mail belongs to them: only a signed-in
        account's verified address. A visitor's, an email sender's (a From header is easy to forge) or
        an unchecked caller's address is not, and no visitor-written text is mailed there."""
        requester = self.requester
        return (
            requester is not None
            and requester.is_email_verified
            and requester.email.lower() == self.requester_email.lower()
        )


class Tag(models.Model):
    """A label agents put on questions to find and count them (lowercase words, digits, hyphens; Chinese
    characters allowed; normalised by workflow.tag_name_clean)."""

    name = models.CharField(_("tag"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketTag(models.Model):
    """A question's tag, with the question's creation time copied in (it never changes): a tag's queue
    is then one range of the (tag, created_at, question) index, in the queue's order, however rare the
    tag — instead of probing every question for it (bench/tickets_workflow.py). Rows are written by
    `ticket.tags.add(..., through_defaults=tag_row_defaults(ticket))`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ticket_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="ticket_tags")
    ticket_created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "tag"], name="ticket_tag_once")]
        indexes = [models.Index(fields=["tag", "ticket_created_at", "ticket"], name="ticket_tag_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.tag_id}"


def tag_row_defaults(ticket: Ticket) -> dict:
    return {"ticket_created_at": ticket.created_at}


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # the Message-ID of the email this message came in as (a customer's mail) or went out as (a public
    # reply, mailthread.py): mail clients' In-Reply-To / References point here, so a reply finds its
    # question; an id seen before is the same mail again (an SMTP retry, an IMAP message stored twice)
    message_id = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~models.Q(message_id=""), name="ticket_message_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.kind}"

    @property
    def is_public(self) -> bool:
        return self.kind in (MessageKind.CUSTOMER, MessageKind.AGENT, MessageKind.SYSTEM)

    @property
    def system_text(self) -> str:
        """The event's text in the reader's language; an event naming another question stores its number
        after the key ("merged_into Q-…", tickets.merge)."""
        key, _sep, number = self.body.partition(" ")
        if key not in SystemEvent.values:
            return self.body
        label = str(SystemEvent(key).label)
        return label % {"number": number} if number else label


def attachment_path(instance, filename: str) -> str:
    return (
        f"tickets/{secrets.token_hex(16)}{'.' + filename.rsplit('.', 1)[-1][:5] if '.' in filename else ''}"
    )


class TicketAttachment(models.Model):
    """A file on a message (screenshots, statements). Served only to the ticket's customer and
    staff, always as a download."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class TicketRating(models.Model):
    """Customer satisfaction (CSAT) for a solved question: 1–5 and an optional comment, once."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(choices=Satisfaction.choices)
    comment = models.CharField(max_length=1000, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # who handled it, for the report
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="ticket_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.score}"


class Macro(models.Model):
    """A saved reply in both languages; the console inserts the one in the customer's language, with
    {name} and {number} filled in, and can set a status with it."""

    title = models.CharField(_("title"), max_length=120)
    body_zh = models.TextField(_("text (Chinese)"), max_length=5000)
    body_en = models.TextField(_("text (English)"), max_length=5000)
    status_after = models.CharField(
        _("then set the status to"), max_length=10, blank=True, choices=TicketStatus.choices
    )
    is_active = models.BooleanField(_("in use"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def render(self, ticket: Ticket) -> str:
        """The reply with {name} and {number} filled in. The name a visitor typed is not put into a
        reply to an unconfirmed address (it would be mailed there): "Hello {name}," becomes "Hello,"."""
        body = self.body_zh if i18n.is_chinese(ticket.language) else self.body_en
        if ticket.address_confirmed:
            body = body.replace("{name}", ticket.requester_name or ticket.requester_email)
        else:
            body = re.sub(r"[ \t]*\{name\}", "", body)
        return body.replace("{number}", ticket.number)


from .phone_models import Callback, CallbackAttempt, PhoneCall  # noqa: E402, F401  (phone.py)


class AssignmentTurn(models.Model):
    """Round-robin auto-assignment's cursor, one row per agent (workflow.ticket_auto_assign): when the
    agent last got an auto-assigned question. The next question goes to the available agent whose turn
    is the oldest; the rows of every candidate are locked (select_for_update, in user order) while one is
    chosen, so questions arriving together are spread over the agents, never all to the same one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_assigned_at}"
