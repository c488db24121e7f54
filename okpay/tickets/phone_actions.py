"""Phone actions (docs/phone.md): a callback booked by a customer, the outcome of each call an agent
makes for it, and a call logged on a question. Each is one transaction and audited; mail goes after
commit (okpay.core.mail)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n
from okpay.core.audit import audit_event_record
from okpay.core.mail import email_send
from okpay.core.transitions import transition_exists, transition_permitted

from . import clocks, mailthread, phone
from .actions import customer_url, ticket_assign, ticket_create
from .choices import (
    CALLBACK_TRANSITIONS,
    CallbackState,
    CallDirection,
    CallOutcome,
    MessageKind,
    TicketChannel,
)
from .errors import TicketError, TicketTransitionForbidden, TicketTransitionRefused
from .models import Callback, CallbackAttempt, PhoneCall, Ticket, TicketMessage

DURATION_MAX_SECONDS = 6 * 3600


@transaction.atomic
def callback_request(
    *,
    requester=None,
    email: str = "",
    name: str = "",
    language: str,
    topic: str,
    phone_number: str,
    slot_start: datetime,
    time_zone: str,
    note: str = "",
    channel: str = TicketChannel.CALLBACK,
) -> Callback:
    """A customer asks to be called back in the slot starting at `slot_start`. The slot must be one of
    phone.slots() and the number valid (phone.CallbackRefused, nothing stored). It becomes a question
    (receipt as for any question: quoted only to a confirmed address) whose reply is due by the end of
    the slot, and a callback in the queue due at the slot's start."""
    start, end = phone.slot_check(slot_start)
    number = phone.phone_number_clean(phone_number)
    body = note.strip() or str(_("Please call me back."))
    ticket = ticket_create(
        requester=requester,
        email=email,
        name=name,
        language=language,
        topic=topic,
        subject=str(_("Callback request")),
        body=body,
        channel=channel,
    )
    ticket.reply_warn_at, ticket.reply_due_at = start, end  # the callback is the reply owed, in its slot
    ticket.save(update_fields=["reply_warn_at", "reply_due_at"])
    callback = Callback.objects.create(
        ticket=ticket,
        phone=number,
        slot_start=start,
        slot_end=end,
        time_zone=time_zone[:64],
        due_at=start,
    )
    audit_event_record(
        action="ticket.callback_requested",
        actor=ticket.requester,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "slot_start": start.isoformat(), "callback": callback.pk},
    )
    return callback


def _transition_check(callback: Callback, to: str, actor) -> None:
    if not transition_exists(CALLBACK_TRANSITIONS, callback.state, to):
        raise TicketTransitionRefused(
            "callback_finished",
            _("This callback is already finished (“%(state)s”); nothing was changed."),
            state=callback.get_state_display(),
        )
    if not transition_permitted(CALLBACK_TRANSITIONS, callback.state, to, actor=actor, is_customer=False):
        raise TicketTransitionForbidden("forbidden", _("Only support staff record callback outcomes."))


def retry_at(now: datetime) -> datetime:
    """When the one retry is due: OKPAY_CALLBACK_RETRY_MINUTES later, moved into the phone hours."""
    hours = phone.phone_hours()
    later = now + timedelta(minutes=int(getattr(settings, "OKPAY_CALLBACK_RETRY_MINUTES", 60)))
    return hours.calendar.next_business_moment(later) if hours is not None else later


@transaction.atomic
def callback_outcome_record(*, callback: Callback, actor, outcome: str, note: str = "") -> Callback:
    """The outcome of a call for `callback`: reached (final), or no answer — the first schedules one
    retry, the second emails the customer and marks the callback failed. Locks the callback, so two
    agents recording at once make one move and the other is refused (callback_finished) or sees the
    retry. Each attempt is stored with its agent; the question gets an internal note."""
    callback = Callback.objects.select_for_update().select_related("ticket").get(pk=callback.pk)
    if outcome not in CallOutcome.values:
        raise TicketError("invalid_outcome", _("Choose what happened on the call."), status=400)
    if outcome == CallOutcome.REACHED:
        to = CallbackState.REACHED
    else:
        to = CallbackState.RETRY if callback.state == CallbackState.REQUESTED else CallbackState.FAILED
    _transition_check(callback, to, actor)
    previous = callback.state
    now = timezone.now()
    CallbackAttempt.objects.create(callback=callback, outcome=outcome, agent=actor, note=note[:1000])
    callback.state = to
    if to == CallbackState.RETRY:
        callback.due_at = retry_at(now)
    callback.save(update_fields=["state", "due_at", "updated_at"])
    ticket = Ticket.objects.select_for_update().get(pk=callback.ticket_id)
    text = {
        CallbackState.REACHED: "Callback: reached the customer.",
        CallbackState.RETRY: "Callback: no answer; one retry due at {when}.",
        CallbackState.FAILED: "Callback: no answer again; the customer was emailed.",
    }[CallbackState(to)].format(when=timezone.localtime(callback.due_at).strftime("%Y-%m-%d %H:%M %Z"))
    TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, author=actor, body=text + (f"\n{note}" if note else "")
    )
    if to == CallbackState.REACHED:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        clocks.reply_stop(ticket)  # the call was the reply owed
        ticket.save(update_fields=["first_responded_at", *clocks.FIELDS, "updated_at"])
    if ticket.assignee_id is None:
        ticket = ticket_assign(ticket=ticket, actor=actor, assignee=actor)
    audit_event_record(
        action="ticket.callback_outcome",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "callback": callback.pk, "from": previous, "to": to},
    )
    if to == CallbackState.FAILED:
        _failed_email(callback, ticket)
    return callback


def _failed_email(callback: Callback, ticket: Ticket) -> None:
    """Tell the customer we could not reach them. Only our own words (the number of the question, the
    slot, the link): never the visitor's text, so it is safe for an unconfirmed address too."""
    first = i18n.normalise(ticket.language)
    requester = ticket.requester
    languages = [first] if ticket.address_confirmed else [first, i18n.other(first)]
    email_send(
        to=ticket.requester_email,
        template="tickets/email/callback_failed",
        context={
            "number": ticket.number,
            "ticket_url": customer_url(ticket),
            "slot_start": callback.slot_start,
            "languages": languages,
        },
        language=requester.language if requester else first,
        time_zone=callback.time_zone or None,
        reply_to=mailthread.reply_address(ticket),
        headers=mailthread.outgoing_headers(ticket, mailthread.message_id_new(ticket)),
    )


@transaction.atomic
def call_log(*, ticket: Ticket, actor, direction: str, duration_seconds: int, summary: str) -> PhoneCall:
    """An agent logs a call on a question: direction, duration and what was said (an internal note;
    the customer does not see it)."""
    if direction not in CallDirection.values:
        raise TicketError("invalid_direction", _("Say who called whom."), status=400)
    if not 0 <= duration_seconds <= DURATION_MAX_SECONDS:
        raise TicketError("invalid_duration", _("A call lasts between 0 and 6 hours."), status=400)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    call = PhoneCall.objects.create(
        ticket=ticket, direction=direction, duration_seconds=duration_seconds, summary=summary, agent=actor
    )
    minutes, seconds = divmod(duration_seconds, 60)
    with translation.override(i18n.normalise(actor.language)):  # a staff note: in the agent's language
        heading = str(_("Phone call (%(direction)s, %(duration)s) logged by %(agent)s:")) % {
            "direction": str(CallDirection(direction).label),
            "duration": f"{minutes}:{seconds:02d}",
            "agent": actor.email,
        }
    TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, author=actor, body=f"{heading}\n{summary}"
    )
    ticket.save(update_fields=["updated_at"])
    audit_event_record(
        action="ticket.call_logged",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "direction": direction, "duration_seconds": duration_seconds},
    )
    return call
