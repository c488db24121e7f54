"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "ticket.created": _("Question submitted"),
    "ticket.customer_replied": _("Reply added to a question"),
    "ticket.customer_solved": _("Question marked solved"),
    "ticket.agent_replied": _("Support replied to a question"),
    "ticket.note_added": _("Internal note added to a question"),
    "ticket.status_changed": _("Question status changed"),
    "ticket.assigned": _("Question assigned"),
    "ticket.priority_changed": _("Question priority changed"),
    "ticket.target_warned": _("Reply-time target about to be missed (assignee warned)"),
    "ticket.target_breached": _("Reply-time target missed (supervisors told, priority raised)"),
    "ticket.rated": _("Support answer rated"),
    "ticket.macro_saved": _("Saved reply (macro) edited"),
    "ticket.callback_requested": _("Callback requested"),
    "ticket.callback_outcome": _("Callback outcome recorded"),
    "ticket.call_logged": _("Phone call logged on a question"),
    "ticket.auto_assigned": _("Question auto-assigned (round robin)"),
    "ticket.tags_changed": _("Question tags changed"),
    "ticket.group_changed": _("Question moved to another group"),
    "ticket.merged": _("Duplicate question merged into another"),
}
