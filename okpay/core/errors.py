"""One error family for refused domain operations. An action raises `DomainError(code, message)`
(a stable code and a translated, human message) and changes nothing; views show the message, and the
API answers `{"error": {"code", "message"}}` with the status `http_status()` gives — the same mapping
everywhere."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused operation. `code` is stable (clients match on it); `message` is for people."""

    status = 400

    def __init__(self, code: str, message=None, *, status: int | None = None, **params):
        super().__init__(code)
        self.code = code
        self._message = message if message is not None else _("This cannot be done.")
        self.params = params
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return str(self._message) % self.params if self.params else str(self._message)

    def __str__(self) -> str:
        return self.code


class NotFound(DomainError):
    status = 404

    def __init__(self, code: str = "not_found", message=None, **params):
        super().__init__(code, message if message is not None else _("Not found."), **params)


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, code: str = "forbidden", message=None, **params):
        super().__init__(
            code, message if message is not None else _("You do not have permission to do this."), **params
        )


class Conflict(DomainError):
    """The object is not in a state that allows this (e.g. an illegal state transition)."""

    status = 409


class RateLimited(DomainError):
    status = 429


def http_status(error: DomainError) -> int:
    return error.status
