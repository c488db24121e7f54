"""Every state change of the accounts app: sign-up, login and lockout, sessions, passwords, 2FA,
API tokens. Each writes its audit event."""

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.audit import audit_event_record, client_ip
from okpay.core.mail import email_send
from okpay.core.ratelimit import rate_limit_exceeded

from .backends import EmailBackend
from .choices import Role, TokenScope
from .models import AccountLock, ApiToken, LoginFailure, User, UserSession
from .tokens import email_verification_token_make, email_verification_token_read, password_reset_tokens


def _session_store(session_key: str) -> SessionBase:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


# --- sign-up and email verification ---------------------------------------------------------


def user_signup(
    *, request: HttpRequest, email: str, password: str, full_name: str, language: str
) -> User | None:
    """Create an unverified customer and mail a verification link. For an address that already has an
    account, mail that account a notice instead: the page the visitor sees is the same either way,
    and so is the time it takes: the password is hashed (the expensive part) before the lookup, on
    both paths, and each path renders one email."""
    email = normalize_email(email)
    password_hash = make_password(password)
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            audit_event_record(action="signup.existing_email", subject_user=existing, request=request)
            email_send(
                to=existing.email,
                template="accounts/email/signup_existing",
                context={
                    "user": existing,
                    "login_url": settings.SITE_URL + reverse("accounts:login"),
                    "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
                },
                language=existing.language,
                time_zone=existing.time_zone,
            )
            return None
        user = User.objects.create(
            email=email, password=password_hash, full_name=full_name, language=language, role=Role.CUSTOMER
        )
        audit_event_record(action="signup.created", subject_user=user, request=request)
        verification_send(user=user)
    return user


def verification_send(*, user: User) -> None:
    token = email_verification_token_make(user)
    url = settings.SITE_URL + reverse("accounts:verify_email", kwargs={"token": token})
    email_send(
        to=user.email,
        template="accounts/email/verify",
        context={"user": user, "verify_url": url},
        language=user.language,
        time_zone=user.time_zone,
    )


def user_verify_email(*, request: HttpRequest, token: str) -> User | None:
    data = email_verification_token_read(token)
    if data is None:
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data.get("u"), is_active=True).first()
        if user is None or user.email != data.get("e"):
            return None
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            audit_event_record(action="signup.email_verified", subject_user=user, request=request)
    return user


# --- login, lockout and sessions ------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    # "invalid" | "locked" | "unverified" | "network_limited" | "global_limited"
    error: str | None = None
    locked_until: object = None


def _lock_duration(lock_count: int) -> timedelta:
    duration = settings.OKPAY_LOCKOUT_BASE * (2 ** max(lock_count - 1, 0))
    return min(duration, settings.OKPAY_LOCKOUT_MAX)


LOGIN_PAUSED_ERRORS = frozenset({"locked", "network_limited", "global_limited"})


def ip_network_key(ip: str | None) -> str:
    """What the per-network failure budget counts by: an IPv4 address as is, an IPv6 address by its
    /64 (what one subscriber usually gets, so a single attacker cannot rotate through it)."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _failure_budget_exhausted(*, network: str, now) -> tuple[str, object] | None:
    """(error, until) when this network's, or the whole site's, failure budget for the window is
    spent; None otherwise. A budget frees up when the failure that filled it leaves the window."""
    window = settings.OKPAY_LOGIN_FAILURE_WINDOW
    recent = LoginFailure.objects.filter(created_at__gt=now - window).order_by("-created_at")
    budgets = (
        ("network_limited", recent.filter(network=network), settings.OKPAY_LOGIN_FAILURES_PER_NETWORK),
        ("global_limited", recent, settings.OKPAY_LOGIN_FAILURES_GLOBAL),
    )
    for error, failures, budget in budgets:
        budget = max(budget, 1)
        filled_at = failures.values_list("created_at", flat=True)[budget - 1 : budget].first()
        if filled_at is not None:
            return error, filled_at + window
    return None


def login_attempt(*, request: HttpRequest, email: str, password: str) -> LoginResult:
    """Check the password unless the address is locked or a failure budget (this network's, or the
    site's) is spent. Failures are counted per address whether or not an account exists, so
    lockout reveals nothing either."""
    email = normalize_email(email)
    now = timezone.now()
    lock = AccountLock.objects.filter(email=email).first()
    if lock is not None and lock.locked_until and lock.locked_until > now:
        audit_event_record(
            action="login.refused_locked",
            subject_user=User.objects.filter(email=email).first(),
            request=request,
            data={"email": email},
        )
        return LoginResult(error="locked", locked_until=lock.locked_until)

    network = ip_network_key(client_ip(request))
    exhausted = _failure_budget_exhausted(network=network, now=now)
    if exhausted is not None:
        error, until = exhausted
        audit_event_record(
            action=f"login.refused_{error}",
            subject_user=User.objects.filter(email=email).first(),
            request=request,
            data={"email": email, "network": network, "until": until.isoformat()},
        )
        return LoginResult(error=error, locked_until=until)

    user = EmailBackend().authenticate(request, email=email, password=password)
    if user is None:
        return _login_failure_record(request=request, email=email, now=now)

    LoginFailure.objects.filter(email=email).delete()
    AccountLock.objects.filter(email=email).update(lock_count=0, locked_until=None)
    if user.email_verified_at is None:
        verification_send(user=user)
        audit_event_record(action="login.refused_unverified", subject_user=user, request=request)
        return LoginResult(error="unverified")
    user_login(request=request, user=user)
    return LoginResult(user=user)


def _login_failure_record(*, request: HttpRequest, email: str, now) -> LoginResult:
    subject = User.objects.filter(email=email).first()
    with transaction.atomic():
        ip = client_ip(request)
        LoginFailure.objects.create(email=email, ip_address=ip, network=ip_network_key(ip), created_at=now)
        lock, _ = AccountLock.objects.get_or_create(email=email)
        lock = AccountLock.objects.select_for_update().get(pk=lock.pk)
        window_start = now - settings.OKPAY_LOCKOUT_WINDOW
        if lock.locked_until and lock.locked_until > window_start:
            window_start = lock.locked_until  # failures before the last lock ended do not count again
        failures = LoginFailure.objects.filter(email=email, created_at__gt=window_start).count()
        audit_event_record(
            action="login.failed",
            subject_user=subject,
            request=request,
            data={"email": email, "recent_failures": failures},
        )
        if failures < settings.OKPAY_LOCKOUT_FAILURES:
            return LoginResult(error="invalid")
        if lock.last_locked_at and now - lock.last_locked_at > timedelta(days=1):
            lock.lock_count = 0
        lock.lock_count += 1
        lock.locked_until = now + _lock_duration(lock.lock_count)
        lock.last_locked_at = now
        lock.save()
        audit_event_record(
            action="login.locked",
            subject_user=subject,
            request=request,
            data={"email": email, "until": lock.locked_until.isoformat(), "lock_count": lock.lock_count},
        )
    return LoginResult(error="locked", locked_until=lock.locked_until)


def user_login(*, request: HttpRequest, user: User) -> None:
    login(request, user, backend="okpay.accounts.backends.EmailBackend")
    user_session_record(request=request, user=user)
    audit_event_record(action="login.succeeded", actor=user, request=request)


def user_session_record(*, request: HttpRequest, user: User) -> UserSession:
    if request.session.session_key is None:
        request.session.save()
    session, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "last_seen_at": timezone.now(),
        },
    )
    return session


def user_logout(*, request: HttpRequest) -> None:
    from django.contrib.auth import logout

    user = request.user if request.user.is_authenticated else None
    key = request.session.session_key
    if user is not None:
        audit_event_record(action="logout", actor=user, request=request)
    logout(request)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Delete the user's sessions from the session store, except `keep_session_key`."""
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended = 0
    for session in sessions:
        _session_store(session.session_key).delete()
        ended += 1
    sessions.delete()
    return ended


def sessions_end_others(*, request: HttpRequest) -> int:
    ended = sessions_end(user=request.user, keep_session_key=request.session.session_key)
    audit_event_record(
        action="sessions.ended_others", actor=request.user, request=request, data={"count": ended}
    )
    return ended


def session_end_one(*, request: HttpRequest, session_id: int) -> bool:
    session = UserSession.objects.filter(user=request.user, pk=session_id).first()
    if session is None or session.session_key == request.session.session_key:
        return False
    _session_store(session.session_key).delete()
    session.delete()
    audit_event_record(action="sessions.ended_one", actor=request.user, request=request)
    return True


# --- passwords ------------------------------------------------------------------------------


def password_reset_request(*, request: HttpRequest, email: str) -> bool:
    """The page answers the same for any address. Returns False only when this IP is over its
    limit (10/h, policy). The lookup and the email happen in a background task, so the response
    time does not depend on whether the account exists either."""
    ip = client_ip(request) or "unknown"
    if rate_limit_exceeded(
        scope="pwreset-ip", key=ip, limit=settings.OKPAY_RESET_LIMIT_PER_IP_HOUR, window_seconds=3600
    ):
        audit_event_record(action="password_reset.ip_rate_limited", request=request)
        return False
    from .tasks import password_reset_send

    email = normalize_email(email)
    transaction.on_commit(lambda: password_reset_send.enqueue(email=email, ip_address=ip))
    return True


def password_reset_email_send(*, email: str, ip_address: str | None) -> str:
    """Runs in the worker. Returns what happened, for the task result and tests."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return "no_account"
    hour_ago = timezone.now() - timedelta(hours=1)
    from okpay.core.models import AuditEvent

    recent = AuditEvent.objects.filter(
        subject_user=user, action="password_reset.requested", created_at__gte=hour_ago
    ).count()
    ip = ip_address if ip_address and ip_address != "unknown" else None
    if recent >= settings.OKPAY_RESET_LIMIT_PER_ACCOUNT_HOUR:
        AuditEvent.objects.create(
            action="password_reset.account_rate_limited", subject_user=user, ip_address=ip
        )
        return "account_rate_limited"
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    url = settings.SITE_URL + reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    with transaction.atomic():
        AuditEvent.objects.create(action="password_reset.requested", subject_user=user, ip_address=ip)
        email_send(
            to=user.email,
            template="accounts/email/password_reset",
            context={"user": user, "reset_url": url, "minutes": minutes},
            language=user.language,
            time_zone=user.time_zone,
        )
    return "sent"


def password_reset_complete(*, request: HttpRequest, user: User, password: str) -> None:
    """Set the new password, end every session, revoke every API token (someone who had the old
    password may have made one), clear the lockout, mail a notice. No auto-login."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        ended = sessions_end(user=user)
        revoked = api_tokens_revoke_all(request=request, user=user, reason="password_reset")
        LoginFailure.objects.filter(email=user.email).delete()
        AccountLock.objects.filter(email=user.email).update(locked_until=None, lock_count=0)
        audit_event_record(
            action="password_reset.completed",
            subject_user=user,
            request=request,
            data={"sessions_ended": ended, "api_tokens_revoked": revoked},
        )
        _password_changed_notice(user=user, request=request, tokens_revoked=revoked)
    request.session.flush()


@dataclass(frozen=True)
class PasswordChangeResult:
    sessions_ended: int
    tokens_revoked: int


def password_change(
    *, request: HttpRequest, new_password: str, revoke_api_tokens: bool = False
) -> PasswordChangeResult:
    """Set the new password and end the other sessions; with `revoke_api_tokens` (the form's
    checkbox, on by default) also revoke every API token of the account."""
    user = request.user
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        user_session_record(request=request, user=user)  # the key rotates with the auth hash update
        ended = sessions_end(user=user, keep_session_key=request.session.session_key)
        revoked = (
            api_tokens_revoke_all(request=request, user=user, reason="password_change")
            if revoke_api_tokens
            else 0
        )
        audit_event_record(
            action="password.changed",
            actor=user,
            request=request,
            data={"sessions_ended": ended, "api_tokens_revoked": revoked},
        )
        _password_changed_notice(user=user, request=request, tokens_revoked=revoked)
    return PasswordChangeResult(sessions_ended=ended, tokens_revoked=revoked)


def _password_changed_notice(*, user: User, request: HttpRequest, tokens_revoked: int = 0) -> None:
    email_send(
        to=user.email,
        template="accounts/email/password_changed",
        context={
            "user": user,
            "when": timezone.now(),
            "time_zone": user.time_zone,
            "ip_address": client_ip(request),
            "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            "tokens_revoked": tokens_revoked,
            "api_tokens_url": settings.SITE_URL + reverse("accounts:api_tokens"),
        },
        language=user.language,
        time_zone=user.time_zone,
    )


# --- profile --------------------------------------------------------------------------------


def profile_update(
    *, request: HttpRequest, user: User, full_name: str, phone: str, language: str, time_zone: str
) -> User:
    changed = [
        f
        for f, v in (
            ("full_name", full_name),
            ("phone", phone),
            ("language", language),
            ("time_zone", time_zone),
        )
        if getattr(user, f) != v
    ]
    user.full_name, user.phone, user.language, user.time_zone = full_name, phone, language, time_zone
    user.save(update_fields=["full_name", "phone", "language", "time_zone"])
    if changed:
        audit_event_record(action="profile.updated", actor=user, request=request, data={"fields": changed})
    return user


def user_language_set(*, user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --- two-factor (TOTP) ----------------------------------------------------------------------


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device to scan; replaces any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="OKPay", confirmed=False)


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    if not device.verify_token(code):
        audit_event_record(action="2fa.setup_failed", actor=request.user, request=request)
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_event_record(action="2fa.enabled", actor=request.user, request=request)
    otp_login(request, device)
    return True


def totp_verify(*, request: HttpRequest, code: str) -> bool:
    for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        if device.verify_token(code):
            otp_login(request, device)
            audit_event_record(action="2fa.verified", actor=request.user, request=request)
            return True
    audit_event_record(action="2fa.failed", actor=request.user, request=request)
    return False


def totp_disable(*, request: HttpRequest) -> None:
    TOTPDevice.objects.filter(user=request.user).delete()
    audit_event_record(action="2fa.disabled", actor=request.user, request=request)


def staff_two_factor_required(user: User) -> bool:
    return bool(settings.OKPAY_REQUIRE_STAFF_2FA and user.is_staff_role)


# --- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "okp"


def api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, request: HttpRequest, name: str, scope: str) -> tuple[ApiToken, str]:
    """Returns the token row and the full token string, which is shown once and never stored."""
    if scope not in TokenScope.values:
        raise ValueError(scope)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=request.user, name=name, prefix=prefix, secret_hash=api_token_hash(secret), scope=scope
    )
    audit_event_record(
        action="api_token.created",
        actor=request.user,
        request=request,
        data={"prefix": prefix, "scope": scope},
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_tokens_active_count(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at=None).count()


def api_tokens_revoke_all(*, request: HttpRequest, user: User, reason: str) -> int:
    """Revoke every active token of `user` (after a password reset, or a change when asked), one
    audit event per token. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_for_update()
            .filter(user=user, revoked_at=None)
            .order_by("pk")
            .values_list("pk", "prefix")
        )
        ApiToken.objects.filter(pk__in=[pk for pk, _prefix in tokens]).update(revoked_at=now)
        for pk, prefix in tokens:
            audit_event_record(
                action="api_token.revoked",
                actor=request.user if request.user == user else None,
                subject_user=user,
                request=request,
                data={"id": pk, "prefix": prefix, "reason": reason},
            )
    return len(tokens)


def api_token_revoke(*, request: HttpRequest, token_id: int) -> bool:
    updated = ApiToken.objects.filter(user=request.user, pk=token_id, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_event_record(
            action="api_token.revoked", actor=request.user, request=request, data={"id": token_id}
        )
    return bool(updated)


def demo_user_ensure(
    *, email: str, password: str, role: str, full_name: str, language: str
) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        email=email,
        password=password,
        role=role,
        full_name=full_name,
        language=language,
        email_verified_at=timezone.now(),
        time_zone="Asia/Shanghai" if language == "zh-hans" else "Europe/London",
    )
    return user, True
