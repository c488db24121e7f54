"""Agents' workflow on questions (issue 15): tags, support groups, round-robin auto-assignment that
respects availability, and bulk changes from the queue.

Actions here are keyword-only and audited like actions.py; a refusal raises a DomainError and changes
nothing. A question's status still changes only in actions.ticket_transition (bulk status changes go
through it, one question at a time).

Auto-assignment: a new question without an assignee (actions.ticket_create calls ticket_auto_assign
after saving it, in the same transaction) goes to the next available agent of its group — online
(the chat app's presence, through core's AGENT_AVAILABILITY hook: tickets may not import chat),
serving the group, speaking the question's language and below OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN
questions — in round-robin order: whoever least recently got an auto-assigned question
(models.AssignmentTurn). The candidates' turn rows are locked in user order while one is chosen, so
questions arriving at the same moment are spread over the agents. Nobody available: it waits in the
shared queue."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks, i18n
from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError, PermissionDenied

from . import actions
from .choices import ACTIVE_STATUSES, SupportGroup, TicketStatus
from .errors import TicketError
from .models import AssignmentTurn, Tag, Ticket, tag_row_defaults

TAG_MAX_LENGTH = 40
TAGS_PER_QUESTION = 20
BULK_MAX = 100  # questions in one bulk request
_TAG_INPUT_MAX = 400  # characters of a tags field read at all (NFKC may lengthen text)
# a tag: letters of any script (Chinese included) and digits, words joined by single hyphens
_TAG_WORD = r"[^\W_]+"
_TAG_RE = re.compile(rf"{_TAG_WORD}(?:-{_TAG_WORD})*")
# assigned questions an agent is working on (counted against OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN)
WORKING_STATUSES = (*ACTIVE_STATUSES, TicketStatus.PENDING)


class TagInvalid(TicketError):
    status = 422


# --- tags -------------------------------------------------------------------------------------------


def tag_name_clean(value: str) -> str:
    """A tag's stored name: NFKC, lowercase, spaces inside become hyphens; then letters (Chinese too),
    digits and single hyphens between them, 1–40 characters. Anything else raises TagInvalid (422)."""
    if not isinstance(value, str) or len(value) > _TAG_INPUT_MAX:
        raise TagInvalid("invalid_tag", _("A tag has at most %(max)s characters."), max=TAG_MAX_LENGTH)
    name = "-".join(unicodedata.normalize("NFKC", value).lower().split())
    if not name:
        raise TagInvalid("invalid_tag", _("Enter a tag."))
    if len(name) > TAG_MAX_LENGTH:
        raise TagInvalid("invalid_tag", _("A tag has at most %(max)s characters."), max=TAG_MAX_LENGTH)
    if not _TAG_RE.fullmatch(name):
        raise TagInvalid(
            "invalid_tag",
            _("“%(tag)s” is not a valid tag: use letters, digits and single hyphens between them."),
            tag=name[:TAG_MAX_LENGTH],
        )
    return name


def tag_names_parse(text: str) -> list[str]:
    """Several tags typed in one field, separated by commas (， too) or semicolons: cleaned, each once,
    in the order typed. An invalid one raises TagInvalid naming it."""
    if not isinstance(text, str) or len(text) > _TAG_INPUT_MAX:
        raise TagInvalid("invalid_tag", _("Too many tags at once."))
    parts = re.split(r"[,;]", unicodedata.normalize("NFKC", text))
    names: list[str] = []
    for part in parts:
        if part.strip():
            name = tag_name_clean(part)
            if name not in names:
                names.append(name)
    if not names:
        raise TagInvalid("invalid_tag", _("Enter a tag."))
    return names


def _staff_only(actor) -> None:
    if not roles.is_staff(actor):
        raise PermissionDenied("forbidden", _("This is for OKPay staff."))


def _tags_record(ticket: Ticket, actor, *, added: list[str], removed: list[str]) -> None:
    audit_event_record(
        action="ticket.tags_changed",
        actor=actor,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "added": added, "removed": removed},
    )


@transaction.atomic
def ticket_tags_add(*, ticket: Ticket, actor, names: list[str]) -> list[str]:
    """Put tags (raw names, cleaned here) on a question; returns the names newly added (a tag it
    already has is no change). More than TAGS_PER_QUESTION in all is refused."""
    _staff_only(actor)
    cleaned = []
    for name in names:
        clean = tag_name_clean(name)
        if clean not in cleaned:
            cleaned.append(clean)
    ticket = actions._locked(ticket)
    have = set(ticket.tags.values_list("name", flat=True))
    new = [name for name in cleaned if name not in have]
    if not new:
        return []
    if len(have) + len(new) > TAGS_PER_QUESTION:
        raise TagInvalid(
            "too_many_tags",
            _("A question has at most %(max)s tags."),
            max=TAGS_PER_QUESTION,
        )
    tags = [Tag.objects.get_or_create(name=name)[0] for name in new]
    ticket.tags.add(*tags, through_defaults=tag_row_defaults(ticket))
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    _tags_record(ticket, actor, added=new, removed=[])
    return new


@transaction.atomic
def ticket_tags_set(*, ticket: Ticket, actor, names: list[str]) -> list[str]:
    """Make a question's tags exactly `names` (raw, cleaned here; [] takes them all off); returns the
    stored names, sorted. One audit row with what was added and removed; the same set is no change."""
    _staff_only(actor)
    wanted: list[str] = []
    for name in names:
        clean = tag_name_clean(name)
        if clean not in wanted:
            wanted.append(clean)
    if len(wanted) > TAGS_PER_QUESTION:
        raise TagInvalid("too_many_tags", _("A question has at most %(max)s tags."), max=TAGS_PER_QUESTION)
    ticket = actions._locked(ticket)
    have = set(ticket.tags.values_list("name", flat=True))
    added = [name for name in wanted if name not in have]
    removed = sorted(have - set(wanted))
    if added or removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
        ticket.tags.add(
            *[Tag.objects.get_or_create(name=name)[0] for name in added],
            through_defaults=tag_row_defaults(ticket),
        )
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        _tags_record(ticket, actor, added=added, removed=removed)
    return sorted(wanted)


@transaction.atomic
def ticket_tag_remove(*, ticket: Ticket, actor, name: str) -> bool:
    """Take a tag off a question; False when it did not have it (no change)."""
    _staff_only(actor)
    clean = tag_name_clean(name)
    ticket = actions._locked(ticket)
    tag = ticket.tags.filter(name=clean).first()
    if tag is None:
        return False
    ticket.tags.remove(tag)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    _tags_record(ticket, actor, added=[], removed=[clean])
    return True


# --- groups -----------------------------------------------------------------------------------------


def _group_value(group: str) -> str:
    if group not in SupportGroup.values:
        raise TicketError("invalid_group", _("Choose a valid group."), status=422)
    return group


@transaction.atomic
def ticket_group_set(*, ticket: Ticket, actor, group: str) -> Ticket:
    """Move a question to another support group. The new team takes it over: an unfinished question
    leaves its assignee and goes through auto-assignment in the new group (or waits in its queue).
    The same group is no change."""
    _staff_only(actor)
    group = _group_value(group)
    ticket = actions._locked(ticket)
    if ticket.group == group:
        return ticket
    previous, previous_assignee = ticket.group, ticket.assignee
    ticket.group = group
    fields = ["group", "updated_at"]
    if not ticket.is_finished and ticket.assignee_id is not None:
        ticket.assignee = None
        fields.append("assignee")
    ticket.save(update_fields=fields)
    audit_event_record(
        action="ticket.group_changed",
        actor=actor,
        subject_user=ticket.requester,
        data={
            "ticket": ticket.number,
            "from": previous,
            "to": group,
            "previous_assignee": previous_assignee.email if previous_assignee else "",
        },
    )
    if not ticket.is_finished:
        ticket_auto_assign(ticket=ticket)
    return ticket


# --- round-robin auto-assignment --------------------------------------------------------------------


def auto_assign_enabled() -> bool:
    return bool(getattr(settings, "OKPAY_TICKET_AUTO_ASSIGN", True))


def _candidates(ticket: Ticket) -> list[int]:
    """Ids of the staff who may get this question now: available for its group (AGENT_AVAILABILITY),
    speaking its language, active staff accounts; in id order (the lock order)."""
    agents = hooks.available_agents(group=ticket.group) or []
    language = i18n.normalise(ticket.language)
    ids = {agent.user_id for agent in agents if language in agent.languages}
    if not ids:
        return []
    staff = get_user_model().objects.filter(pk__in=ids, role__in=roles.STAFF_ROLES, is_active=True)
    return sorted(staff.values_list("pk", flat=True))


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket):
    """Give a question without an assignee to the next available agent of its group (see the module
    docstring); returns the agent, or None (off, already assigned, finished, nobody available). The
    question is left new: the agent has not looked at it yet."""
    if not auto_assign_enabled() or ticket.assignee_id is not None or ticket.status not in ACTIVE_STATUSES:
        return None
    ids = _candidates(ticket)
    if not ids:
        return None
    AssignmentTurn.objects.bulk_create([AssignmentTurn(user_id=pk) for pk in ids], ignore_conflicts=True)
    turns = list(AssignmentTurn.objects.select_for_update().filter(user_id__in=ids).order_by("user_id"))
    capacity = settings.OKPAY_TICKET_AUTO_ASSIGN_MAX_OPEN
    loads = dict(
        Ticket.objects.filter(assignee_id__in=ids, status__in=WORKING_STATUSES)
        .order_by()
        .values_list("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    free = [turn for turn in turns if loads.get(turn.user_id, 0) < capacity]
    if not free:
        return None
    turn = min(
        free,
        key=lambda t: (t.last_assigned_at is not None, t.last_assigned_at or timezone.now(), t.user_id),
    )
    # strictly after every candidate's turn, so "least recent" never ties
    latest = max((t.last_assigned_at for t in turns if t.last_assigned_at), default=None)
    now = timezone.now()
    turn.last_assigned_at = max(now, latest + timedelta(microseconds=1)) if latest else now
    turn.save(update_fields=["last_assigned_at"])
    agent = get_user_model().objects.get(pk=turn.user_id)
    ticket.assignee = agent
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent, updated_at=now)
    audit_event_record(
        action="ticket.auto_assigned",
        actor=None,
        subject_user=ticket.requester,
        data={"ticket": ticket.number, "assignee": agent.email, "group": ticket.group},
    )
    return agent


# --- bulk changes from the queue --------------------------------------------------------------------


def assignable_staff(limit: int = 200) -> list:
    """The staff a question may be assigned to (the bulk bar's list), by email."""
    return list(
        get_user_model().objects.filter(role__in=roles.STAFF_ROLES, is_active=True).order_by("email")[:limit]
    )


BULK_ACTIONS = ("assign", "status", "tag", "group")


@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)  # question numbers
    unchanged: list[str] = field(default_factory=list)  # already so
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, translated reason)
    missing: int = 0  # numbers that are no question


def _one(ticket: Ticket, *, action: str, actor, value) -> bool:
    """Apply one bulk change to one question (each action locks it); whether it changed anything."""
    if action == "assign":
        if ticket.assignee_id == (value.pk if value is not None else None):
            return False
        actions.ticket_assign(ticket=ticket, actor=actor, assignee=value)
        return True
    if action == "status":
        if ticket.status == value:
            return False
        actions.ticket_status_set(ticket=ticket, actor=actor, status=value)  # → ticket_transition
        return True
    if action == "tag":
        return bool(ticket_tags_add(ticket=ticket, actor=actor, names=value))
    if ticket.group == value:
        return False
    ticket_group_set(ticket=ticket, actor=actor, group=value)
    return True


def bulk_value(*, action: str, actor, raw: str):
    """The bulk action's value from the form: assign "me", "" (the shared queue) or a staff member's id;
    a status; tags (comma-separated); a group. Invalid raises a DomainError (422) naming the problem."""
    if action not in BULK_ACTIONS:
        raise TicketError("invalid_action", _("Choose what to do with the selected questions."), status=422)
    raw = (raw or "").strip()
    if action == "assign":
        if raw == "me":
            return actor
        if raw == "":
            return None
        agent = (
            get_user_model().objects.filter(pk=int(raw), role__in=roles.STAFF_ROLES, is_active=True).first()
            if raw.isdigit() and len(raw) < 12
            else None
        )
        if agent is None:
            raise TicketError("invalid_assignee", _("Choose a member of staff to assign it to."), status=422)
        return agent
    if action == "status":
        if raw not in TicketStatus.values:
            raise TicketError("invalid_status", _("Choose a valid status."), status=422)
        return raw
    if action == "tag":
        return tag_names_parse(raw)
    return _group_value(raw)


@transaction.atomic
def tickets_bulk_change(*, actor, numbers: list[str], action: str, value) -> BulkResult:
    """One change (assign, status, tag, group) to up to BULK_MAX questions in one transaction: each
    question locked in id order (two bulk requests never wait on each other in a cycle) and changed
    through its own action in a savepoint, so a refused one (e.g. an illegal status move) is reported
    and changes nothing while the others go through. `value` comes from bulk_value."""
    _staff_only(actor)
    if action not in BULK_ACTIONS:
        raise TicketError("invalid_action", _("Choose what to do with the selected questions."), status=422)
    wanted = list(dict.fromkeys(n.strip().upper()[:12] for n in numbers if isinstance(n, str) and n.strip()))
    if not wanted:
        raise TicketError("nothing_selected", _("Select at least one question."), status=422)
    if len(wanted) > BULK_MAX:
        raise TicketError(
            "too_many", _("Select at most %(max)s questions at a time."), status=422, max=BULK_MAX
        )
    tickets = list(Ticket.objects.select_for_update().filter(number__in=wanted).order_by("pk"))
    result = BulkResult(missing=len(wanted) - len(tickets))
    order = {number: i for i, number in enumerate(wanted)}
    for ticket in sorted(tickets, key=lambda t: order[t.number]):
        try:
            with transaction.atomic():
                changed = _one(ticket, action=action, actor=actor, value=value)
        except DomainError as error:
            result.refused.append((ticket.number, str(error.message)))
        else:
            (result.changed if changed else result.unchanged).append(ticket.number)
    return result
