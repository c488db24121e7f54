from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone


@task()
def send_email(
    *, to: str, subject: str, text: str, html: str, reply_to: str = "", headers: dict | None = None
) -> None:
    """Every mail we send carries X-OKPay-Loop: the email intake (tickets) drops mail that has it, so
    our own mail bounced or forwarded back to the support address never loops."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={**(headers or {}), "X-OKPay-Loop": settings.OKPAY_SUPPORT_EMAIL},
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@task()
def send_email_template(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    time_zone: str | None = None,
    reply_to: str = "",
    headers: dict | None = None,
) -> None:
    """The worker's half of `mail.email_send_rendered_later`: render, then send as `send_email`."""
    from .mail import email_render

    subject, text, html = email_render(
        template=template, context=context, language=language, time_zone=time_zone
    )
    send_email.call(to=to, subject=subject, text=text, html=html, reply_to=reply_to, headers=headers)


# --- periodic jobs: each queues its next run when it finishes; worker start makes sure one is
# queued (okpay_hooks.py registers them as hooks.WORKER_SCHEDULES) --------------------------------

IDEMPOTENCY_PRUNE_EVERY = timedelta(hours=1)
HOUSEKEEPING_EVERY = timedelta(days=1)
TASK_RESULTS_KEPT = {"SUCCESSFUL": timedelta(days=7), "FAILED": timedelta(days=30)}


@task()
def idempotency_prune_task() -> int:
    """Forget idempotency records older than 48 hours (they are kept at least 24)."""
    from .idempotency import idempotency_prune

    try:
        return idempotency_prune()
    finally:
        idempotency_prune_schedule()


def idempotency_prune_schedule() -> str | None:
    from .worker import periodic_ensure

    if periodic_ensure(idempotency_prune_task, timezone.now() + IDEMPOTENCY_PRUNE_EVERY):
        return "queued the next idempotency-record prune"
    return None


@task()
def housekeeping_task() -> dict:
    """Daily: delete expired sessions and old task results (successful after 7 days, failed after 30)."""
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    try:
        now = timezone.now()
        sessions, _rows = Session.objects.filter(expire_date__lt=now).delete()
        results = 0
        for status, kept in TASK_RESULTS_KEPT.items():
            deleted, _rows = DBTaskResult.objects.filter(status=status, finished_at__lt=now - kept).delete()
            results += deleted
        return {"sessions": sessions, "task_results": results}
    finally:
        housekeeping_schedule()


def housekeeping_schedule() -> str | None:
    from .worker import periodic_ensure

    if periodic_ensure(housekeeping_task, timezone.now() + HOUSEKEEPING_EVERY):
        return "queued the next housekeeping (expired sessions, old task results)"
    return None
