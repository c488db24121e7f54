"""Compliance screening of international transfers → allow | review | block, with reason codes.
The rules are data (`data/screening.json`), not code; limits by verification level use rolling
windows over the customer's transfers."""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.money import country_name

from ..choices import TransferStatus
from ..errors import WalletError

RULES_FILE = Path(__file__).resolve().parents[1] / "data" / "screening.json"  # okpay/wallet/data/

ALLOW, REVIEW, BLOCK = "allow", "review", "block"

REASON_TEXT = {
    "blocked_country": _("Transfers to this country are not allowed (sanctions)."),
    "high_risk_country": _("Transfers to this country are reviewed by our compliance team."),
    "large_transfer": _("Transfers of 1,000 EUR or more are reviewed."),
    "daily_volume": _(
        "Your transfers in the last 24 hours reach 2,000 EUR or more, so this one is reviewed."
    ),
    "new_beneficiary_large": _("A first transfer of 500 EUR or more to a new recipient is reviewed."),
    "level_no_international": _(
        "Your verification level does not allow international transfers. Verify your identity (L1) first."
    ),
    "level_per_transfer": _("This is more than your verification level allows per transfer."),
    "level_international_max": _(
        "This is more than your verification level allows per international transfer."
    ),
    "level_24h": _("This would go over your 24-hour limit."),
    "level_30d": _("This would go over your 30-day limit."),
    "missing_details": _(
        "Transfers of 1,000 EUR or more need the full addresses of the sender and the recipient."
    ),
}
# short names of the reasons a transfer waits in the review queue (the queue's column; REASON_TEXT
# says them in full on the review page)
REVIEW_REASON_LABELS = {
    "high_risk_country": _("High-risk country"),
    "large_transfer": _("Large transfer"),
    "daily_volume": _("24-hour volume"),
    "new_beneficiary_large": _("New recipient, large amount"),
}


def review_reason_labels(codes) -> list[str]:
    return [str(REVIEW_REASON_LABELS.get(code) or REASON_TEXT.get(code, code)) for code in codes]


LIMIT_REASONS = {
    "level_no_international",
    "level_per_transfer",
    "level_international_max",
    "level_24h",
    "level_30d",
    "missing_details",
}


@cache
def rules() -> dict:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def country_currency(country: str) -> str | None:
    return rules()["countries"].get(country)


def country_normalise(value) -> str:
    """The recipient's country as a supported ISO 3166 code, or a refusal. NFKC first (full-width
    `ＫＰ` is `KP`), then an allow-list: look-alikes (Cyrillic `KР`), unknown (`ZZ`) and junk (`1!`)
    are refused rather than screened as harmless."""
    code = unicodedata.normalize("NFKC", str(value or "")).strip().upper()
    if code not in rules()["countries"]:
        raise WalletError(
            "unsupported_country",
            _("We cannot send money to this country or region. Choose one of the supported countries."),
        )
    return code


def country_is_blocked(code: str) -> bool:
    """Sanctioned: a transfer there is refused (screening blocks it; the form does not offer it)."""
    return code in rules()["blocked_countries"]


def destination_countries() -> list[str]:
    """The countries a customer may choose as a destination: supported and not sanctioned."""
    return [code for code in rules()["countries"] if not country_is_blocked(code)]


def destination_country(value) -> str:
    """The form's rule for the recipient's country: `country_normalise` (NFKC, allow-list), then a
    sanctioned country is refused before any quote is made."""
    code = country_normalise(value)
    if country_is_blocked(code):
        raise WalletError(
            "blocked_country",
            _("Transfers to %(country)s are not allowed (sanctions). Choose another country or region."),
            country=country_name(code),
        )
    return code


def full_details_from_eur() -> int:
    """From this EUR equivalent (minor units) a transfer needs the sender's and recipient's addresses."""
    return int(rules()["full_details_from_eur"])


def full_details_required(eur_minor: int) -> bool:
    return eur_minor >= full_details_from_eur()


ACCOUNT_RE = re.compile(r"[A-Z0-9 -]{5,40}", re.ASCII)


def recipient_account_normalise(value) -> str:
    """The recipient's account number or IBAN: ASCII letters, digits, spaces and hyphens after NFKC;
    spaces removed. The same rule for the form and the API."""
    account = unicodedata.normalize("NFKC", str(value or "")).strip().upper()
    if not ACCOUNT_RE.fullmatch(account):
        raise WalletError(
            "invalid_recipient_account",
            _("Enter the account number or IBAN with letters and digits only."),
        )
    return account.replace(" ", "")


@dataclass
class Screening:
    decision: str
    reasons: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [str(REASON_TEXT[r]) for r in self.reasons]

    @property
    def is_limit(self) -> bool:
        return any(r in LIMIT_REASONS for r in self.reasons)


# transfers that count against the limits: held, on their way or paid out
COUNTED_STATUSES = (TransferStatus.PENDING, TransferStatus.UNDER_REVIEW, TransferStatus.PAID)


def _volume_eur(user, since) -> int:
    from ..models import InternationalTransfer

    return (
        InternationalTransfer.objects.filter(
            user=user, created_at__gte=since, status__in=COUNTED_STATUSES
        ).aggregate(total=Sum("eur_equivalent_minor"))["total"]
        or 0
    )


def screen(
    *, user, eur_minor: int, country: str, recipient_account: str, has_full_details: bool
) -> Screening:
    data = rules()
    reasons: list[str] = []
    if country_is_blocked(country):
        return Screening(BLOCK, ["blocked_country"])
    level = data["levels"][str(user.verification_level)]
    now = timezone.now()
    day, month = _volume_eur(user, now - timedelta(hours=24)), _volume_eur(user, now - timedelta(days=30))
    if not level["international"]:
        reasons.append("level_no_international")
    if eur_minor > level["per_transfer"]:
        reasons.append("level_per_transfer")
    if level["international_max"] is not None and eur_minor > level["international_max"]:
        reasons.append("level_international_max")
    if level["day"] is not None and day + eur_minor > level["day"]:
        reasons.append("level_24h")
    if level["month"] is not None and month + eur_minor > level["month"]:
        reasons.append("level_30d")
    if full_details_required(eur_minor) and not has_full_details:
        reasons.append("missing_details")
    if reasons:
        return Screening(BLOCK, reasons)
    if country in data["high_risk_countries"]:
        reasons.append("high_risk_country")
    if eur_minor >= data["review_single_transfer_eur"]:
        reasons.append("large_transfer")
    if day + eur_minor >= data["review_24h_volume_eur"]:
        reasons.append("daily_volume")
    from ..models import InternationalTransfer

    known = InternationalTransfer.objects.filter(
        user=user, recipient_account=recipient_account, status=TransferStatus.PAID
    ).exists()
    if not known and eur_minor >= data["review_new_beneficiary_eur"]:
        reasons.append("new_beneficiary_large")
    return Screening(REVIEW if reasons else ALLOW, reasons)
