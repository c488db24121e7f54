"""Refused dispute operations: DomainErrors with a stable code and a translated message."""

from okpay.core.errors import DomainError


class DisputeError(DomainError):
    """Input or state a dispute does not take: 422 unless said (409 for a state that does not allow
    it, 404 for a dispute or payment that is not the user's)."""

    status = 422
