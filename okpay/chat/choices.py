"""A live-chat conversation's states, who may move it between them, and the other choices of the app.

The one table of a conversation's life is `CONVERSATION_TRANSITIONS` (the shape of
`okpay.core.transitions`); `actions.conversation_transition` is the only place the status changes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.accounts.roles import is_staff, is_supervisor
from okpay.core.transitions import CUSTOMER, SYSTEM, Table
from okpay.tickets.choices import SupportGroup

# Routing groups: the team a hand-off waits for (routing.group_for maps the bot's intent). The same
# teams answer questions, so the list is the questions' one.
ChatGroup = SupportGroup


class ConversationStatus(models.TextChoices):
    BOT = "bot", pgettext_lazy("chat status", "With the answer bot")
    QUEUED = "queued", pgettext_lazy("chat status", "Waiting for a person")
    ACTIVE = "active", pgettext_lazy("chat status", "With a person")
    CLOSED = "closed", pgettext_lazy("chat status", "Ended")
    ABANDONED = "abandoned", pgettext_lazy("chat status", "Left the queue")
    TICKET = "ticket", pgettext_lazy("chat status", "Became a question")


# A rule of the table below that `okpay.core.transitions` does not know: the staff member the
# conversation is assigned to (actions.conversation_transition resolves it for each conversation).
AGENT = "agent"

# {from: {to: who may}}. CUSTOMER is the conversation's own customer (its signed-in user, or the
# guest whose signed cookie holds its key); AGENT its assigned agent; SYSTEM the routing and the
# sweeps (no person). Closed, abandoned and ticket are final: the customer opens a new conversation.
CONVERSATION_TRANSITIONS: Table = {
    ConversationStatus.BOT: {
        ConversationStatus.QUEUED: (CUSTOMER,),  # "talk to a person", in service hours
        ConversationStatus.TICKET: (CUSTOMER,),  # ... out of hours or nobody free: a question
        ConversationStatus.CLOSED: (CUSTOMER, SYSTEM),  # end chat / idle
    },
    ConversationStatus.QUEUED: {
        ConversationStatus.ACTIVE: (is_staff, SYSTEM),  # an agent picks it / routing assigns it
        ConversationStatus.TICKET: (CUSTOMER, is_staff, SYSTEM),  # gave up waiting / convert / swept
        ConversationStatus.ABANDONED: (CUSTOMER, SYSTEM),  # left the queue / went away
    },
    ConversationStatus.ACTIVE: {
        ConversationStatus.ACTIVE: (AGENT, is_supervisor),  # transfer to another agent
        ConversationStatus.QUEUED: (AGENT, is_supervisor),  # transfer to a group (back in its queue)
        ConversationStatus.TICKET: (AGENT, is_supervisor),  # convert to a question
        ConversationStatus.CLOSED: (CUSTOMER, AGENT, is_supervisor, SYSTEM),
    },
    ConversationStatus.CLOSED: {},
    ConversationStatus.ABANDONED: {},
    ConversationStatus.TICKET: {},
}
OPEN_STATUSES = (ConversationStatus.BOT, ConversationStatus.QUEUED, ConversationStatus.ACTIVE)
FINISHED_STATUSES = (ConversationStatus.CLOSED, ConversationStatus.ABANDONED, ConversationStatus.TICKET)


class Sender(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BOT = "bot", _("Answer bot")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")
    NOTE = "note", _("Internal note")  # staff only: never sent to the customer


PUBLIC_SENDERS = (Sender.CUSTOMER, Sender.BOT, Sender.AGENT, Sender.SYSTEM)
HUMAN_SENDERS = (Sender.CUSTOMER, Sender.AGENT, Sender.NOTE)  # what people type (limits apply)


class ChatPriority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")  # lost phone or card, account takeover: first in the queue


class Availability(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class SystemEvent(models.TextChoices):
    """A system message stores the key and its data; each reader sees the label in their language."""

    QUEUED = "queued", _("You are in the queue for a person. Please stay on this page.")
    AGENT_JOINED = "agent_joined", _("%(name)s joined the chat.")
    TRANSFERRED_GROUP = "transferred_group", _("The chat was passed to the %(group)s team.")
    TRANSFERRED_AGENT = "transferred_agent", _("%(name)s took over the chat.")
    CLOSED = "closed", _("The chat has ended.")
    ABANDONED = "abandoned", _("You left the queue.")
    TICKET = (
        "ticket",
        _("This chat became question %(number)s. We will reply by email and under My questions."),
    )
    # the sweeps (sweeps.py): an active chat nobody wrote in for OKPAY_CHAT_IDLE_CLOSE_SECONDS; a guest's
    # chat that waited too long or past the service hours (no email address to turn it into a question)
    IDLE_CLOSED = (
        "idle_closed",
        _("The chat ended because nobody wrote for a while. You can start a new chat at any time."),
    )
    WAIT_EXPIRED = (
        "wait_expired",
        _(
            "Sorry, nobody could take your chat in time, and we have no email address to answer you at. "
            "Please submit a question with your email address in the help center, or start a new chat."
        ),
    )
