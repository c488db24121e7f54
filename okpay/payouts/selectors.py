"""Reads of payout destinations, scoped to their customer (pages and API alike)."""

from django.db.models import QuerySet

from okpay.core.money import country_name

from . import validation
from .choices import DestinationKind
from .models import PayoutDestination

MAX_ID = 2**63 - 1


def destinations_for(*, user) -> QuerySet[PayoutDestination]:
    """The customer's current destinations, newest first (removed ones are kept but not listed)."""
    return PayoutDestination.objects.filter(user=user, removed_at__isnull=True).order_by("-created_at", "-id")


def destination_for(*, user, destination_id: int) -> PayoutDestination | None:
    """One of the customer's current destinations; None for another customer's, a removed one or none."""
    if not 0 < destination_id <= MAX_ID:  # a number past bigint would be a database error
        return None
    return destinations_for(user=user).filter(pk=destination_id).first()


def institution_name(destination: PayoutDestination) -> str:
    """Who holds the account, as the reader's language names it: the Chinese bank, the IBAN's bank (its
    country when the IBAN registry does not know the bank), the card's brand or the e-wallet."""
    if destination.kind == DestinationKind.CN_BANK_CARD:
        return validation.cn_bank_name(destination.bank_code)
    if destination.kind == DestinationKind.DEBIT_CARD:
        return str(destination.get_card_brand_display())
    if destination.kind == DestinationKind.EWALLET:
        return str(destination.get_provider_display())
    if destination.bank_name or not destination.country:
        return destination.bank_name
    return country_name(destination.country)
