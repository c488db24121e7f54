"""Reference rates (ECB euro reference rates XML), cross rates through EUR, and quotes with the
mark-up and fees disclosed up front (domain.md § International transfers). Decimal for rates; one
half-up rounding at the end of each amount."""

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from defusedxml import ElementTree
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.money import currency_exponent

from .errors import WalletError
from .international.screening import country_normalise
from .models import FxRate, FxRateSet, Quote

ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
SNAPSHOT = Path(__file__).resolve().parent / "data" / "eurofxref-daily.xml"
ECB_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"


class RateFileError(ValueError):
    pass


def ecb_parse(xml: bytes) -> tuple[date, dict[str, Decimal]]:
    """(publication date, {currency: units per 1 EUR}) from the ECB daily XML. defusedxml refuses
    entity expansion and external references."""
    try:
        root = ElementTree.fromstring(xml)
    except Exception as error:  # defusedxml raises several kinds; all mean "not a rate file"
        raise RateFileError(f"not valid XML: {error}") from error
    day_cube = next((c for c in root.iter(f"{ECB_NS}Cube") if "time" in c.attrib), None)
    if day_cube is None:
        raise RateFileError("no <Cube time=…> element")
    try:
        as_of = date.fromisoformat(day_cube.attrib["time"])
    except ValueError as error:
        raise RateFileError("bad date") from error
    rates: dict[str, Decimal] = {}
    for cube in day_cube.findall(f"{ECB_NS}Cube"):
        currency, raw = cube.attrib.get("currency", ""), cube.attrib.get("rate", "")
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise RateFileError(f"bad currency {currency!r}")
        try:
            value = Decimal(raw)
        except ArithmeticError as error:
            raise RateFileError(f"bad rate for {currency}") from error
        if not value.is_finite() or value <= 0:
            raise RateFileError(f"bad rate for {currency}")
        rates[currency] = value
    if len(rates) < 5:
        raise RateFileError("too few rates")
    return as_of, rates


@transaction.atomic
def rates_store(*, xml: bytes, source: str = "ecb") -> FxRateSet:
    as_of, rates = ecb_parse(xml)
    rate_set, created = FxRateSet.objects.get_or_create(source=source, as_of=as_of)
    if created:
        FxRate.objects.bulk_create(
            [FxRate(rate_set=rate_set, currency=c, per_eur=v) for c, v in rates.items()]
        )
    else:
        rate_set.fetched_at = timezone.now()
        rate_set.save(update_fields=["fetched_at"])
    return rate_set


def rates_refresh(*, url: str | None = None, path: str | None = None) -> FxRateSet:
    """From a file, a URL, or (neither) the bundled snapshot."""
    if path:
        xml = Path(path).read_bytes()
    elif url:
        import urllib.request

        if not url.startswith(("https://", "http://")):
            raise RateFileError("the URL must start with http:// or https://")
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - scheme checked above
            xml = response.read(2_000_000)
    else:
        xml = SNAPSHOT.read_bytes()
    return rates_store(xml=xml)


def latest_rate_set() -> FxRateSet | None:
    return FxRateSet.objects.order_by("-as_of", "-fetched_at").first()


def rate_age_days(rate_set: FxRateSet, today: date | None = None) -> int:
    return ((today or timezone.localdate()) - rate_set.as_of).days


def rates_usable() -> FxRateSet:
    """The newest rates, refused when older than OKPAY_FX_MAX_AGE_DAYS unless an operator allows stale
    rates (OKPAY_FX_ALLOW_STALE; on by default only in demo mode, where the bundled snapshot ages)."""
    rate_set = latest_rate_set()
    if rate_set is None:
        raise WalletError(
            "no_rates", _("Exchange rates are not available right now. Please try again later.")
        )
    if rate_age_days(rate_set) > settings.OKPAY_FX_MAX_AGE_DAYS and not settings.OKPAY_FX_ALLOW_STALE:
        raise WalletError(
            "stale_rates",
            _("Exchange rates are out of date, so we cannot quote right now. Please try again later."),
        )
    return rate_set


def per_eur(rate_set: FxRateSet, currency: str) -> Decimal:
    if currency == "EUR":
        return Decimal(1)
    rate = (
        FxRate.objects.filter(rate_set=rate_set, currency=currency).values_list("per_eur", flat=True).first()
    )
    if rate is None:
        raise WalletError(
            "unsupported_currency", _("This currency is not supported: %(currency)s."), currency=currency
        )
    return rate


def cross_rate(rate_set: FxRateSet, from_currency: str, to_currency: str) -> Decimal:
    """Units of `to_currency` per unit of `from_currency`, through EUR."""
    return per_eur(rate_set, to_currency) / per_eur(rate_set, from_currency)


def convert_minor(amount_minor: int, rate: Decimal, from_currency: str, to_currency: str) -> int:
    """Convert minor units with one half-up rounding at the end (0-, 2- and 3-decimal currencies)."""
    major = Decimal(amount_minor).scaleb(-currency_exponent(from_currency)) * rate
    return int((major.scaleb(currency_exponent(to_currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def eur_equivalent_minor(rate_set: FxRateSet, amount_minor: int, currency: str) -> int:
    return convert_minor(amount_minor, cross_rate(rate_set, currency, "EUR"), currency, "EUR")


@transaction.atomic
def quote_create(
    *, user, from_currency: str, to_currency: str, source_amount_minor: int, recipient_country: str
) -> Quote:
    recipient_country = country_normalise(recipient_country)
    if from_currency == to_currency:
        raise WalletError(
            "same_currency",
            _("Choose a different currency for the recipient: this is not an international transfer."),
        )
    rate_set = rates_usable()
    mid = cross_rate(rate_set, from_currency, to_currency)
    markup = settings.OKPAY_FX_MARKUP_PERCENT
    applied = (mid * (Decimal(100) - markup) / Decimal(100)).quantize(Decimal("0.0000000001"))
    target = convert_minor(source_amount_minor, applied, from_currency, to_currency)
    if target <= 0:
        raise WalletError("amount_too_small", _("The amount is too small to send."))
    fee_percent = int(
        (Decimal(source_amount_minor) * settings.OKPAY_FX_FEE_PERCENT / Decimal(100)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    fee_fixed = convert_minor(
        settings.OKPAY_FX_FEE_FIXED_EUR_MINOR,
        cross_rate(rate_set, "EUR", from_currency),
        "EUR",
        from_currency,
    )
    now = timezone.now()
    return Quote.objects.create(
        id=uuid.uuid4(),
        user=user,
        from_currency=from_currency,
        to_currency=to_currency,
        source_amount_minor=source_amount_minor,
        target_amount_minor=target,
        mid_rate=mid.quantize(Decimal("0.0000000001")),
        applied_rate=applied,
        markup_percent=markup,
        fee_fixed_minor=fee_fixed,
        fee_percent_minor=fee_percent,
        fee_total_minor=fee_fixed + fee_percent,
        rate_set=rate_set,
        recipient_country=recipient_country,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.OKPAY_FX_QUOTE_MINUTES),
    )
