"""Disputes' scheduled work: each deadline is a task queued for its moment (the database queue keeps
it across restarts), and a sweep every minute fires any deadline whose task was lost and collects
what parties owe. Firing twice is harmless: `dispute_deadline_fire` fires a deadline once."""

from datetime import timedelta

from django.db import transaction
from django.tasks import task, task_backends
from django.utils import timezone

SWEEP_EVERY = timedelta(minutes=1)


@task()
def dispute_deadline_task(*, deadline_id: int) -> bool:
    from .actions import dispute_deadline_fire

    return dispute_deadline_fire(deadline_id=deadline_id)


def dispute_deadline_schedule(deadline) -> None:
    """Queue the deadline's task for its moment, after the commit; backends that cannot defer (the
    tests' immediate backend) leave it to the sweep."""
    if task_backends[dispute_deadline_task.backend].supports_defer:
        when, pk = deadline.due_at, deadline.pk
        transaction.on_commit(lambda: dispute_deadline_task.using(run_after=when).enqueue(deadline_id=pk))


@task()
def disputes_sweep_task() -> dict:
    """Every minute: deadlines that are due and did not fire, then amounts owed that can be collected."""
    from .actions import dispute_debts_collect, disputes_deadlines_due

    try:
        return {"deadlines_fired": disputes_deadlines_due(), "debts_collected": dispute_debts_collect()}
    finally:
        disputes_sweep_schedule()


def disputes_sweep_schedule() -> str | None:
    from okpay.core.worker import periodic_ensure

    if periodic_ensure(disputes_sweep_task, timezone.now() + SWEEP_EVERY):
        return "queued the next disputes sweep (deadlines due, amounts owed)"
    return None
