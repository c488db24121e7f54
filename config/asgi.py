import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from okpay.core import hooks  # noqa: E402
from okpay.core.sockets import socket_auth_stack  # noqa: E402
from okpay.core.uploads import RequestBodyLimit  # noqa: E402

websocket_urlpatterns = list(hooks.items(hooks.WEBSOCKET_ROUTES))

if os.environ.get("OKPAY_WARM_BOT") == "1":  # set by `okpay serve`: load the bot and the help index up front
    from okpay.core.health import warm_up_start

    warm_up_start(hooks.items(hooks.WARM_UPS))  # /healthz answers 503 until it ends

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),  # upload forms: an oversized body is never received
        "websocket": AllowedHostsOriginValidator(socket_auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
