"""Every state change of the accounts app, one module per concern; each writes its audit event.

    signup      sign-up and email verification
    lockout     password check, per-address lock, per-network and site-wide failure budgets
    passwords   password reset (request, the worker's email, completion) and change
    profile     profile and language preference
    two_factor  TOTP devices
    tokens      personal API tokens
    step_up     re-entering the password (and TOTP code) before a sensitive change
    demo        the demo users
    common      the address normaliser, ending a user's sessions in the session store

No action takes the request: they take domain values (a user, an address, a network where the
rule counts by it), and audit rows get IP address and user agent from the audit context
(okpay.core.audit). What is about the browser's own session (signing in and out, the session
list, the two-factor mark, the reset token kept in the session) is okpay.accounts.sessions.

The names below are the public interface: `from okpay.accounts.actions import x` and
`actions.x(...)` keep working whichever module `x` lives in."""

from .common import normalize_email, session_store_delete, sessions_end
from .demo import demo_user_ensure
from .lockout import LOGIN_PAUSED_ERRORS, LoginResult, credentials_check, ip_network_key
from .passwords import (
    PasswordChangeResult,
    password_change,
    password_reset_complete,
    password_reset_email_send,
    password_reset_request,
)
from .profile import profile_update, user_language_set
from .signup import user_signup, user_verify_email, verification_send
from .step_up import StepUpRefused, has_two_factor, step_up_check
from .tokens import (
    TOKEN_PREFIX,
    api_token_create,
    api_token_hash,
    api_token_revoke,
    api_tokens_active_count,
    api_tokens_revoke_all,
)
from .two_factor import (
    staff_two_factor_required,
    totp_code_check,
    totp_device_confirm,
    totp_device_start,
    totp_disable,
)

__all__ = [
    "LOGIN_PAUSED_ERRORS",
    "TOKEN_PREFIX",
    "LoginResult",
    "PasswordChangeResult",
    "StepUpRefused",
    "api_token_create",
    "api_token_hash",
    "api_token_revoke",
    "api_tokens_active_count",
    "api_tokens_revoke_all",
    "credentials_check",
    "demo_user_ensure",
    "has_two_factor",
    "ip_network_key",
    "normalize_email",
    "password_change",
    "password_reset_complete",
    "password_reset_email_send",
    "password_reset_request",
    "profile_update",
    "session_store_delete",
    "sessions_end",
    "staff_two_factor_required",
    "step_up_check",
    "totp_code_check",
    "totp_device_confirm",
    "totp_device_start",
    "totp_disable",
    "user_language_set",
    "user_signup",
    "user_verify_email",
    "verification_send",
]
