"""What live chat plugs into core's extension points (okpay.core.hooks): its audit labels."""

from okpay.core import hooks

from .audit_labels import AUDIT_LABELS

hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
