"""A question's reply-time clocks (policy.py gives the targets). Two clocks run on a question:

- **reply** — `reply_due_at`: the first reply's target from the question until the team's first public
  reply, then the next reply's target from each customer message the team has not answered yet. A
  public reply stops it (None).
- **resolution** — `resolution_due_at`: from the question (or its reopening) until it is solved or
  closed.

Both stop while the question waits for the customer (status pending: `paused_at`) and, when it comes
back (the customer replies), their due and warning times move on by the time that was left, counted on
each target's own clock (business hours for a business target). A target already missed when the clock
stopped stays missed. These functions only set fields on the (locked) question; the caller saves
`FIELDS` in its transaction."""

from __future__ import annotations

from datetime import datetime

from . import policy
from .choices import FINISHED_STATUSES, TicketStatus
from .models import Ticket

CLOCKS = ("reply", "resolution")
FIELDS = [
    f"{clock}_{part}" for clock in CLOCKS for part in ("due_at", "warn_at", "warned_at", "breached_at")
] + ["paused_at"]


def target_of(ticket: Ticket, clock: str, *, priority: str | None = None) -> policy.Target:
    """The policy target `clock` counts to for this question (at `priority`, default its own)."""
    name = ticket.reply_target if clock == "reply" else policy.RESOLUTION
    return policy.target(name, priority=priority or ticket.priority, topic=ticket.topic)


def _start(ticket: Ticket, clock: str, now: datetime) -> None:
    goal = target_of(ticket, clock)
    setattr(ticket, f"{clock}_due_at", goal.due(now))
    setattr(ticket, f"{clock}_warn_at", goal.warn_at(now))
    setattr(ticket, f"{clock}_warned_at", None)
    setattr(ticket, f"{clock}_breached_at", None)


def _stop(ticket: Ticket, clock: str) -> None:
    """No target on this clock any more (the marks of the last run stay, for the console)."""
    setattr(ticket, f"{clock}_due_at", None)
    setattr(ticket, f"{clock}_warn_at", None)


def reply_start(ticket: Ticket, now: datetime) -> None:
    """A reply is owed from `now` (a new question, a customer message when none was owed). On a paused
    question it counts from the resumption (its due time moves on then)."""
    _start(ticket, "reply", ticket.paused_at or now)


def reply_stop(ticket: Ticket) -> None:
    _stop(ticket, "reply")


def resolution_start(ticket: Ticket, now: datetime) -> None:
    _start(ticket, "resolution", ticket.paused_at or now)


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_at is None:
        ticket.paused_at = now


def resume(ticket: Ticket, now: datetime) -> None:
    """The clocks run again from `now`: each due (and pending warning) time is the time that was left
    when they stopped, on the target's clock, after `now`."""
    paused = ticket.paused_at
    if paused is None:
        return
    for clock in CLOCKS:
        due = getattr(ticket, f"{clock}_due_at")
        if due is None:
            continue
        goal = target_of(ticket, clock)
        left = goal.between(paused, due)
        if left > 0:  # a missed target stays as it was
            setattr(ticket, f"{clock}_due_at", goal.add(now, left))
        warn = getattr(ticket, f"{clock}_warn_at")
        if warn is not None and getattr(ticket, f"{clock}_warned_at") is None:
            warn_left = goal.between(paused, warn)
            if warn_left > 0:
                setattr(ticket, f"{clock}_warn_at", goal.add(now, warn_left))
    ticket.paused_at = None


def retarget(ticket: Ticket, *, previous_priority: str, now: datetime) -> None:
    """The priority changed: each running clock keeps the time it has run and counts to the new
    priority's target instead. A target that is now in the future may warn and be missed again."""
    at = ticket.paused_at or now  # a paused clock has not run since it stopped
    for clock in CLOCKS:
        due = getattr(ticket, f"{clock}_due_at")
        if due is None:
            continue
        old = target_of(ticket, clock, priority=previous_priority)
        new = target_of(ticket, clock)
        used = old.seconds - old.between(at, due)
        setattr(ticket, f"{clock}_due_at", new.add(at, new.seconds - used))
        setattr(ticket, f"{clock}_warn_at", new.add(at, new.warn_after_seconds - used))
        if new.seconds - used > 0:
            setattr(ticket, f"{clock}_breached_at", None)
            if new.warn_after_seconds - used > 0:
                setattr(ticket, f"{clock}_warned_at", None)


def on_status(ticket: Ticket, *, previous: str, now: datetime) -> None:
    """The clocks follow a status move (`ticket.status` is the new status): finished stops both;
    reopening starts a new resolution clock; waiting for the customer pauses, coming back resumes."""
    to = ticket.status
    if to in FINISHED_STATUSES:
        reply_stop(ticket)
        _stop(ticket, "resolution")
        ticket.paused_at = None
        return
    if to == TicketStatus.PENDING:
        pause(ticket, now)
    if previous in FINISHED_STATUSES:
        resolution_start(ticket, now)
    if to != TicketStatus.PENDING:
        resume(ticket, now)
