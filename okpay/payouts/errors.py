"""Refused payout operations: DomainErrors with a stable code and a translated message."""

from okpay.core.errors import DomainError


class PayoutError(DomainError):
    """Input or state the payouts do not take: 422 unless said."""

    status = 422
