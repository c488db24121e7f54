import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from okpay.core.routing import websocket_urlpatterns  # noqa: E402
from okpay.core.uploads import RequestBodyLimit  # noqa: E402

if os.environ.get("OKPAY_WARM_BOT") == "1":  # set by `okpay serve`: load the bot and the help index up front
    import threading

    from okpay.bot.engine import warm_up as bot_warm_up
    from okpay.helpcenter.search import warm_up as help_warm_up

    threading.Thread(target=lambda: (help_warm_up(), bot_warm_up()), name="warm-up", daemon=True).start()

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),  # upload forms: an oversized body is never received
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
