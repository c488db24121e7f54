"""Payout destinations API: list, add, remove. Adding and removing need the password again (and the
current 6-digit code when two-factor is on) in the body, and a token with write scope (or the site
session with its CSRF token). A refusal is a PayoutError (a DomainError): the API answers its code,
message and status. Another customer's destination is 404 and nothing changes."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from okpay.accounts import roles
from okpay.accounts.actions import ip_network_key
from okpay.core.audit import audit_context_current

from . import actions, selectors
from .choices import DestinationKind
from .errors import PayoutError
from .models import PayoutDestination

router = Router(tags=["payouts"])


class DestinationOut(Schema):
    id: int
    kind: str = Field(..., description="iban, cn_bank_card, debit_card or ewallet")
    masked: str = Field(..., description="the last four characters (an email address half hidden)")
    bank_name: str = Field(..., description="the bank (in the request's language for a Chinese bank card)")
    provider: str = Field(..., description="the e-wallet: alipay, wechat or paypal")
    card_brand: str = Field(..., description="a debit card's brand: unionpay, visa, mastercard or other")
    label: str
    created_at: datetime
    usable_for_large_after: datetime = Field(..., description="large withdrawals only after this moment")
    cooling_off: bool


class StepUpIn(Schema):
    password: str = Field(..., max_length=4096, description="your password again")
    code: str = Field("", max_length=10, description="the current 6-digit code, when two-factor is on")


class DestinationIn(StepUpIn):
    kind: DestinationKind
    label: str = Field("", max_length=100)
    iban: str = Field("", max_length=64, description="kind iban")
    card_number: str = Field(
        "", max_length=64, description="kind cn_bank_card or debit_card; never stored for a debit card"
    )
    bank_code: str = Field("", max_length=20, description="kind cn_bank_card: the bank's code (e.g. ICBC)")
    holder_name: str = Field("", max_length=200, description="kinds iban, cn_bank_card and debit_card")
    provider: str = Field("", max_length=12, description="kind ewallet: alipay, wechat or paypal")
    account: str = Field(
        "", max_length=320, description="kind ewallet: the account's email address or phone number"
    )


DATA_KEYS = ("iban", "card_number", "bank_code", "holder_name", "provider", "account")


def _network() -> str:
    return ip_network_key(audit_context_current().ip_address)


def _customer(request):
    user = request.auth
    if not roles.is_wallet_holder(user):
        raise PayoutError("forbidden", _("Only wallet customers have payout destinations."), status=403)
    if type(user) is not get_user_model():  # the session's lazy request.user: the actions need the object
        user = get_user_model().objects.get(pk=user.pk)
    return user


def _out(d: PayoutDestination) -> dict:
    # a Chinese bank in the request's language; an IBAN's bank when the IBAN registry knows it
    bank = selectors.institution_name(d) if d.kind == DestinationKind.CN_BANK_CARD else d.bank_name
    return {
        "id": d.pk,
        "kind": d.kind,
        "masked": d.masked,
        "bank_name": bank,
        "provider": d.provider,
        "card_brand": d.card_brand,
        "label": d.label,
        "created_at": d.created_at,
        "usable_for_large_after": d.usable_for_large_after,
        "cooling_off": d.cooling_off,
    }


def _own(user, destination_id: int) -> PayoutDestination:
    destination = selectors.destination_for(user=user, destination_id=destination_id)
    if destination is None:
        raise PayoutError("not_found", _("No such destination."), status=404)
    return destination


@router.get(
    "/payouts/destinations", response=list[DestinationOut], summary="Your payout destinations, newest first"
)
def destination_list(request):
    return [_out(d) for d in selectors.destinations_for(user=_customer(request))]


@router.post(
    "/payouts/destinations",
    response={201: DestinationOut},
    summary="Add a payout destination (password again; write scope)",
    description="Only the fields of the chosen `kind` are read. Large withdrawals to the new destination "
    "are possible from `usable_for_large_after` (the cooling-off period). A debit card's number is never "
    "stored: only its brand, last four digits and a keyed fingerprint.",
)
def destination_add(request, payload: DestinationIn):
    user = _customer(request)
    added = actions.destination_add(
        user=user,
        kind=payload.kind,
        data={key: getattr(payload, key) for key in DATA_KEYS},
        label=payload.label,
        password=payload.password,
        code=payload.code,
        network=_network(),
    )
    return Status(201, _out(added))


def _remove(request, destination_id: int, payload: StepUpIn) -> dict:
    user = _customer(request)
    removed = actions.destination_remove(
        user=user,
        destination=_own(user, destination_id),
        password=payload.password,
        code=payload.code,
        network=_network(),
    )
    return _out(removed)


@router.delete(
    "/payouts/destinations/{destination_id}",
    response=DestinationOut,
    summary="Remove a payout destination (password again in the JSON body; write scope)",
)
def destination_remove(request, destination_id: int, payload: StepUpIn):
    return _remove(request, destination_id, payload)


@router.post(
    "/payouts/destinations/{destination_id}/remove",
    response=DestinationOut,
    summary="Remove a payout destination, for clients that cannot send a body with DELETE",
)
def destination_remove_post(request, destination_id: int, payload: StepUpIn):
    return _remove(request, destination_id, payload)
