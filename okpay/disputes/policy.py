"""The dispute policy (data/disputes.json): filing window, the parties' and OKPay's deadlines on the
business calendar, evidence limits. Pure functions over the data; the actions apply them."""

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from okpay.core import business_calendar

DATA = Path(__file__).resolve().parent / "data" / "disputes.json"


@cache
def rules() -> dict:
    with DATA.open(encoding="utf-8") as handle:
        return json.load(handle)


def filing_deadline(paid_at: datetime) -> datetime:
    """The last moment a dispute may be opened on a payment made at `paid_at` (calendar days)."""
    return paid_at + timedelta(days=rules()["filing_window_days"])


def business_days_after(moment: datetime, days: int) -> datetime:
    return business_calendar.add_business_days(moment, days)


def merchant_answer_due(contacted_at: datetime) -> datetime:
    return business_days_after(contacted_at, rules()["merchant_answer_business_days"])


def merchant_response_due(opened_at: datetime) -> datetime:
    return business_days_after(opened_at, rules()["merchant_response_business_days"])


def merchant_reminder_at(response_due: datetime) -> datetime:
    """The same local time, the policy's number of business days before the merchant's deadline."""
    before = rules()["merchant_reminder_business_days_before"]
    probe = response_due
    for _ in range(366):
        if business_calendar.business_days_between(probe, response_due) >= before:
            return probe
        probe -= timedelta(days=1)
    return response_due - timedelta(days=before)


def review_due(escalated_at: datetime) -> datetime:
    return business_days_after(escalated_at, rules()["review_business_days"])


def appeal_until(resolved_at: datetime) -> datetime:
    return business_days_after(resolved_at, rules()["appeal_window_business_days"])


def evidence_rules() -> dict:
    return rules()["evidence"]
