"""Labels of the disputes' audit actions (the audit log pages)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "dispute.contacted": _("Customer contacted a merchant about a payment"),
    "dispute.merchant_refused": _("Merchant declined a customer's request"),
    "dispute.status_changed": _("Dispute status changed"),
    "dispute.evidence_added": _("Dispute evidence added"),
    "dispute.review_overdue": _("Dispute review past its date"),
}
