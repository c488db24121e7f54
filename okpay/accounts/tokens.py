"""Signed, expiring links for email verification, and the password reset token generator."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing

EMAIL_VERIFY_SALT = "okpay.accounts.email-verify"


def email_verification_token_make(user) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFY_SALT, compress=True)


def email_verification_token_read(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=EMAIL_VERIFY_SALT, max_age=settings.OKPAY_EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator: HMAC bound to the password hash, last login and email, so a token dies when
    the password changes (single use) and after PASSWORD_RESET_TIMEOUT (20 minutes, policy)."""

    key_salt = "okpay.accounts.ResetTokenGenerator"


password_reset_tokens = ResetTokenGenerator()
