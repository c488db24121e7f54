"""What live chat plugs into core's extension points (okpay.core.hooks): its API router, its
websocket route (ws/chat/) and its audit labels."""

from django.urls import path

from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _api_router():
    from .api import router

    return router


def _consumer():
    from .consumers import ChatConsumer

    return ChatConsumer.as_asgi()


hooks.register(hooks.API_ROUTERS, _api_router, order=60)
hooks.register(hooks.WEBSOCKET_ROUTES, path("ws/chat/", _consumer()))
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
