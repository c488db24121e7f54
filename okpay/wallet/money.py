"""Parsing customer-typed amounts and computing fees, always in integer minor units."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n
from okpay.core.money import currency_exponent, format_money

from .errors import WalletError

MAX_AMOUNT_MINOR = 10**13  # 100 billion in a 2-decimal currency: beyond any wallet limit


def supported_currency(currency: str) -> str:
    currency = (currency or "").strip().upper()
    if currency not in settings.OKPAY_WALLET_CURRENCIES:
        raise WalletError(
            "unsupported_currency",
            _("This currency is not supported: %(currency)s."),
            currency=currency[:10] or "—",
        )
    return currency


# Plain decimal notation only: ASCII digits, optional groups of three separated by commas, an
# optional decimal point. No exponents (1e2), underscores (1_000), full-width or other scripts' digits.
AMOUNT_RE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", re.ASCII)


def parse_amount(text, currency: str) -> int:
    """'1,234.50' → 123450 (for CNY). Refuses anything but plain decimal notation, ≤ 0, too many
    decimals, absurd sizes."""
    raw = str(text if text is not None else "").strip()
    if raw.startswith("-") and AMOUNT_RE.fullmatch(raw[1:].strip()):
        raise WalletError("amount_not_positive", _("The amount must be greater than zero."))
    if len(raw) > 40 or not AMOUNT_RE.fullmatch(raw):
        raise WalletError("invalid_amount", _("Enter the amount as a number, e.g. 100.50."))
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise WalletError("invalid_amount", _("Enter the amount as a number, e.g. 100.50.")) from None
    if value <= 0:
        raise WalletError("amount_not_positive", _("The amount must be greater than zero."))
    exponent = currency_exponent(currency)
    value_exponent = value.as_tuple().exponent  # an int: AMOUNT_RE admits only finite numbers
    if isinstance(value_exponent, int) and value_exponent < -exponent:
        raise WalletError(
            "too_many_decimals",
            _("%(currency)s amounts have at most %(places)s decimal places."),
            currency=currency,
            places=exponent,
        )
    if value.adjusted() > 20:  # far beyond any limit; also keeps scaleb from overflowing
        raise WalletError("amount_too_large", _("The amount is too large."))
    minor = int(value.scaleb(exponent))
    if minor > MAX_AMOUNT_MINOR:
        raise WalletError("amount_too_large", _("The amount is too large."))
    return minor


def percent_fee(amount_minor: int, rate: Decimal, *, minimum: int = 0, maximum: int | None = None) -> int:
    """rate × amount, rounded half-up once at the end, clamped to [minimum, maximum]."""
    fee = int((Decimal(amount_minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    fee = max(fee, minimum)
    return min(fee, maximum) if maximum is not None else fee


def merchant_fee(amount_minor: int) -> int:
    """Merchant fee (policy, docs/policies.md): 0.6% of each payment, at least one minor unit."""
    return min(percent_fee(amount_minor, settings.OKPAY_MERCHANT_FEE_RATE, minimum=1), amount_minor)


def payment_amount_check(amount_minor: int, currency: str) -> None:
    """Payments and payment links: at least the policy minimum, so the fee (min. one minor unit)
    never takes the whole amount."""
    if amount_minor <= 0 or amount_minor > MAX_AMOUNT_MINOR:
        raise WalletError("invalid_amount", _("Enter the amount as a number, e.g. 100.50."))
    minimum = settings.OKPAY_PAYMENT_MIN_MINOR
    if amount_minor < minimum or amount_minor - merchant_fee(amount_minor) <= 0:
        raise WalletError(
            "amount_too_small",
            _("The smallest payment is %(minimum)s."),
            minimum=format_money(minimum, currency, i18n.current()),
        )
