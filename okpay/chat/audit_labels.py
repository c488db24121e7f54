"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "chat.status_changed": _("Chat status changed"),
    "chat.handed_off": _("Chat handed to the queue for a person"),
    "chat.routed": _("Chat routed to an agent"),
    "chat.accepted": _("Chat taken from the queue"),
    "chat.transferred": _("Chat transferred"),
    "chat.closed": _("Chat ended"),
    "chat.abandoned": _("Chat left while waiting"),
    "chat.converted": _("Chat turned into a question"),
    "chat.rated": _("Chat rated"),
    "chat.presence_set": _("Chat availability changed"),
    "chat.claimed": _("Guest chat attached to the account at sign-in"),
    "chat.transcript_sent": _("Chat transcript emailed to the customer"),
}
