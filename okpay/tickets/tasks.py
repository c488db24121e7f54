"""Questions' scheduled work: the reply-time sweep every minute (sweeps.py) and, when OKPAY_IMAP_HOST is
set, the IMAP poll (imap.py); each run queues the next, and okpay_hooks.py makes sure one is queued when
the worker starts."""

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


@task()
def tickets_imap_poll_task() -> dict:
    """The support mailbox's unseen mail into questions (imap.py), every OKPAY_IMAP_POLL_SECONDS."""
    from .imap import imap_configured, imap_poll

    try:
        return imap_poll().outcomes if imap_configured() else {}
    finally:
        tickets_imap_poll_schedule()


def tickets_imap_poll_schedule() -> str | None:
    """Queues the next IMAP poll when IMAP is configured (OKPAY_IMAP_HOST)."""
    from django.conf import settings

    from okpay.core.worker import periodic_ensure

    from .imap import imap_configured

    if not imap_configured():
        return None
    when = timezone.now() + timedelta(seconds=settings.OKPAY_IMAP_POLL_SECONDS)
    if periodic_ensure(tickets_imap_poll_task, when):
        return f"queued the next IMAP poll of {settings.OKPAY_IMAP['host']}"
    return None
