"""Questions' scheduled work: the reply-time sweep every minute (sweeps.py); each run queues the next,
and okpay_hooks.py makes sure one is queued when the worker starts."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

SWEEP_EVERY = timedelta(minutes=1)


@task()
def tickets_sweep_task() -> dict:
    from okpay.core.audit import AuditContext, audit_context

    from .sweeps import reply_time_sweep

    try:
        with audit_context(AuditContext(channel="task")):
            return reply_time_sweep()
    finally:
        tickets_sweep_schedule()


def tickets_sweep_schedule() -> str | None:
    from okpay.core.worker import periodic_ensure

    if periodic_ensure(tickets_sweep_task, timezone.now() + SWEEP_EVERY):
        return "queued the next tickets sweep (reply-time warnings and breaches)"
    return None
