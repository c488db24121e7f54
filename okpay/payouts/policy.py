"""The withdrawal policy (data/withdrawals.json): which method a destination and speed use, the fee,
the amount received, the estimated arrival on the business calendar, the verification-level limits
and the review thresholds. Pure functions over the data; the actions apply them."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from okpay.core import business_calendar

from .choices import DestinationKind, Method, Speed

DATA = Path(__file__).resolve().parent / "data" / "withdrawals.json"


@cache
def rules() -> dict:
    with DATA.open(encoding="utf-8") as handle:
        return json.load(handle)


def method_for(kind: str, speed: str) -> str | None:
    """The method a destination kind and speed use; None when the destination has no such speed
    (only debit cards are instant)."""
    if kind == DestinationKind.DEBIT_CARD:
        return Method.CARD_INSTANT if speed == Speed.INSTANT else Method.CARD_STANDARD
    if speed != Speed.STANDARD:
        return None
    if kind in (DestinationKind.IBAN, DestinationKind.CN_BANK_CARD):
        return Method.BANK_TRANSFER
    if kind == DestinationKind.EWALLET:
        return Method.EWALLET
    return None


def speeds_for(kind: str) -> list[str]:
    return [speed for speed in Speed.values if method_for(kind, speed) is not None]


def fee_minor(method: str, amount_minor: int) -> int:
    data = rules()["methods"][method]
    fee = (Decimal(amount_minor) * Decimal(data["fee_percent"]) / 100).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    fee = max(int(fee) + data["fee_flat_minor"], data["fee_min_minor"])
    if data["fee_max_minor"] is not None:
        fee = min(fee, data["fee_max_minor"])
    return fee


@dataclass(frozen=True)
class Arrival:
    earliest: datetime
    latest: datetime  # what the customer is told: "by <latest>"


def arrival(method: str, submitted: datetime) -> Arrival:
    spec = rules()["methods"][method]["arrival"]
    if "minutes" in spec:
        latest = submitted + timedelta(minutes=spec["minutes"])
        return Arrival(earliest=submitted, latest=latest)
    low, high = spec["business_days"]
    return Arrival(
        earliest=business_calendar.add_business_days(submitted, low),
        latest=business_calendar.add_business_days(submitted, high),
    )


def sandbox_due(method: str, submitted: datetime) -> datetime:
    """When the sandbox provider pays: after the method's minutes, or on its earliest business day."""
    spec = rules()["methods"][method]["arrival"]
    if "minutes" in spec:
        return submitted + timedelta(minutes=spec["minutes"])
    return arrival(method, submitted).earliest


def level_limits(level: int) -> dict:
    return rules()["levels"][str(level)]
