"""Human labels for audit actions, shown to customers (Security page) and staff (console). Each app
registers its own labels (`hooks.AUDIT_LABELS` in its okpay_hooks.py); unknown actions show as
their code."""

from . import hooks


def audit_label(action: str) -> str:
    return str(hooks.audit_labels().get(action, action))
