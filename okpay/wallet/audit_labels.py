"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
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
