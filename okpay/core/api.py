"""What every API router shares: the error type endpoints raise, the session authentication of the
site's own pages, and the handlers that give every error one shape. The NinjaAPI object itself is
assembled in `config.api` from the routers the apps register (hooks.API_ROUTERS); personal API
tokens are the accounts app's (`okpay.accounts.api_auth`)."""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import SessionAuth

from .errors import DomainError
from .middleware import InputRefused, refusal_response


class ApiError(Exception):
    """Raise from an endpoint for a translated, stable-coded error."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class SiteSessionAuth(SessionAuth):
    """The browser session; CSRF is checked on unsafe methods."""

    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated:
            return user
        return None


def _error(request, status: int, code: str, message: str, details=None):
    from django.http import JsonResponse

    body = {"error": {"code": code, "message": str(message)}}
    if details is not None:
        body["error"]["details"] = details
    return JsonResponse(body, status=status)


def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.details)


def _validation_error(request, exc: ValidationError):
    return _error(request, 422, "invalid_request", _("The request is not valid."), details=exc.errors)


def _auth_error(request, exc):
    return _error(request, 401, "not_authenticated", _("Sign in or send a valid API token."))


def _authz_error(request, exc):
    return _error(request, 403, "forbidden", _("You do not have permission to do this."))


def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


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


def _too_large(request, exc):
    return refusal_response(request, "too_large")  # 413, not the catch-all's 500


def _input_refused(request, exc: InputRefused):
    return refusal_response(request, exc.kind)  # NUL, lone surrogate, unreadable body


def _server_error(request, exc):
    import logging

    logging.getLogger("okpay.api").exception("unhandled API error")
    return _error(request, 500, "server_error", _("Something went wrong on our side. Please try again."))


def _domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, exc.message)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error the API answers has one shape, {"error": {"code", "message", "details?"}}, with a
    translated message; `config.api` installs these on the project's one NinjaAPI."""
    # The ignores below: ninja's ExcHandler type lets the second argument also be the
    # exception class; ninja passes the instance, which is what the handlers typed with their class take
    api.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    api.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, _auth_error)
    api.add_exception_handler(AuthorizationError, _authz_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(HttpError, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, _too_large)
    api.add_exception_handler(InputRefused, _input_refused)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _server_error)
