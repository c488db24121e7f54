from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.accounts.roles import is_staff, is_supervisor
from okpay.core.transitions import CUSTOMER, Table


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", _("Waiting for customer")
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# The one table of a question's life: {from: {to: who may}} (okpay.core.transitions). CUSTOMER is
# the question's own customer: the signed-in requester, or whoever the customer side let in without
# an account session (a visitor's emailed link, an email from the asking address). Solved is not the
# end: the customer reopens it by replying, staff by setting it open. Closed is final for customers
# and agents (a new question is asked instead); a supervisor may reopen a question closed by mistake.
# No move goes back to new. A change to the status happens only in actions.ticket_transition.
TICKET_TRANSITIONS: Table = {
    TicketStatus.NEW: {
        TicketStatus.OPEN: (is_staff,),
        TicketStatus.PENDING: (is_staff,),
        TicketStatus.SOLVED: (is_staff, CUSTOMER),
        TicketStatus.CLOSED: (is_staff,),
    },
    TicketStatus.OPEN: {
        TicketStatus.PENDING: (is_staff,),
        TicketStatus.SOLVED: (is_staff, CUSTOMER),
        TicketStatus.CLOSED: (is_staff,),
    },
    TicketStatus.PENDING: {
        TicketStatus.OPEN: (is_staff, CUSTOMER),
        TicketStatus.SOLVED: (is_staff, CUSTOMER),
        TicketStatus.CLOSED: (is_staff,),
    },
    TicketStatus.SOLVED: {
        TicketStatus.OPEN: (is_staff, CUSTOMER),
        TicketStatus.PENDING: (is_staff,),
        TicketStatus.CLOSED: (is_staff,),
    },
    TicketStatus.CLOSED: {
        TicketStatus.OPEN: (is_supervisor,),
    },
}
FINISHED_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)
ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
# what the customer sees: their side of the same states
CUSTOMER_STATUS_TEXT = {
    TicketStatus.NEW: _("Received — with our team"),
    TicketStatus.OPEN: _("With our team"),
    TicketStatus.PENDING: _("Waiting for your reply"),
    TicketStatus.SOLVED: pgettext_lazy("ticket status", "Solved"),
    TicketStatus.CLOSED: pgettext_lazy("ticket status", "Closed"),
}


class TicketChannel(models.TextChoices):
    WEB = "web", _("Web form")
    BOT = "bot", _("Answer bot hand-off")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Live chat")
    CALLBACK = "callback", _("Callback request")


class TicketTopic(models.TextChoices):
    ACCOUNT = "account", _("Account & security")
    TOPUP = "topup", _("Top-up & transfers")
    WITHDRAWAL = "withdrawal", _("Withdrawals")
    DISPUTE = "dispute", _("Disputes")
    INTERNATIONAL = "international", _("International")
    FEES = "fees", _("Fees")
    CARDS = "cards", _("Cards")
    MERCHANT = "merchant", _("Merchants")
    OTHER = "other", _("Something else")


class SupportGroup(models.TextChoices):
    """The support teams. A question (by its topic) and a chat hand-off (by the bot's intent) wait for
    one; an agent serves some or all of them. The chat app routes with the same list."""

    GENERAL = "general", _("General")
    PAYMENTS = "payments", _("Payments & cards")
    SECURITY = "security", _("Account security")


# the team a new question goes to, by its topic (an agent may move it to another group)
TOPIC_GROUP: dict[str, str] = {
    TicketTopic.ACCOUNT: SupportGroup.SECURITY,
    TicketTopic.TOPUP: SupportGroup.PAYMENTS,
    TicketTopic.WITHDRAWAL: SupportGroup.PAYMENTS,
    TicketTopic.DISPUTE: SupportGroup.PAYMENTS,
    TicketTopic.INTERNATIONAL: SupportGroup.PAYMENTS,
    TicketTopic.FEES: SupportGroup.PAYMENTS,
    TicketTopic.CARDS: SupportGroup.PAYMENTS,
    TicketTopic.MERCHANT: SupportGroup.GENERAL,
    TicketTopic.OTHER: SupportGroup.GENERAL,
}


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    NOTE = "note", _("Internal note")
    SYSTEM = "system", _("System")


class SystemEvent(models.TextChoices):
    """System messages store one of these keys; the thread shows the label in the reader's language."""

    CUSTOMER_SOLVED = "customer_solved", _("The customer marked the question solved.")
    # merge.py: stored as "<key> <the other question's number>"; the label takes it as %(number)s
    MERGED_FROM = "merged_from", _("Question %(number)s from the same customer was merged into this one.")
    MERGED_INTO = "merged_into", _("This question was merged into question %(number)s.")


class Satisfaction(models.IntegerChoices):
    VERY_BAD = 1, _("Very dissatisfied")
    BAD = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neither")
    GOOD = 4, _("Satisfied")
    VERY_GOOD = 5, _("Very satisfied")


# --- phone (phone.py, phone_actions.py) --------------------------------------------------------------


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound (the customer called)")
    OUTBOUND = "out", _("Outbound (we called)")


class CallbackState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RETRY = "retry", _("No answer, one retry due")
    REACHED = "reached", _("Reached")
    FAILED = "failed", _("No answer twice, emailed")


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the customer")
    NO_ANSWER = "no_answer", _("No answer")


OPEN_CALLBACK_STATES = (CallbackState.REQUESTED, CallbackState.RETRY)

# A callback's life: the agent records each attempt's outcome; the first no-answer schedules one retry,
# the second emails the customer (phone_actions.callback_outcome_record). Reached and failed are final.
CALLBACK_TRANSITIONS: Table = {
    CallbackState.REQUESTED: {CallbackState.REACHED: (is_staff,), CallbackState.RETRY: (is_staff,)},
    CallbackState.RETRY: {CallbackState.REACHED: (is_staff,), CallbackState.FAILED: (is_staff,)},
}
