"""The project's one NinjaAPI at /api/v1/: personal API tokens (accounts) or the site session (with
CSRF), the routers every app registers (hooks.API_ROUTERS) and core's error handlers, so every error
is {"error": {"code", "message", "details?"}}."""

from ninja import NinjaAPI

from okpay.accounts.api_auth import TokenAuth
from okpay.core import hooks
from okpay.core.api import SiteSessionAuth, install_error_handlers

api = NinjaAPI(
    title="OKPay Service Center API",
    version="1",
    description="Help center, wallet and support API of OKPay. Authenticate with a personal API token "
    "(`Authorization: Bearer okp_…`, created under Profile → API tokens) or the site session.",
    auth=[TokenAuth(), SiteSessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
for router in hooks.items(hooks.API_ROUTERS):
    api.add_router("", router())
