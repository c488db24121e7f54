"""Human labels for this app's audit actions (registered in okpay_hooks.py)."""

from django.utils.translation import gettext_lazy as _

AUDIT_LABELS = {
    "bot.model_activated": _("Answer bot model activated"),
    "bot.correction_reviewed": _("Answer bot correction reviewed"),
}
