"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "payout_destination.added": _("Payout destination added"),
    "payout_destination.removed": _("Payout destination removed"),
    "withdrawal.submitted": _("Withdrawal submitted"),
    "withdrawal.status_changed": _("Withdrawal status changed"),
    "withdrawal.batch_exported": _("Payout batch exported"),
    "withdrawal.destination_revealed": _("Full payout account number shown"),
}
