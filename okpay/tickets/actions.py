"""Ticket actions: every change is one transaction, audited, and the customer is told by email
after it commits."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.bot.selectors import conversation_summary
from okpay.core import i18n
from okpay.core.audit import audit_event_record
from okpay.core.mail import email_send
from okpay.core.ratelimit import rate_limited
from okpay.core.transitions import is_system, transition_exists, transition_permitted, transition_targets

from . import clocks, mailthread, policy
from .choices import (
    FINISHED_STATUSES,
    TICKET_TRANSITIONS,
    TOPIC_GROUP,
    MessageKind,
    SupportGroup,
    SystemEvent,
    TicketChannel,
    TicketStatus,
)
from .errors import TicketError, TicketTransitionForbidden, TicketTransitionRefused
from .models import Macro, Ticket, TicketAttachment, TicketMessage, TicketRating
from .search import segment, ticket_search_add

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MERGED_TEXT = _("This question was merged into another question: its conversation continues there.")
ACCESS_SALT = "okpay.tickets.access"
ACCESS_MAX_AGE = 90 * 24 * 3600


def access_token_make(ticket: Ticket) -> str:
    return signing.dumps({"n": ticket.number}, salt=ACCESS_SALT, compress=True)


def access_token_read(token: str) -> str | None:
    try:
        return signing.loads(token, salt=ACCESS_SALT, max_age=ACCESS_MAX_AGE)["n"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


def customer_url(ticket: Ticket) -> str:
    """Signed-in customers open the ticket from My Account; a visitor's link carries a signed token."""
    if ticket.requester_id:
        return settings.SITE_URL + reverse("tickets:detail", args=[ticket.number])
    return settings.SITE_URL + reverse("tickets:access", args=[access_token_make(ticket)])


def _attachments_save(message: TicketMessage, files) -> None:
    for upload in files or ():
        TicketAttachment.objects.create(
            message=message,
            file=upload,
            original_name=upload.name[:200],
            content_type=getattr(upload, "okpay_content_type", "application/octet-stream"),
            size=upload.size,
        )


def _mail_headers(ticket: Ticket, message: TicketMessage | None = None) -> dict[str, str]:
    """A new Message-ID of ours with In-Reply-To / References, so the customer's client threads the
    mail and their reply finds the question (mailthread.py); stored on our own reply's message."""
    message_id = mailthread.message_id_new(ticket)
    headers = mailthread.outgoing_headers(ticket, message_id)
    if message is not None and message.kind == MessageKind.AGENT and not message.message_id:
        message.message_id = message_id
        message.save(update_fields=["message_id"])
    return headers


def _notify(ticket: Ticket, template: str, **context) -> None:
    """Tell the customer about their question. Whatever the visitor typed (name, subject) is quoted
    only to an address someone has confirmed (the signed-in account's verified address): anyone can
    type someone else's address into the form, and we never send visitor-written text there."""
    requester = ticket.requester
    headers = _mail_headers(ticket, context.get("message"))
    context = {"ticket": ticket, "ticket_url": customer_url(ticket), **context}
    if ticket.address_confirmed:
        context.update(name=ticket.requester_name or ticket.requester_email, subject=ticket.subject)
    email_send(
        to=ticket.requester_email,
        template=f"tickets/email/{template}",
        context=context,
        language=requester.language if requester else ticket.language,
        time_zone=requester.time_zone if requester else None,
        reply_to=mailthread.reply_address(ticket),
        headers=headers,
    )  # replies come back through the email intake (intake.py: `okpay mail smtpd`, `imap` or `intake`)


def _address_key(address: str) -> str:
    """One mailbox, however it is spelled: case, a +tag and (for Gmail) dots do not make another."""
    local, _at, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _receipts_exhausted(address: str) -> bool:
    """Counts one receipt to an unconfirmed address; True once the hourly or daily allowance for it
    is used up (OKPAY_RATE_LIMITS "receipt_per_address_hour" / "_day")."""
    key = _address_key(address)
    return rate_limited("receipt_per_address_hour", key) or rate_limited("receipt_per_address_day", key)


def _receipt_send(ticket: Ticket, message: TicketMessage) -> bool:
    """The confirmation of a new question; returns whether one is sent. A confirmed address gets the
    question quoted back. Any other address (a visitor's, an email sender's, a caller's whose identity
    was not checked) gets a neutral receipt in both languages — the number and the signed link, none
    of the visitor's text (the template is not even given it) — and only a few per address and day."""
    if ticket.address_confirmed:
        _notify(ticket, "received", message=message)
        return True
    if _receipts_exhausted(ticket.requester_email):
        return False
    first = i18n.normalise(ticket.language)
    email_send(
        to=ticket.requester_email,
        template="tickets/email/received_guest",
        context={
            "number": ticket.number,
            "ticket_url": customer_url(ticket),
            "languages": [first, i18n.other(first)],
        },
        language=first,
        reply_to=mailthread.reply_address(ticket),
        headers=_mail_headers(ticket),
    )
    return True


@transaction.atomic
def ticket_create(
    *,
    requester=None,
    email: str,
    name: str = "",
    language: str,
    topic: str,
    subject: str,
    body: str,
    files=(),
    channel: str = TicketChannel.WEB,
    article_key: str = "",
    bot_conversation=None,
    transaction=None,
    message_id: str = "",
) -> Ticket:
    """A new question. `message_id`: the Message-ID of the email it came as (intake.py)."""
    if requester is not None and not requester.is_authenticated:
        requester = None
    priority = policy.priority_for(topic)
    ticket = Ticket(
        requester=requester,
        requester_email=requester.email if requester else email,
        requester_name=(requester.display_name if requester else name)[:150],
        language=language,
        channel=channel,
        topic=topic,
        group=TOPIC_GROUP.get(topic, SupportGroup.GENERAL),
        subject=subject,
        article_key=article_key[:100],
        bot_conversation=bot_conversation,
        transaction=transaction
        if transaction is not None and requester is not None and transaction.user_id == requester.pk
        else None,
        priority=priority,
    )
    now = timezone.now()
    clocks.reply_start(ticket, now)  # the first reply's target
    clocks.resolution_start(ticket, now)
    ticket.search_text = segment(ticket.number, subject, ticket.requester_email, body)  # search.py
    ticket.save(force_insert=True)
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER, author=requester, body=body, message_id=message_id
    )
    _attachments_save(message, files)
    if bot_conversation is not None:
        note = TicketMessage.objects.create(
            ticket=ticket, kind=MessageKind.NOTE, body=conversation_summary(bot_conversation)
        )
        ticket_search_add(ticket, note.body)
    ticket.receipt_sent = _receipt_send(ticket, message)
    audit_event_record(
        action="ticket.created",
        actor=requester,
        subject_user=requester,
        data={"ticket": ticket.number, "channel": channel, "receipt_sent": ticket.receipt_sent},
    )
    from .workflow import ticket_auto_assign  # workflow imports this module

    ticket_auto_assign(ticket=ticket)  # round robin to an available agent of its group, or the queue
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


# --- the question's state machine (choices.TICKET_TRANSITIONS) -------------------------------------


def _status_label(status: str) -> "StrOrPromise":
    return dict(TicketStatus.choices).get(status, status)


def _acts_as_customer(ticket: Ticket, actor) -> bool:
    """The question's own customer: its signed-in requester; for a question asked without an account,
    whoever the customer side let in (the emailed link); None is the customer without an account
    session (a visitor's link, an email from the asking address — the caller checked which)."""
    if is_system(actor):
        return False
    if ticket.requester_id is None or actor is None:
        return True
    return bool(getattr(actor, "is_authenticated", False)) and actor.pk == ticket.requester_id


def ticket_transition_allowed(*, ticket: Ticket, to: str, actor) -> bool:
    return transition_permitted(
        TICKET_TRANSITIONS, ticket.status, to, actor=actor, is_customer=_acts_as_customer(ticket, actor)
    )


def ticket_transition_targets(*, ticket: Ticket, actor) -> list[str]:
    """The statuses `actor` may move this question to (the console offers these)."""
    return transition_targets(
        TICKET_TRANSITIONS, ticket.status, actor=actor, is_customer=_acts_as_customer(ticket, actor)
    )


def ticket_transition_check(*, ticket: Ticket, to: str, actor) -> None:
    """Raises TicketTransitionRefused (409) for a move not in the table — the same status included —
    and TicketTransitionForbidden (403) for one this actor may not make. Changes nothing."""
    current, target = _status_label(ticket.status), _status_label(to)
    if ticket.merged_into_id is not None:  # merged into another question (merge.py): it stays closed
        raise TicketTransitionRefused("merged", MERGED_TEXT)
    if not transition_exists(TICKET_TRANSITIONS, ticket.status, to):
        raise TicketTransitionRefused(
            "illegal_transition",
            _("A question cannot move from “%(current)s” to “%(target)s”."),
            current=current,
            target=target,
        )
    if not ticket_transition_allowed(ticket=ticket, to=to, actor=actor):
        raise TicketTransitionForbidden(
            "forbidden",
            _("You may not move this question from “%(current)s” to “%(target)s”."),
            current=current,
            target=target,
        )


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to: str, actor, note: str = "", audit_action: str = "ticket.status_changed"
) -> Ticket:
    """The one place a question's status changes. Locks the question, checks the move against
    choices.TICKET_TRANSITIONS and the actor's right to make it, sets the status with its clocks
    (solved_at; no reply is owed on a finished question) and writes the audit row (from, to, note),
    all in one transaction. A refused move raises (see ticket_transition_check) and changes nothing.
    Returns the locked, current question."""
    ticket = _locked(ticket)
    ticket_transition_check(ticket=ticket, to=to, actor=actor)
    previous = ticket.status
    ticket.status = to
    now = timezone.now()
    if to in FINISHED_STATUSES:
        if previous not in FINISHED_STATUSES or ticket.solved_at is None:  # closing keeps when it was solved
            ticket.solved_at = now
    else:
        ticket.solved_at = None
    clocks.on_status(ticket, previous=previous, now=now)  # stop, pause, resume, or a new resolution clock
    ticket.save(update_fields=["status", "solved_at", *clocks.FIELDS, "updated_at"])
    data = {"ticket": ticket.number, "from": previous, "to": to}
    if note:
        data["note"] = note[:300]
    audit_event_record(action=audit_action, actor=actor, subject_user=ticket.requester, data=data)
    return ticket


# --- actions ---------------------------------------------------------------------------------------


@transaction.atomic
def ticket_customer_reply(
    *, ticket: Ticket, actor=None, body: str, files=(), message_id: str = ""
) -> TicketMessage:
    """The customer adds to their question; a pending or solved question goes back to the team (open).
    `actor` is the signed-in customer, or None (a visitor's link, an email from the asking address;
    `message_id`: that email's Message-ID). A closed question takes no more replies (TicketError
    "closed")."""
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise TicketError("closed", _("This question is closed. Please submit a new one."))
    author = actor if actor is not None and actor.is_authenticated else None
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER, author=author, body=body, message_id=message_id
    )
    _attachments_save(message, files)
    ticket_search_add(ticket, body)
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):  # back with the team
        ticket = ticket_transition(ticket=ticket, to=TicketStatus.OPEN, actor=actor, note="customer replied")
    if ticket.reply_due_at is None:  # the next reply's target (the first one's before any reply)
        clocks.reply_start(ticket, timezone.now())
    ticket.save(update_fields=[*clocks.FIELDS, "updated_at"])
    audit_event_record(
        action="ticket.customer_replied",
        actor=author,
        subject_user=ticket.requester,
        data={"ticket": ticket.number},
    )
    return message


@transaction.atomic
def ticket_agent_reply(
    *, ticket: Ticket, actor, body: str, internal: bool = False, status: str | None = None
) -> TicketMessage:
    """A public reply (emailed to the customer) or an internal note (never shown to the customer),
    optionally moving the question to `status`. Without one, a public reply leaves the question
    waiting for the customer (pending) when that move is open to the replier — on a closed question
    it stays closed. A refused move refuses the whole reply: nothing is written or sent."""
    ticket = _locked(ticket)
    if ticket.merged_into_id is not None:  # its conversation continues on the question it was merged into
        raise TicketError("merged", MERGED_TEXT)
    if not status and not internal:
        pending = TicketStatus.PENDING
        if ticket.status != pending and ticket_transition_allowed(ticket=ticket, to=pending, actor=actor):
            status = pending
    move_to = status if status and status != ticket.status else None
    if move_to is not None:
        ticket_transition_check(ticket=ticket, to=move_to, actor=actor)
    kind = MessageKind.NOTE if internal else MessageKind.AGENT
    message = TicketMessage.objects.create(ticket=ticket, kind=kind, author=actor, body=body)
    ticket_search_add(ticket, body)
    fields = ["updated_at"]
    if not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = timezone.now()
            fields.append("first_responded_at")
        clocks.reply_stop(ticket)
        fields.extend(clocks.FIELDS)
        if ticket.assignee_id is None:
            ticket.assignee = actor
            fields.append("assignee")
    ticket.save(update_fields=fields)
    if move_to is not None:
        ticket = ticket_transition(ticket=ticket, to=move_to, actor=actor)
    audit_event_record(
        action="ticket.note_added" if internal else "ticket.agent_replied",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number},
    )
    if not internal:
        _notify(ticket, "reply", message=message)
    return message


@transaction.atomic
def ticket_status_set(*, ticket: Ticket, actor, status: str) -> Ticket:
    """Staff set the status (the console's select); the same status is no change. The customer is
    told when their question is solved."""
    ticket = _locked(ticket)
    if status == ticket.status:
        return ticket
    ticket = ticket_transition(ticket=ticket, to=status, actor=actor)
    if status == TicketStatus.SOLVED:
        _notify(ticket, "solved")
    return ticket


@transaction.atomic
def ticket_customer_solve(*, ticket: Ticket, actor=None) -> Ticket:
    """The customer marks their question answered; a finished one stays as it is."""
    ticket = _locked(ticket)
    if ticket.is_finished:
        return ticket
    ticket = ticket_transition(
        ticket=ticket, to=TicketStatus.SOLVED, actor=actor, audit_action="ticket.customer_solved"
    )
    TicketMessage.objects.create(ticket=ticket, kind=MessageKind.SYSTEM, body=SystemEvent.CUSTOMER_SOLVED)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee) -> Ticket:
    """Assign to someone (or back to the shared queue); a new question is then open."""
    ticket = _locked(ticket)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    if ticket.status == TicketStatus.NEW:
        ticket = ticket_transition(ticket=ticket, to=TicketStatus.OPEN, actor=actor)
    audit_event_record(
        action="ticket.assigned",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "assignee": assignee.email if assignee else ""},
    )
    return ticket


@transaction.atomic
def ticket_priority_set(*, ticket: Ticket, actor, priority: str) -> Ticket:
    """A new priority moves the running clocks (reply, resolution) to that priority's targets: each keeps
    the time it has already run (clocks.retarget)."""
    ticket = _locked(ticket)
    if priority == ticket.priority:
        return ticket
    previous = ticket.priority
    ticket.priority = priority
    clocks.retarget(ticket, previous_priority=previous, now=timezone.now())
    ticket.save(update_fields=["priority", *clocks.FIELDS, "updated_at"])
    audit_event_record(
        action="ticket.priority_changed",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "from": previous, "to": priority},
    )
    return ticket


@transaction.atomic
def ticket_rate(*, ticket: Ticket, actor=None, score: int, comment: str = "") -> TicketRating:
    """The customer's rating of a solved question; once per question."""
    ticket = _locked(ticket)
    if not ticket.is_finished:
        raise TicketError("not_solved", _("You can rate a question once it is solved."))
    if TicketRating.objects.filter(ticket=ticket).exists():
        raise TicketError("already_rated", _("You have already rated this question. Thank you!"))
    rating = TicketRating.objects.create(
        ticket=ticket, score=score, comment=comment.strip(), agent=ticket.assignee
    )
    audit_event_record(
        action="ticket.rated",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "score": score},
    )
    return rating


@transaction.atomic
def macro_save(
    *,
    actor,
    macro: Macro | None = None,
    title: str,
    body_zh: str,
    body_en: str,
    status_after: str = "",
    is_active: bool = True,
) -> Macro:
    """Store a saved reply: a new one, or `macro` changed."""
    macro = macro if macro is not None else Macro()
    macro.title, macro.body_zh, macro.body_en = title, body_zh, body_en
    macro.status_after, macro.is_active, macro.updated_by = status_after, is_active, actor
    macro.save()
    audit_event_record(
        action="ticket.macro_saved",
        actor=actor,
        data={"macro": macro.pk, "title": macro.title},
    )
    return macro


@transaction.atomic
def ticket_from_phone(
    *,
    actor,
    email: str,
    name: str,
    verified: bool,
    language: str,
    topic: str,
    subject: str,
    body: str,
) -> Ticket:
    """A phone call logged by an agent. The caller's account is attached only when the agent checked
    their identity on the call; otherwise it is followed like a visitor's question (emailed link)."""
    from okpay.accounts.selectors import user_by_email

    account = user_by_email(email=email) if verified else None
    ticket = ticket_create(
        requester=account,
        email=email,
        name=name,
        language=language,
        topic=topic,
        subject=subject,
        body=body,
        channel=TicketChannel.PHONE,
    )
    TicketMessage.objects.create(
        ticket=ticket,
        kind=MessageKind.NOTE,
        author=actor,
        body=f"Logged from a phone call by {actor.email}; identity "
        f"{'checked' if verified else 'not checked'} on the call.",
    )
    return ticket
