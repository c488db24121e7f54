"""Merging a duplicate question into another (issue 15, "merge").

`ticket_merge(source=…, target=…, actor=…)` moves everything of the duplicate (the source) to the
question that stays (the target) in one transaction: its messages (each keeps its author, kind, time
and Message-ID, so the thread stays in order and replies to the old mail thread find the target), their
files, logged phone calls, callbacks and tags. Both questions get a system message naming the other
(shown in the reader's language, choices.SystemEvent); the source is closed through the state machine
(staff may close any question that is not closed) and points at the target (`merged_into`). Questions
that were merged into the source before now point at the target too, so there are never chains.

Safety rules (one place: `ticket_merge_check`):
- only staff merge;
- never a question into itself, never a question already merged, never into a merged or closed one;
- only questions of the same requester: the same customer account, or — both asked without an
  account — the same address. Anything else is refused: the target's customer page would show the
  other person's messages.

Both rows are locked in id order (select_for_update), so A→B and B→A at the same moment neither both
succeed nor deadlock: the second waits, then finds its source or target merged and is refused.

No mail goes to anybody. The reply-time clocks of the target stay coherent (`_clocks_merge`)."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts.roles import is_staff
from okpay.core.audit import audit_event_record

from . import clocks
from .choices import MessageKind, SystemEvent, TicketStatus
from .errors import TicketMergeForbidden, TicketMergeRefused
from .models import Callback, PhoneCall, Ticket, TicketAttachment, TicketMessage, tag_row_defaults
from .search import ticket_search_rebuild


def same_requester(a: Ticket, b: Ticket) -> bool:
    """The same customer: the same account, or (both without an account) the same address."""
    if a.requester_id != b.requester_id:
        return False
    if a.requester_id is not None:
        return True
    return a.requester_email.strip().lower() == b.requester_email.strip().lower()


def ticket_merge_check(*, source: Ticket, target: Ticket, actor) -> None:
    """Raises TicketMergeForbidden (403) or TicketMergeRefused (409) when this merge may not happen;
    changes nothing. The console's confirmation page asks it before offering the button; ticket_merge
    asks it again on the locked rows."""
    if not is_staff(actor):
        raise TicketMergeForbidden("merge_forbidden", _("Only OKPay staff can merge questions."))
    if source.pk == target.pk:
        raise TicketMergeRefused("merge_self", _("A question cannot be merged into itself."))
    if source.merged_into_id is not None:
        raise TicketMergeRefused(
            "merge_source_merged",
            _("Question %(number)s has already been merged into another question."),
            number=source.number,
        )
    if target.merged_into_id is not None:
        raise TicketMergeRefused(
            "merge_target_merged",
            _("Question %(number)s was itself merged into another question: merge into that one."),
            number=target.number,
        )
    for ticket in (source, target):
        if ticket.status == TicketStatus.CLOSED:
            raise TicketMergeRefused(
                "merge_closed",
                _("Question %(number)s is closed: closed questions are not merged."),
                number=ticket.number,
            )
    if not same_requester(source, target):
        raise TicketMergeRefused(
            "merge_other_requester",
            _(
                "Questions %(source)s and %(target)s are from different customers or addresses. They are "
                "not merged: the customer would see another person's messages."
            ),
            source=source.number,
            target=target.number,
        )


def _locked_pair(source: Ticket, target: Ticket) -> tuple[Ticket, Ticket]:
    """Both rows, locked in id order (the same order whichever is the source: no deadlock)."""
    rows = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    }
    if source.pk not in rows or target.pk not in rows:
        raise TicketMergeRefused("merge_missing", _("One of the questions no longer exists."))
    return rows[source.pk], rows[target.pk]


def _clocks_merge(*, source: Ticket, target: Ticket, actor, now) -> Ticket:
    """If the team owes the customer a reply on the source, it owes it on the target: a target waiting for
    the customer or solved goes back to the team (open, through the state machine), and its reply clock
    is due at the earlier of the two due times (with that clock's warning and breach marks, so a warning
    or breach already sent is not sent again). A running resolution clock keeps the earlier due time too:
    the customer has been waiting since the older question. A source owing nothing changes no clock."""
    if source.reply_due_at is None or source.is_finished:
        return target
    if source.paused_at is not None:  # a paused clock counts as if it ran again from now
        clocks.resume(source, now)
    if target.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        from .actions import ticket_transition

        target = ticket_transition(
            ticket=target, to=TicketStatus.OPEN, actor=actor, note=f"merged {source.number}"
        )
    for clock in clocks.CLOCKS:
        theirs, ours = getattr(source, f"{clock}_due_at"), getattr(target, f"{clock}_due_at")
        if theirs is None or (clock == "resolution" and ours is None):
            continue
        if ours is None or theirs < ours:
            for part in ("due_at", "warn_at", "warned_at", "breached_at"):
                setattr(target, f"{clock}_{part}", getattr(source, f"{clock}_{part}"))
    return target


def _source_close(*, source: Ticket, target: Ticket, actor) -> Ticket:
    """The source ends closed and pointing at the target. The status moves through the one transition
    function (staff may close any question that is not closed), audited as ticket.status_changed."""
    from .actions import ticket_transition

    source = ticket_transition(
        ticket=source, to=TicketStatus.CLOSED, actor=actor, note=f"merged into {target.number}"
    )
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    return source


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor) -> Ticket:
    """Merges the duplicate `source` into `target` (see the module's description); returns the target,
    current. A refused merge raises TicketMergeForbidden / TicketMergeRefused and changes nothing."""
    if source.pk == target.pk:  # before locking: one row
        ticket_merge_check(source=source, target=target, actor=actor)
    source, target = _locked_pair(source, target)
    ticket_merge_check(source=source, target=target, actor=actor)
    now = timezone.now()

    moved = TicketMessage.objects.filter(ticket=source).update(ticket=target)  # files follow their message
    calls = PhoneCall.objects.filter(ticket=source).update(ticket=target)
    callbacks = Callback.objects.filter(ticket=source).update(ticket=target)
    tags = list(source.tags.all())
    if tags:
        target.tags.add(*tags, through_defaults=tag_row_defaults(target))
    Ticket.objects.filter(merged_into=source).update(merged_into=target)  # no chains

    target = _clocks_merge(source=source, target=target, actor=actor, now=now)
    fields = [*clocks.FIELDS, "updated_at"]
    if target.assignee_id is None and source.assignee_id is not None:
        target.assignee_id = source.assignee_id
        fields.append("assignee")
    for context in (
        "transaction",
        "bot_conversation",
    ):  # what the duplicate was about, if the target lacks it
        if getattr(target, f"{context}_id") is None and getattr(source, f"{context}_id") is not None:
            setattr(target, f"{context}_id", getattr(source, f"{context}_id"))
            fields.append(context)
    target.save(update_fields=fields)

    TicketMessage.objects.create(
        ticket=target, kind=MessageKind.SYSTEM, body=f"{SystemEvent.MERGED_FROM} {source.number}"
    )
    TicketMessage.objects.create(
        ticket=source, kind=MessageKind.SYSTEM, body=f"{SystemEvent.MERGED_INTO} {target.number}"
    )
    source = _source_close(source=source, target=target, actor=actor)
    ticket_search_rebuild(target)  # its own words, the source's messages and the source's number
    ticket_search_rebuild(source)
    audit_event_record(
        action="ticket.merged",
        actor=actor,
        subject_user=target.requester,
        data={
            "source": source.number,
            "target": target.number,
            "messages": moved,
            "calls": calls,
            "callbacks": callbacks,
            "tags": [tag.name for tag in tags],
        },
    )
    target.refresh_from_db()
    return target


def merge_destination(ticket: Ticket) -> Ticket | None:
    """The question a merged question's links lead to (None if it was not merged). Merges leave no
    chains (ticket_merge re-points earlier merges), but a few steps are followed in any case."""
    seen = {ticket.pk}
    current = ticket
    while current.merged_into_id is not None and len(seen) < 5:
        current = Ticket.objects.select_related("requester").get(pk=current.merged_into_id)
        if current.pk in seen:
            break
        seen.add(current.pk)
    return current if current.pk != ticket.pk else None


def merge_preview(ticket: Ticket) -> dict:
    """What the confirmation page shows of a question: its message counts (public and internal)."""
    counts = dict.fromkeys(MessageKind.values, 0)
    counts.update(ticket.messages.order_by().values_list("kind").annotate(n=Count("id")))
    return {
        "ticket": ticket,
        "public": counts[MessageKind.CUSTOMER] + counts[MessageKind.AGENT],
        "notes": counts[MessageKind.NOTE],
        "calls": ticket.calls.count(),
        "callbacks": ticket.callbacks.count(),
        "attachments": TicketAttachment.objects.filter(message__ticket=ticket).count(),
    }
