"""Human labels for audit actions, shown to customers (Security page) and staff (console)."""

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
    "2fa.setup_failed": _("Wrong code while turning on two-factor authentication"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "helpcenter.article_created": _("Help article created"),
    "helpcenter.article_edited": _("Help article edited"),
    "helpcenter.article_published": _("Help article published"),
    "helpcenter.article_unpublished": _("Help article unpublished"),
    "helpcenter.article_archived": _("Help article archived"),
    "helpcenter.article_video_mp4_uploaded": _("Video (MP4) uploaded"),
    "helpcenter.article_video_webm_uploaded": _("Video (WebM) uploaded"),
    "helpcenter.article_video_poster_uploaded": _("Video poster uploaded"),
    "helpcenter.article_captions_uploaded": _("Video captions uploaded"),
    "helpcenter.categories_reordered": _("Help categories reordered"),
    "wallet.topup": _("Demo top-up"),
    "wallet.payment": _("Payment to a merchant"),
    "wallet.refund": _("Refund issued"),
    "wallet.payment_link_created": _("Payment link created"),
    "wallet.international_submitted": _("International transfer sent"),
    "wallet.international_blocked": _("International transfer refused by screening"),
    "wallet.international_canceled": _("International transfer cancelled"),
    "wallet.international_reviewed": _("International transfer reviewed"),
    "wallet.international_review_expired": _("International transfer cancelled after the review deadline"),
    "console.customer_viewed": _("Customer profile viewed by staff"),
}


def audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))
