"""Audit rows. Who did it, from where, is the *audit context*: set once per request by
`AuditContextMiddleware` (or by a task, a command or a test with `audit_context(...)`), read by
`audit_event_record`, so actions take domain values and never the request."""

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from .models import AuditEvent


@dataclass(frozen=True)
class AuditContext:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""
    channel: str = ""  # "web", "api", "task", "command", "email"


_NO_CONTEXT = AuditContext()  # frozen: safe to share
_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "okpay_audit_context", default=None
)


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address. Behind a proxy, the proxy must set REMOTE_ADDR (uvicorn --proxy-headers)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_context_from_request(request: HttpRequest) -> AuditContext:
    return AuditContext(
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex,
        channel="api" if request.path.startswith("/api/") else "web",
    )


def audit_context_current() -> AuditContext:
    return _context.get() or _NO_CONTEXT


@contextmanager
def audit_context(context: AuditContext):
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


class AuditContextMiddleware:
    """Sets the audit context for the request (sync and async views alike)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(audit_context_from_request(request)):
            return self.get_response(request)


def audit_event_record(
    *,
    action: str,
    actor: Any = None,
    subject_user: Any = None,
    data: dict | None = None,
) -> AuditEvent:
    """One audit row. IP address and user agent come from the audit context."""
    event = audit_event_build(action=action, actor=actor, subject_user=subject_user, data=data)
    event.save(force_insert=True)
    return event


def audit_event_build(
    *,
    action: str,
    actor: Any = None,
    subject_user: Any = None,
    data: dict | None = None,
) -> AuditEvent:
    """The audit row `audit_event_record` writes, not saved yet (`created_at` is set when it is
    saved): for a caller whose database function writes it among its own rows."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    context = audit_context_current()
    return AuditEvent(
        action=action,
        actor=actor,
        subject_user=subject_user if subject_user is not None else actor,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        data=data or {},
    )
