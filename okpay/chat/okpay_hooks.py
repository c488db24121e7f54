"""What live chat plugs into core's extension points (okpay.core.hooks): its API router and its audit
labels."""

from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _api_router():
    from .api import router

    return router


hooks.register(hooks.API_ROUTERS, _api_router, order=60)
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
