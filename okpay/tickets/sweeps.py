"""The reply-time sweep: every minute (`tasks.tickets_sweep_task`, scheduled by okpay_hooks.py) it
finds the questions whose clocks (clocks.py) reached their warning or due time and

- **coming breach** (`…_warn_at` passed): tells the assignee — or, on an unassigned question, the
  supervisors — in an in-app notice;
- **breach** (`…_due_at` passed): tells the supervisors, raises the question's priority one step
  (urgent stays urgent; the due times already missed stay as they were) and writes an audit row.

Each fires once per clock run: the question's row is locked and the rule checked again under the lock,
and the mark (`…_warned_at`, `…_breached_at`) is written in the same transaction, so two sweeps at once
— or a sweep racing a reply — fire nothing twice and nothing after the question moved on (solved,
answered, waiting for the customer). A breach found before its warning went out marks the warning too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okpay.accounts import roles
from okpay.core.audit import audit_event_record
from okpay.core.notices import notice_send

from . import clocks, policy
from .choices import FINISHED_STATUSES, TicketPriority
from .models import Ticket

logger = logging.getLogger(__name__)

BATCH = 500  # questions per clock and kind in one run (the longest overdue first); the rest next minute

TARGET_LABELS = {
    policy.FIRST_REPLY: gettext_lazy("First reply"),
    policy.NEXT_REPLY: gettext_lazy("Next reply"),
    policy.RESOLUTION: gettext_lazy("Resolution"),
}


def _due(clock: str, kind: str, now: datetime) -> QuerySet[Ticket]:
    """Questions whose `clock` has reached its warning ("warn") or due ("breach") time and not been
    marked for it; the same filter is the re-check under the lock."""
    moment, mark = ("warn_at", "warned_at") if kind == "warn" else ("due_at", "breached_at")
    return Ticket.objects.filter(
        **{
            f"{clock}_{moment}__lte": now,
            f"{clock}_{mark}__isnull": True,
            f"{clock}_due_at__isnull": False,
            "paused_at__isnull": True,
        }
    ).exclude(status__in=FINISHED_STATUSES)


def _supervisors():
    return get_user_model().objects.filter(is_active=True, role__in=roles.SUPERVISOR_ROLES).order_by("pk")


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")  # in the notice's time zone


def _tell(users, ticket: Ticket, title: Callable[[], str], body: Callable[[], str]) -> int:
    url = reverse("console:ticket", args=[ticket.number])
    count = 0
    for user in users:
        notice_send(user=user, title=title, body=body, url=url)
        count += 1
    return count


def ticket_clock_warn(*, ticket_id: int, clock: str, now: datetime | None = None) -> bool:
    """Warn of a coming breach on one question's `clock`, once. Returns whether it warned."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _due(clock, "warn", now).select_for_update().filter(pk=ticket_id).first()
        if ticket is None:  # marked by another sweep, answered, paused or solved meanwhile
            return False
        setattr(ticket, f"{clock}_warned_at", now)
        ticket.save(update_fields=[f"{clock}_warned_at"])
        target = clocks.target_of(ticket, clock).name
        due = getattr(ticket, f"{clock}_due_at")
        recipients = (
            [ticket.assignee] if ticket.assignee and ticket.assignee.is_active else list(_supervisors())
        )
        told = _tell(
            recipients,
            ticket,
            lambda: (
                _("%(target)s due soon: question %(number)s")
                % {"target": TARGET_LABELS[target], "number": ticket.number}
            ),
            lambda: _("Due by %(due)s: “%(subject)s”") % {"due": _when(due), "subject": ticket.subject},
        )
        audit_event_record(
            action="ticket.target_warned",
            subject_user=ticket.requester,
            data={"ticket": ticket.number, "target": target, "due": due.isoformat(), "told": told},
        )
        return True


def ticket_clock_breach(*, ticket_id: int, clock: str, now: datetime | None = None) -> bool:
    """Record a missed target on one question's `clock`, once: supervisors told, priority one step up,
    an audit row. Returns whether it fired."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _due(clock, "breach", now).select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return False
        target = clocks.target_of(ticket, clock).name
        due = getattr(ticket, f"{clock}_due_at")
        fields = [f"{clock}_breached_at", "priority", "updated_at"]
        setattr(ticket, f"{clock}_breached_at", now)
        if getattr(ticket, f"{clock}_warned_at") is None:  # no warning after the breach
            setattr(ticket, f"{clock}_warned_at", now)
            fields.append(f"{clock}_warned_at")
        previous = ticket.priority
        ticket.priority = policy.priority_raised(previous)
        ticket.save(update_fields=fields)
        raised = ticket.priority != previous

        def body() -> str:
            text = _("Was due by %(due)s: “%(subject)s”.") % {"due": _when(due), "subject": ticket.subject}
            if raised:
                text += " " + _("Priority raised from %(from)s to %(to)s.") % {
                    "from": TicketPriority(previous).label,
                    "to": TicketPriority(ticket.priority).label,
                }
            return text

        told = _tell(
            _supervisors(),
            ticket,
            lambda: (
                _("%(target)s overdue: question %(number)s")
                % {"target": TARGET_LABELS[target], "number": ticket.number}
            ),
            body,
        )
        audit_event_record(
            action="ticket.target_breached",
            subject_user=ticket.requester,
            data={
                "ticket": ticket.number,
                "target": target,
                "due": due.isoformat(),
                "priority_from": previous,
                "priority_to": ticket.priority,
                "told": told,
            },
        )
        return True


def reply_time_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """One run: breaches first (a breach also marks its warning), then warnings. Returns the counts."""
    now = now or timezone.now()
    counts = {"breached": 0, "warned": 0}
    for kind, fire, key in (
        ("breach", ticket_clock_breach, "breached"),
        ("warn", ticket_clock_warn, "warned"),
    ):
        moment = "due_at" if kind == "breach" else "warn_at"
        for clock in clocks.CLOCKS:
            ids = list(
                _due(clock, kind, now)
                .order_by(f"{clock}_{moment}", "pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            for pk in ids:
                try:
                    counts[key] += fire(ticket_id=pk, clock=clock, now=now)
                except Exception:  # one question's failure does not stop the others
                    logger.exception("reply-time sweep: question %s, %s %s failed", pk, clock, kind)
    return counts
