"""What payouts plug into core's extension points: for now, its audit labels."""

from okpay.core import hooks

from .audit_labels import AUDIT_LABELS

hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
