"""The REST API at /api/v1/: one NinjaAPI, session auth (with CSRF) for the site's own pages and
personal bearer tokens for integrators, every error as {"error": {"code", "message", "details"}}."""

import hmac
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from .middleware import InputRefused, refusal_response


class ApiError(Exception):
    """Raise from an endpoint for a translated, stable-coded error."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class TokenAuth(HttpBearer):
    """`Authorization: Bearer okp_<prefix>_<secret>`. Read-scoped tokens may only read."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        from okpay.accounts.actions import api_token_hash
        from okpay.accounts.models import ApiToken

        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "okp":
            return None
        api_token = ApiToken.objects.select_related("user").filter(prefix=parts[1], revoked_at=None).first()
        if api_token is None or not hmac.compare_digest(api_token.secret_hash, api_token_hash(parts[2])):
            return None
        if not api_token.user.is_active:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and api_token.scope != "write":
            raise ApiError(403, "insufficient_scope", _("This token is read-only."))
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SiteSessionAuth(SessionAuth):
    """The browser session; CSRF is checked on unsafe methods."""

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="OKPay Service Center API",
    version="1",
    description="Help center, wallet and support API of OKPay. Authenticate with a personal API token "
    "(`Authorization: Bearer okp_…`, created under Profile → API tokens) or the site session.",
    auth=[TokenAuth(), SiteSessionAuth()],
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, details=None):
    body = {"error": {"code": code, "message": str(message)}}
    if details is not None:
        body["error"]["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return _error(request, 422, "invalid_request", _("The request is not valid."), details=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "not_authenticated", _("Sign in or send a valid API token."))


@api.exception_handler(AuthorizationError)
def _authz_error(request, exc):
    return _error(request, 403, "forbidden", _("You do not have permission to do this."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        429: "rate_limited",
    }
    messages = {
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This request conflicts with another one."),
        429: _("Too many requests. Try again later."),
    }
    return _error(
        request,
        exc.status_code,
        codes.get(exc.status_code, "error"),
        messages.get(exc.status_code, _("The request could not be processed.")),
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return refusal_response(request, "too_large")  # 413, not the catch-all's 500


@api.exception_handler(InputRefused)
def _input_refused(request, exc: InputRefused):
    return refusal_response(request, exc.kind)  # NUL, lone surrogate, unreadable body


@api.exception_handler(Exception)
def _server_error(request, exc):
    import logging

    logging.getLogger("okpay.api").exception("unhandled API error")
    return _error(request, 500, "server_error", _("Something went wrong on our side. Please try again."))


from okpay.accounts.api import router as accounts_router  # noqa: E402
from okpay.helpcenter.api import router as helpcenter_router  # noqa: E402

api.add_router("", accounts_router)
from okpay.wallet.api import router as wallet_router  # noqa: E402

api.add_router("", helpcenter_router)
from okpay.bot.api import router as bot_router  # noqa: E402

api.add_router("", wallet_router)
api.add_router("", bot_router)
from okpay.tickets.api import router as tickets_router  # noqa: E402

api.add_router("", tickets_router)
