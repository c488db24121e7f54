"""The accounts operations that are about *this browser's session*, and so take the request: signing
in and out, the session list (sign out one or all the others), marking the session two-factor
verified, the new session auth hash after a password change, and the password-reset token kept in
the session. Everything else is a domain action (`okpay.accounts.actions`) that takes domain
values; audit rows get IP address and user agent from the audit context, not from here."""

from django.contrib.auth import login, logout, update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.audit import audit_event_record, client_ip

from . import actions
from .actions import LoginResult, PasswordChangeResult
from .models import User, UserSession

BACKEND = "okpay.accounts.backends.EmailBackend"
RESET_SESSION_KEY = "_okpay_reset_token"


class SignedInRequest(HttpRequest):
    """For type checking only: a request with a signed-in user (the views that call the functions
    taking one require a sign-in)."""

    user: User


# --- signing in and out ---------------------------------------------------------------------


def sign_in(*, request: HttpRequest, email: str, password: str) -> LoginResult:
    """The password check with its lock and failure budgets (counted for this browser's network),
    then, when it passes, the signed-in session."""
    result = actions.credentials_check(
        email=email, password=password, network=actions.ip_network_key(client_ip(request))
    )
    if result.user is not None:
        user_login(request=request, user=result.user)
    return result


def user_login(*, request: HttpRequest, user: User) -> None:
    login(request, user, backend=BACKEND)
    _session_record(request=request, user=user)
    audit_event_record(action="login.succeeded", actor=user)


def user_logout(*, request: HttpRequest) -> None:
    user = request.user if request.user.is_authenticated else None
    key = request.session.session_key
    if user is not None:
        audit_event_record(action="logout", actor=user)
    logout(request)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def _session_record(*, request: HttpRequest, user: User, replaces: str | None = None) -> UserSession:
    """This browser's row in "my sessions"; `replaces` is the key it had before a rotation."""
    if request.session.session_key is None:
        request.session.save()
    if replaces and replaces != request.session.session_key:
        UserSession.objects.filter(user=user, session_key=replaces).delete()
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


# --- the session list -----------------------------------------------------------------------


def sessions_end_others(*, request: SignedInRequest) -> int:
    ended = actions.sessions_end(user=request.user, keep_session_key=request.session.session_key)
    audit_event_record(action="sessions.ended_others", actor=request.user, data={"count": ended})
    return ended


def session_end_one(*, request: SignedInRequest, session_id: int) -> bool:
    """Sign out one other browser of the signed-in user; never this one, never someone else's."""
    session = UserSession.objects.filter(user=request.user, pk=session_id).first()
    if session is None or session.session_key == request.session.session_key:
        return False
    actions.session_store_delete(session.session_key)
    session.delete()
    audit_event_record(action="sessions.ended_one", actor=request.user)
    return True


# --- two-factor -----------------------------------------------------------------------------


def two_factor_setup_confirm(*, request: SignedInRequest, device: TOTPDevice, code: str) -> bool:
    """Confirm the new device and count this session as verified with it."""
    if not actions.totp_device_confirm(user=request.user, device=device, code=code):
        return False
    otp_login(request, device)
    return True


def two_factor_verify(*, request: SignedInRequest, code: str) -> bool:
    device = actions.totp_code_check(user=request.user, code=code)
    if device is None:
        return False
    otp_login(request, device)
    return True


# --- passwords ------------------------------------------------------------------------------


def password_change(
    *, request: SignedInRequest, new_password: str, revoke_api_tokens: bool = False
) -> PasswordChangeResult:
    """The change (other sessions end, this one stays), then this session's new auth hash: the
    session key rotates, and its row in "my sessions" follows."""
    user = request.user
    with transaction.atomic():
        result = actions.password_change(
            user=user,
            new_password=new_password,
            revoke_api_tokens=revoke_api_tokens,
            keep_session_key=request.session.session_key,
        )
        previous_key = request.session.session_key
        update_session_auth_hash(request, user)
        _session_record(request=request, user=user, replaces=previous_key)
    return result


def password_reset_token_keep(request: HttpRequest, token: str) -> None:
    """The emailed reset token moves into the session, so the address the browser shows holds none."""
    request.session[RESET_SESSION_KEY] = token


def password_reset_token(request: HttpRequest) -> str | None:
    return request.session.get(RESET_SESSION_KEY) or None


def password_reset_finish(*, request: HttpRequest, user: User, password: str) -> None:
    """Set the new password (every session and API token of the account ends), then forget this
    browser's session with the token in it. No auto-login."""
    actions.password_reset_complete(user=user, password=password)
    request.session.flush()
