"""Money is an integer amount in the currency's minor unit plus an ISO 4217 code (domain.md)."""

from decimal import Decimal

from babel.core import Locale
from babel.numbers import format_currency

from . import i18n
from .collation import sort_key

# ISO 4217 exponents that are not 2.
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def currency_exponent(currency: str) -> int:
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


def babel_locale(language: str) -> str:
    return "zh_Hans_CN" if i18n.is_chinese(language) else "en_US"


def country_name(code: str, language: str | None = None) -> str:
    """A country's name from CLDR in the language (英国 / United Kingdom for GB); the code itself
    when CLDR does not know it."""
    code = (code or "").upper()
    names = Locale.parse(babel_locale(language or i18n.current())).territories
    return str(names.get(code, code))


def countries_sorted(codes, language: str | None = None) -> list[tuple[str, str]]:
    """[(code, CLDR name)] in the order the language sorts names (pinyin for Chinese; collation)."""
    language = language or i18n.current()
    named = [(code.upper(), country_name(code, language)) for code in codes]
    return sorted(named, key=lambda pair: sort_key(pair[1], language))


def format_money(amount_minor: int, currency: str, language: str) -> str:
    """`¥1,234.50`, `US$12.00`, `JP¥1,200`, `BHD 1.500` in the user's language."""
    locale = Locale.parse(babel_locale(language))
    exponent = currency_exponent(currency)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * exponent if exponent else ""
    pattern = pattern.replace("#,##0.00", "#,##0" + fraction)
    return format_currency(
        to_major(amount_minor, currency),
        currency.upper(),
        format=pattern,
        locale=locale,
        currency_digits=False,
    )
