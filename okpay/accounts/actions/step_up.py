"""Step-up re-authentication: before a sensitive change (adding or removing where money goes) the
signed-in customer enters the password again, and the TOTP code when two-factor is on. Wrong
passwords count toward the same lock and failure budgets as the sign-in page."""

from django.utils.translation import gettext_lazy as _

from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError

from ..models import User
from .lockout import LOGIN_PAUSED_ERRORS, credentials_check
from .two_factor import totp_code_check


class StepUpRefused(DomainError):
    status = 403


def has_two_factor(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def step_up_check(*, user: User, password: str, code: str = "", network: str, purpose: str) -> None:
    """Raise StepUpRefused (403; 429 while the address is locked) unless `password` is the user's and,
    when two-factor is on, `code` is a current TOTP code. Audited either way, with `purpose`."""
    result = credentials_check(email=user.email, password=password or "", network=network)
    if result.error in LOGIN_PAUSED_ERRORS:
        raise StepUpRefused(
            "reauth_locked",
            _("Too many wrong passwords. Wait a little and try again, or reset your password."),
            status=429,
        )
    if result.user is None or result.user.pk != user.pk:
        audit_event_record(
            action="step_up.failed", actor=user, data={"purpose": purpose, "reason": "password"}
        )
        raise StepUpRefused("reauth_password", _("The password is not right."))
    if has_two_factor(user) and totp_code_check(user=user, code=(code or "").strip()) is None:
        audit_event_record(action="step_up.failed", actor=user, data={"purpose": purpose, "reason": "code"})
        raise StepUpRefused("reauth_code", _("Enter the current 6-digit code from your authenticator app."))
    audit_event_record(action="step_up.passed", actor=user, data={"purpose": purpose})
