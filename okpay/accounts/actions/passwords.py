"""Password reset (request, the worker's email, completion) and password change. The browser-bound
parts (the reset token kept in the session, the new session auth hash after a change, flushing
the session after a reset) are `okpay.accounts.sessions`'."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from okpay.core.audit import AuditContext, audit_context, audit_context_current, audit_event_record
from okpay.core.mail import email_send
from okpay.core.models import AuditEvent
from okpay.core.ratelimit import rate_limit_policy, rate_limited

from ..models import AccountLock, LoginFailure, User
from ..tasks import password_reset_send
from ..tokens import password_reset_tokens
from .common import normalize_email, sessions_end
from .tokens import api_tokens_revoke_all


def password_reset_request(*, email: str, ip_address: str | None) -> bool:
    """The page answers the same for any address. Returns False only when `ip_address` is over
    its limit (OKPAY_RATE_LIMITS["password_reset_per_ip"]). The lookup and the email happen in a background
    task, so the response time does not depend on whether the account exists either."""
    ip = ip_address or "unknown"
    if rate_limited("password_reset_per_ip", ip):
        audit_event_record(action="password_reset.ip_rate_limited")
        return False
    email = normalize_email(email)
    transaction.on_commit(lambda: password_reset_send.enqueue(email=email, ip_address=ip))
    return True


def password_reset_email_send(*, email: str, ip_address: str | None) -> str:
    """Runs in the worker. Returns what happened, for the task result and tests."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return "no_account"
    ip = ip_address if ip_address and ip_address != "unknown" else None
    with audit_context(AuditContext(ip_address=ip, channel="task")):
        limit, window_seconds = rate_limit_policy("password_reset_per_account")
        recent = AuditEvent.objects.filter(
            subject_user=user,
            action="password_reset.requested",
            created_at__gte=timezone.now() - timedelta(seconds=window_seconds),
        ).count()
        if recent >= limit:
            audit_event_record(action="password_reset.account_rate_limited", subject_user=user)
            return "account_rate_limited"
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = password_reset_tokens.make_token(user)
        url = settings.SITE_URL + reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
        )
        minutes = settings.PASSWORD_RESET_TIMEOUT // 60
        with transaction.atomic():
            audit_event_record(action="password_reset.requested", subject_user=user)
            email_send(
                to=user.email,
                template="accounts/email/password_reset",
                context={"user": user, "reset_url": url, "minutes": minutes},
                language=user.language,
                time_zone=user.time_zone,
            )
    return "sent"


def password_reset_complete(*, user: User, password: str) -> None:
    """Set the new password, end every session, revoke every API token (someone who had the old
    password may have made one), clear the lockout, mail a notice. No auto-login."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        ended = sessions_end(user=user)
        revoked = api_tokens_revoke_all(user=user, reason="password_reset")
        LoginFailure.objects.filter(email=user.email).delete()
        AccountLock.objects.filter(email=user.email).update(locked_until=None, lock_count=0)
        audit_event_record(
            action="password_reset.completed",
            subject_user=user,
            data={"sessions_ended": ended, "api_tokens_revoked": revoked},
        )
        _password_changed_notice(user=user, tokens_revoked=revoked)


@dataclass(frozen=True)
class PasswordChangeResult:
    sessions_ended: int
    tokens_revoked: int


def password_change(
    *,
    user: User,
    new_password: str,
    revoke_api_tokens: bool = False,
    keep_session_key: str | None = None,
) -> PasswordChangeResult:
    """Set the new password and end every session of `user` but `keep_session_key` (the browser
    that asked); with `revoke_api_tokens` (the form's checkbox, on by default) also revoke every
    API token of the account."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        ended = sessions_end(user=user, keep_session_key=keep_session_key)
        revoked = (
            api_tokens_revoke_all(user=user, reason="password_change", actor=user) if revoke_api_tokens else 0
        )
        audit_event_record(
            action="password.changed",
            actor=user,
            data={"sessions_ended": ended, "api_tokens_revoked": revoked},
        )
        _password_changed_notice(user=user, tokens_revoked=revoked)
    return PasswordChangeResult(sessions_ended=ended, tokens_revoked=revoked)


def _password_changed_notice(*, user: User, tokens_revoked: int = 0) -> None:
    email_send(
        to=user.email,
        template="accounts/email/password_changed",
        context={
            "user": user,
            "when": timezone.now(),
            "time_zone": user.time_zone,
            "ip_address": audit_context_current().ip_address,
            "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            "tokens_revoked": tokens_revoked,
            "api_tokens_url": settings.SITE_URL + reverse("accounts:api_tokens"),
        },
        language=user.language,
        time_zone=user.time_zone,
    )
