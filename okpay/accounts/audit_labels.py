"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "signup.created": _("Account created"),
    "signup.existing_email": _("Sign-up attempted with this email"),
    "signup.email_verified": _("Email address verified"),
    "login.succeeded": _("Signed in"),
    "login.failed": _("Failed sign-in"),
    "login.locked": _("Sign-in paused after failed attempts"),
    "login.refused_locked": _("Sign-in refused while paused"),
    "login.refused_unverified": _("Sign-in refused: email not verified"),
    "login.refused_network_limited": _("Sign-in refused: too many failed attempts from one network"),
    "login.refused_global_limited": _("Sign-in refused: too many failed attempts across the site"),
    "logout": _("Signed out"),
    "sessions.ended_others": _("Other sessions signed out"),
    "sessions.ended_one": _("A session signed out"),
    "password_reset.requested": _("Password reset email sent"),
    "password_reset.account_rate_limited": _("Password reset limit reached"),
    "password_reset.ip_rate_limited": _("Password reset limit reached for a network address"),
    "password_reset.completed": _("Password reset"),
    "password.changed": _("Password changed"),
    "profile.updated": _("Profile updated"),
    "2fa.enabled": _("Two-factor authentication turned on"),
    "2fa.disabled": _("Two-factor authentication turned off"),
    "2fa.verified": _("Two-factor code accepted"),
    "2fa.failed": _("Wrong two-factor code"),
    "step_up.passed": _("Password confirmed again for a sensitive change"),
    "step_up.failed": _("Wrong password or code for a sensitive change"),
    "2fa.setup_failed": _("Wrong code while turning on two-factor authentication"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
}
