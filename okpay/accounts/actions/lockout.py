"""The password check before a sign-in: the per-address lock (doubling lock time), the per-network
and site-wide failure budgets, and the unverified-address refusal. Starting the browser session is
`okpay.accounts.sessions.sign_in`'s part."""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from okpay.core.audit import audit_context_current, audit_event_record

from ..backends import EmailBackend
from ..models import AccountLock, LoginFailure, User
from .common import normalize_email
from .signup import verification_send


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    # "invalid" | "locked" | "unverified" | "network_limited" | "global_limited"
    error: str | None = None
    locked_until: datetime | None = None


LOGIN_PAUSED_ERRORS = frozenset({"locked", "network_limited", "global_limited"})


def _lock_duration(lock_count: int) -> timedelta:
    duration = settings.OKPAY_LOCKOUT_BASE * (2 ** max(lock_count - 1, 0))
    return min(duration, settings.OKPAY_LOCKOUT_MAX)


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


def _failure_budget_exhausted(*, network: str, now) -> tuple[str, datetime] | None:
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


def credentials_check(*, email: str, password: str, network: str) -> LoginResult:
    """Check the password unless the address is locked or a failure budget (the one of `network`,
    see `ip_network_key`, or the site's) is spent. Failures are counted per address whether or not
    an account exists, so lockout reveals nothing either. A right password for an unverified
    address sends a fresh verification link and refuses. `LoginResult.user` is set only when the
    visitor may be signed in."""
    email = normalize_email(email)
    now = timezone.now()
    lock = AccountLock.objects.filter(email=email).first()
    if lock is not None and lock.locked_until and lock.locked_until > now:
        audit_event_record(
            action="login.refused_locked",
            subject_user=User.objects.filter(email=email).first(),
            data={"email": email},
        )
        return LoginResult(error="locked", locked_until=lock.locked_until)

    exhausted = _failure_budget_exhausted(network=network, now=now)
    if exhausted is not None:
        error, until = exhausted
        audit_event_record(
            action=f"login.refused_{error}",
            subject_user=User.objects.filter(email=email).first(),
            data={"email": email, "network": network, "until": until.isoformat()},
        )
        return LoginResult(error=error, locked_until=until)

    user = EmailBackend().authenticate(None, email=email, password=password)
    if user is None:
        return _login_failure_record(email=email, network=network, now=now)

    LoginFailure.objects.filter(email=email).delete()
    AccountLock.objects.filter(email=email).update(lock_count=0, locked_until=None)
    if user.email_verified_at is None:
        verification_send(user=user)
        audit_event_record(action="login.refused_unverified", subject_user=user)
        return LoginResult(error="unverified")
    return LoginResult(user=user)


def _login_failure_record(*, email: str, network: str, now) -> LoginResult:
    subject = User.objects.filter(email=email).first()
    with transaction.atomic():
        LoginFailure.objects.create(
            email=email, ip_address=audit_context_current().ip_address, network=network, created_at=now
        )
        lock, _ = AccountLock.objects.get_or_create(email=email)
        lock = AccountLock.objects.select_for_update().get(pk=lock.pk)
        window_start = now - settings.OKPAY_LOCKOUT_WINDOW
        if lock.locked_until and lock.locked_until > window_start:
            window_start = lock.locked_until  # failures before the last lock ended do not count again
        failures = LoginFailure.objects.filter(email=email, created_at__gt=window_start).count()
        audit_event_record(
            action="login.failed",
            subject_user=subject,
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
            data={"email": email, "until": lock.locked_until.isoformat(), "lock_count": lock.lock_count},
        )
    return LoginResult(error="locked", locked_until=lock.locked_until)
