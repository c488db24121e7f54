"""Every change to payout destinations (withdrawals come next). Adding or removing one asks for the
password again (and the TOTP code where two-factor is on), is audited, and emails the customer; a
new destination is usable for large amounts only after the cooling-off period
(OKPAY_PAYOUT_COOLING_OFF)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.accounts.actions import step_up_check
from okpay.core.audit import audit_event_record
from okpay.core.mail import email_send

from . import validation
from .choices import DestinationKind
from .errors import PayoutError
from .models import PayoutDestination


def _invalid(error: ValidationError) -> PayoutError:
    return PayoutError(error.code or "invalid", " ".join(error.messages))


def destination_fields(*, kind: str, data: dict) -> dict:
    """The stored fields of a destination of `kind` from what the customer typed, or PayoutError
    (422) with the reason. Nothing is stored here."""
    try:
        if kind == DestinationKind.IBAN:
            iban = validation.iban_check(data.get("iban", ""))
            return {
                "account": iban.compact,
                "country": iban.country,
                "bank_name": iban.bank_name,
                "holder_name": validation.holder_check(data.get("holder_name", "")),
            }
        if kind == DestinationKind.CN_BANK_CARD:
            bank_code = str(data.get("bank_code", ""))
            return {
                "account": validation.cn_bank_card_check(data.get("card_number", ""), bank_code),
                "country": "CN",
                "bank_code": bank_code,
                "bank_name": validation.cn_banks()[bank_code]["zh"],
                "holder_name": validation.holder_check(data.get("holder_name", "")),
            }
        if kind == DestinationKind.DEBIT_CARD:
            card = validation.debit_card_check(data.get("card_number", ""))
            return {
                "card_last4": card.last4,
                "card_brand": card.brand,
                "card_fingerprint": card.fingerprint,
                "holder_name": validation.holder_check(data.get("holder_name", "")),
            }
        if kind == DestinationKind.EWALLET:
            provider = str(data.get("provider", ""))
            return {
                "provider": provider,
                "account": validation.ewallet_account_check(provider, data.get("account", "")),
            }
    except ValidationError as error:
        raise _invalid(error) from None
    raise PayoutError("kind_invalid", _("Choose the kind of destination."))


def _label(text: str) -> str:
    label = " ".join(str(text or "").split())[:60]
    if any(ord(c) < 32 or c in "<>" for c in label):
        raise PayoutError("label_invalid", _("The name may not contain < or >."))
    return label


def _notify(user, template: str, destination: PayoutDestination) -> None:
    email_send(
        to=user.email,
        template=f"payouts/email/{template}",
        context={"user": user, "destination": destination},
        language=user.language,
        time_zone=user.time_zone,
    )


def destination_add(
    *, user, kind: str, data: dict, label: str = "", password: str, code: str = "", network: str
) -> PayoutDestination:
    if not roles.is_wallet_holder(user):
        raise PayoutError("forbidden", _("Only wallet customers have payout destinations."), status=403)
    fields = destination_fields(kind=kind, data=data)  # bad input is refused before the password
    name = _label(label)
    step_up_check(user=user, password=password, code=code, network=network, purpose="payout_destination_add")
    limit = settings.OKPAY_PAYOUT_MAX_DESTINATIONS
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one change at a time
            active = PayoutDestination.objects.filter(user=user, removed_at__isnull=True)
            if active.count() >= limit:
                raise PayoutError(
                    "too_many",
                    _("You can keep at most %(limit)s destinations. Remove one first."),
                    limit=limit,
                )
            destination = PayoutDestination.objects.create(
                user=user,
                kind=kind,
                label=name,
                usable_for_large_after=timezone.now() + settings.OKPAY_PAYOUT_COOLING_OFF,
                **fields,
            )
            audit_event_record(
                action="payout_destination.added",
                actor=user,
                data={"id": destination.pk, "kind": kind, "masked": destination.masked},
            )
            _notify(user, "destination_added", destination)
    except IntegrityError:
        raise PayoutError("duplicate", _("This destination is already in your list."), status=409) from None
    return destination


def destination_remove(
    *, user, destination: PayoutDestination, password: str, code: str = "", network: str
) -> PayoutDestination:
    if destination.user_id != user.pk or destination.removed_at is not None:
        raise PayoutError("not_found", _("No such destination."), status=404)
    step_up_check(
        user=user, password=password, code=code, network=network, purpose="payout_destination_remove"
    )
    with transaction.atomic():
        locked = PayoutDestination.objects.select_for_update().get(pk=destination.pk)
        if locked.removed_at is not None:
            return locked
        locked.removed_at = timezone.now()
        locked.save(update_fields=["removed_at"])
        audit_event_record(
            action="payout_destination.removed",
            actor=user,
            data={"id": locked.pk, "kind": locked.kind, "masked": locked.masked},
        )
        _notify(user, "destination_removed", locked)
    return locked
