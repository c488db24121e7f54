"""Allow-lists for payout destinations, after NFKC normalisation: IBANs through `schwifty` (country,
length, structure, checksum), Chinese bank card numbers (16–19 digits, Luhn, a bank from the list),
debit cards (13–19 digits, Luhn; only the brand, the last four digits and a keyed fingerprint are
kept), e-wallet accounts (an email address or a phone number). Each check returns the stored form or
raises a translated ValidationError with a stable code."""

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from okpay.core import i18n

from .choices import CardBrand, EWalletProvider

DATA = Path(__file__).resolve().parent / "data"
DIGITS = re.compile(r"[0-9]+")
PHONE = re.compile(r"\+?[0-9]{6,15}")
CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
HOLDER = re.compile(r"[^\x00-\x1f\x7f<>]{1,100}")


def _squeeze(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), then without spaces and hyphens."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(text or "")))


def luhn_ok(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@dataclass(frozen=True)
class Iban:
    compact: str
    country: str
    bank_name: str


def iban_check(text: str) -> Iban:
    from schwifty import IBAN
    from schwifty import exceptions as iban_errors

    value = _squeeze(text).upper()
    if not value or not re.fullmatch(r"[A-Z0-9]{5,34}", value):
        raise ValidationError(_("Enter the IBAN: letters and digits only."), code="iban_invalid")
    try:
        iban = IBAN(value)
    except iban_errors.InvalidChecksumDigits:
        raise ValidationError(
            _("This IBAN's check digits are wrong: please copy it again from your bank."),
            code="iban_checksum",
        ) from None
    except iban_errors.InvalidLength:
        raise ValidationError(
            _("This IBAN has the wrong length for its country."), code="iban_length"
        ) from None
    except iban_errors.InvalidCountryCode:
        raise ValidationError(_("This IBAN's country is not known."), code="iban_country") from None
    except ValueError:
        raise ValidationError(_("This is not a valid IBAN."), code="iban_invalid") from None
    bank = ""
    try:
        bank = (iban.bank_name or "")[:140] if iban.bank else ""
    except (ValueError, AttributeError):
        bank = ""
    return Iban(compact=iban.compact, country=iban.country_code, bank_name=bank)


@cache
def cn_banks() -> dict[str, dict]:
    with (DATA / "cn_banks.json").open(encoding="utf-8") as handle:
        return {row["code"]: row for row in json.load(handle)}


def cn_bank_name(code: str, language: str | None = None) -> str:
    row = cn_banks().get(code)
    if row is None:
        return code
    return row["zh"] if i18n.is_chinese(language or i18n.current()) else row["en"]


def cn_bank_card_check(text: str, bank_code: str) -> str:
    number = _squeeze(text)
    if not DIGITS.fullmatch(number) or not 16 <= len(number) <= 19:
        raise ValidationError(_("A bank card number has 16 to 19 digits."), code="card_length")
    if not luhn_ok(number):
        raise ValidationError(
            _("This card number is not valid: please check the digits."), code="card_checksum"
        )
    if bank_code not in cn_banks():
        raise ValidationError(_("Choose the card's bank from the list."), code="bank_unknown")
    return number


@dataclass(frozen=True)
class Card:
    last4: str
    brand: str
    fingerprint: str


def card_brand(number: str) -> str:
    if number.startswith("62"):
        return CardBrand.UNIONPAY
    if number.startswith("4"):
        return CardBrand.VISA
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return CardBrand.MASTERCARD
    return CardBrand.OTHER


def card_fingerprint(number: str) -> str:
    """The same card gives the same value, and the value gives nothing back without the key."""
    key = hashlib.sha256(("okpay.payouts.card:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def debit_card_check(text: str) -> Card:
    number = _squeeze(text)
    if not DIGITS.fullmatch(number) or not 13 <= len(number) <= 19:
        raise ValidationError(_("A card number has 13 to 19 digits."), code="card_length")
    if not luhn_ok(number):
        raise ValidationError(
            _("This card number is not valid: please check the digits."), code="card_checksum"
        )
    return Card(last4=number[-4:], brand=card_brand(number), fingerprint=card_fingerprint(number))


def ewallet_account_check(provider: str, text: str) -> str:
    if provider not in EWalletProvider.values:
        raise ValidationError(_("Choose the e-wallet."), code="provider_unknown")
    value = unicodedata.normalize("NFKC", str(text or "")).strip()
    if "@" in value:
        try:
            if len(value) > 254:
                raise ValidationError("too long")
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("Enter the e-wallet's email address or phone number."), code="account_invalid"
            ) from None
        return value.lower()
    phone = _squeeze(value).replace("(", "").replace(")", "")
    if CN_MOBILE.fullmatch(phone):
        return "+86" + phone
    if PHONE.fullmatch(phone) and phone.startswith("+"):
        return phone
    raise ValidationError(_("Enter the e-wallet's email address or phone number."), code="account_invalid")


def holder_check(text: str) -> str:
    value = " ".join(unicodedata.normalize("NFKC", str(text or "")).split())
    if not HOLDER.fullmatch(value):
        raise ValidationError(_("Enter the account holder's name as the bank has it."), code="holder_invalid")
    return value
