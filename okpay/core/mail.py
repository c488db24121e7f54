"""Outgoing email. Mail is rendered in the recipient's language and sent by a background task
once the transaction commits; the embedded default stores it in the demo outbox.

A transactional outbox where the task queue is the database (django-tasks-db, the default): the
task's row is written in the caller's transaction, so it exists for the worker only if that
transaction commits (a rollback, of the transaction or of a savepoint around the call, takes it
away) and costs no second transaction of its own after the commit. Any other task backend (tests'
immediate backend, a broker) is enqueued from `transaction.on_commit`, as before."""

import zoneinfo
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .models import OutboxEmail

if TYPE_CHECKING:
    from django.template.backends.django import Template as DjangoTemplate


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html = content
            OutboxEmail.objects.create(
                to=", ".join(message.to),
                from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
                subject=message.subject,
                body_text=message.body,
                body_html=html,
            )
            sent += 1
        return sent


def _render_plain(name: str, context: dict) -> str:
    """A plain-text template (subject, text body) rendered without HTML escaping: "Can't" stays
    "Can't", not "Can&#x27;t". Only the .html part is escaped."""
    template = cast("DjangoTemplate", get_template(name))  # the DjangoTemplates backend (settings)
    return template.template.render(Context(context, autoescape=False))


def email_render(*, template: str, context: dict, language: str, time_zone: str | None = None):
    """(subject, text, html) of `<template>_subject.txt`, `.txt` and `.html` in `language` and
    `time_zone`."""
    zone = zoneinfo.ZoneInfo(time_zone) if time_zone else None
    with translation.override(language), timezone.override(zone):
        context = {"site_url": settings.SITE_URL, "support_email": settings.OKPAY_SUPPORT_EMAIL, **context}
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        text = _render_plain(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return subject, text, html


def email_send(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    time_zone: str | None = None,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    """Render `<template>_subject.txt`, `.txt` and `.html` in the recipient's language and time zone,
    and send after commit. `reply_to`: where the recipient's reply goes (e.g. the ticket mailbox);
    `headers`: more headers (a question's Message-ID, In-Reply-To, References)."""
    subject, text, html = email_render(
        template=template, context=context, language=language, time_zone=time_zone
    )

    from .tasks import send_email  # tasks import this module

    _enqueue(
        send_email, to=to, subject=subject, text=text, html=html, reply_to=reply_to, headers=headers or {}
    )


def email_send_rendered_later(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    time_zone: str | None = None,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    """`email_send`, with the rendering done by the task worker instead of the request (a hot path
    saves the templates' CPU). `context` holds plain values only (str, numbers, and dicts or lists of
    them — it travels as JSON): the worker renders the same templates from the same values in the
    same language and time zone, so the mail is the one `email_send` would have sent. A model in the
    context is refused here rather than read again, changed, by the worker."""
    import json

    json.dumps(context)  # TypeError for anything that is not a plain value

    from .tasks import send_email_template  # tasks import this module

    _enqueue(
        send_email_template,
        to=to,
        template=template,
        context=context,
        language=language,
        time_zone=time_zone,
        reply_to=reply_to,
        headers=headers or {},
    )


def _enqueue(task, **kwargs) -> None:
    if in_transaction_outbox(task):
        task.enqueue(**kwargs)  # in the caller's transaction: visible to the worker only once it commits
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))


def in_transaction_outbox(task) -> bool:
    """Whether enqueuing `task` writes its row through the default database connection (the one
    whose transaction `transaction.on_commit` follows): then the row itself is the outbox."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )
