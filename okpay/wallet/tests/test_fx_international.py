import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from okpay.wallet.actions import topup_demo
from okpay.wallet.errors import WalletError
from okpay.wallet.fx import RateFileError, convert_minor, cross_rate, ecb_parse, quote_create, rates_store
from okpay.wallet.international.actions import (
    international_cancel,
    international_review_decide,
    international_review_expire,
    international_settle,
    international_submit,
    wallet_sweep,
)
from okpay.wallet.international.screening import screen
from okpay.wallet.ledger import ledger_verify, system_account, wallet_account
from okpay.wallet.models import FxRateSet, InternationalTransfer

pytestmark = pytest.mark.smoke

FIXTURE = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()


@pytest.fixture
def rates(db):
    return rates_store(xml=FIXTURE)


@pytest.fixture
def sender(make_user):
    user = make_user(email="sender@example.com", verification_level=2)
    topup_demo(user=user, amount_minor=5_000_000, currency="CNY", key="seed")  # ¥50,000
    return user


def quote(user, amount=100_000, to="USD", country="US", source="CNY"):
    return quote_create(
        user=user, from_currency=source, to_currency=to, source_amount_minor=amount, recipient_country=country
    )


def submit(user, q, key="k1", account="US-ACC-1", **extra):
    fields = {
        "recipient_name": "John Smith",
        "recipient_country": q.recipient_country,
        "recipient_account": account,
        "recipient_address": "1 Main St, Springfield",
        "sender_address": "上海市浦东新区 1 号",
    }
    fields.update(extra)
    return international_submit(user=user, quote_id=q.pk, key=key, **fields)


def test_parses_the_real_ecb_format():
    as_of, rates = ecb_parse(FIXTURE)
    assert str(as_of) == "2026-11-25"
    assert rates["USD"] == Decimal("1.1578") and rates["JPY"] == Decimal("181.36") and len(rates) == 29


@pytest.mark.parametrize(
    "xml",
    [
        b"not xml",
        b"<a/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        FIXTURE.replace(b"rate='1.1578'", b"rate='-1'"),
        FIXTURE.replace(b"'USD'", b"'usd'"),
    ],
)
def test_refuses_broken_or_hostile_files(xml):
    with pytest.raises(RateFileError):
        ecb_parse(xml)


def test_cross_rates_go_through_eur(rates):
    assert cross_rate(rates, "EUR", "USD") == Decimal("1.1578")
    assert cross_rate(rates, "CNY", "USD") == Decimal("1.1578") / Decimal("8.2104")
    assert cross_rate(rates, "USD", "EUR") * Decimal("1.1578") == pytest.approx(Decimal(1))


@pytest.mark.parametrize(
    ("amount", "rate", "src", "dst", "expected"),
    [
        (10_000, Decimal("181.36"), "EUR", "JPY", 18136),  # €100.00 → ¥18,136 (0 decimals)
        (12_345, Decimal("0.5"), "USD", "JPY", 62),  # $123.45 × 0.5 = 61.725 → 62 (half-up)
        (
            100,
            Decimal("0.3765"),
            "EUR",
            "BHD",
            377,
        ),  # €1.00 → 0.3765 → 0.377 BHD (3 decimals: 0.3765 → 0.377)
        (1, Decimal("0.5"), "USD", "EUR", 1),  # 0.005 → 0.01 (half-up once)
        (999, Decimal("1"), "JPY", "USD", 99900),  # ¥999 → $999.00
    ],
)
def test_minor_unit_rounding(amount, rate, src, dst, expected):
    assert convert_minor(amount, rate, src, dst) == expected


def test_quote_discloses_rate_markup_and_fees(rates, sender):
    q = quote(sender, 100_000)  # ¥1,000.00 → USD
    mid = Decimal("1.1578") / Decimal("8.2104")
    assert q.mid_rate == mid.quantize(Decimal("0.0000000001"))
    assert q.applied_rate == (mid * Decimal("0.995")).quantize(Decimal("0.0000000001"))
    assert q.target_amount_minor == convert_minor(100_000, q.applied_rate, "CNY", "USD")
    assert q.fee_percent_minor == 250  # 0.25% of ¥1,000.00
    assert q.fee_fixed_minor == 821  # EUR 1.00 in CNY at 8.2104
    assert q.fee_total_minor == 1071
    assert q.expires_at - q.created_at == timedelta(minutes=30)


def test_same_currency_is_not_international(rates, sender):
    with pytest.raises(WalletError, match="same_currency"):
        quote(sender, to="CNY", country="CN")


def test_stale_rates_are_refused_unless_overridden(rates, sender, settings, time_machine):
    time_machine.move_to("2026-12-10 12:00:00+08:00")
    settings.OKPAY_FX_ALLOW_STALE = False
    with pytest.raises(WalletError, match="stale_rates"):
        quote(sender)
    settings.OKPAY_FX_ALLOW_STALE = True
    assert quote(sender).target_amount_minor > 0


def test_expired_used_and_foreign_quotes_are_refused(rates, sender, make_user, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    q = quote(sender)
    other = make_user(email="other@example.com", verification_level=2)
    with pytest.raises(WalletError, match="quote_not_found"):
        international_submit(
            user=other,
            quote_id=q.pk,
            recipient_name="x",
            recipient_country="US",
            recipient_account="US-ACC-9",
            key="x",
        )
    with pytest.raises(WalletError, match="quote_not_found"):
        international_submit(
            user=sender,
            quote_id=uuid.uuid4(),
            recipient_name="x",
            recipient_country="US",
            recipient_account="US-ACC-9",
            key="x",
        )
    submit(sender, q)
    with pytest.raises(WalletError, match="quote_used"):
        submit(sender, q, key="k2")
    late = quote(sender)
    time_machine.shift(timedelta(minutes=31))
    with pytest.raises(WalletError, match="quote_expired"):
        submit(sender, late, key="k3")
    assert InternationalTransfer.objects.count() == 1


def test_allowed_transfer_holds_then_pays_out_after_the_window(rates, sender, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    q = quote(sender, 50_000)  # ¥500 ≈ €61: allowed
    transfer = submit(sender, q)
    assert (transfer.status, transfer.decision) == ("pending", "allow")
    account = wallet_account(sender, "CNY")
    assert account.available_balance == 5_000_000 - q.total_debit_minor
    assert account.posted_balance == 5_000_000
    assert international_settle(transfer_id=transfer.pk) is False  # still inside the 30-minute window
    time_machine.shift(timedelta(minutes=31))
    assert wallet_sweep()["settled"] == 1
    transfer.refresh_from_db()
    assert transfer.status == "paid" and transfer.transaction.status == "completed"
    assert wallet_account(sender, "CNY").posted_balance == 5_000_000 - q.total_debit_minor
    assert system_account("external", "USD").posted_credits == q.target_amount_minor
    assert ledger_verify() == []


def test_cancel_within_30_minutes_restores_exactly(rates, sender, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    transfer = submit(sender, quote(sender, 50_000))
    time_machine.shift(timedelta(minutes=29))
    international_cancel(user=sender, transfer_id=transfer.pk)
    assert wallet_account(sender, "CNY").available_balance == 5_000_000
    late = submit(sender, quote(sender, 40_000), key="k2")
    time_machine.shift(timedelta(minutes=31))
    with pytest.raises(WalletError, match="cannot_cancel"):
        international_cancel(user=sender, transfer_id=late.pk)
    assert ledger_verify() == []


@pytest.mark.parametrize(
    ("country", "amount", "reason"),
    [
        ("SY", 10_000, "blocked_country"),
        ("RU", 10_000, "high_risk_country"),
        ("US", 900_000, "large_transfer"),  # ¥9,000 ≈ €1,096
    ],
)
def test_screening_reason_codes(rates, sender, country, amount, reason):
    currency = {"SY": "USD", "RU": "USD", "US": "USD"}[country]
    transfer = submit(sender, quote(sender, amount, to=currency, country=country))
    assert reason in transfer.reason_codes
    assert transfer.status == ("blocked" if reason == "blocked_country" else "under_review")
    if transfer.status == "blocked":
        assert transfer.entry is None and wallet_account(sender, "CNY").available_balance == 5_000_000


def test_new_beneficiary_and_daily_volume(rates, sender):
    first = submit(sender, quote(sender, 450_000), account="ACC-NEW")  # ≈ €548 to a new recipient
    assert "new_beneficiary_large" in first.reason_codes
    second = submit(sender, quote(sender, 700_000), key="k2", account="ACC-2")  # €548 + €853 in 24 h
    third = submit(sender, quote(sender, 700_000), key="k3", account="ACC-3")  # + €853 ≥ €2,000
    assert "daily_volume" not in second.reason_codes
    assert "daily_volume" in third.reason_codes


def test_verification_level_limits_over_rolling_windows(rates, make_user, time_machine):
    time_machine.move_to("2026-11-01 10:00:00+08:00", tick=False)
    level0 = make_user(email="l0@example.com", verification_level=0)
    topup_demo(user=level0, amount_minor=1_000_000, currency="CNY", key="s")
    with translation.override("en"), pytest.raises(WalletError, match="limit") as refused:
        submit(level0, quote(level0, 10_000))
    assert "Verify your identity" in refused.value.message
    level1 = make_user(email="l1@example.com", verification_level=1)
    topup_demo(user=level1, amount_minor=9_000_000, currency="CNY", key="s")
    for n in range(4):  # 4 × ¥3,200 ≈ 4 × €390 = €1,559 in 24 h
        submit(level1, quote(level1, 320_000), key=f"d{n}", account="SAME-ACCT")
    with pytest.raises(WalletError, match="limit"):
        submit(level1, quote(level1, 400_000), key="d5", account="SAME-ACCT")  # would pass €2,000 in 24 h
    time_machine.shift(timedelta(hours=25))
    assert submit(level1, quote(level1, 400_000), key="d6", account="SAME-ACCT").status in (
        "pending",
        "under_review",
    )
    result = screen(
        user=level1, eur_minor=400_000, country="US", recipient_account="SAME-ACCT", has_full_details=True
    )
    assert "level_per_transfer" in result.reasons  # €4,000 > L1 per transfer


def test_large_transfers_need_full_details(rates, sender):
    with translation.override("en"), pytest.raises(WalletError, match="limit") as refused:
        submit(sender, quote(sender, 900_000), recipient_address="", sender_address="")
    assert "full addresses" in refused.value.message


def test_review_approve_reject_and_expiry_move_money_exactly(rates, sender, supervisor, agent, time_machine):
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    approved = submit(sender, quote(sender, 900_000), key="a")
    rejected = submit(sender, quote(sender, 900_000), key="b")
    expiring = submit(sender, quote(sender, 900_000), key="c")
    held = sum(t.quote.total_debit_minor for t in (approved, rejected, expiring))
    assert wallet_account(sender, "CNY").available_balance == 5_000_000 - held
    with pytest.raises(WalletError, match="forbidden"):
        international_review_decide(reviewer=agent, transfer_id=approved.pk, approve=True, note="ok")
    with pytest.raises(WalletError, match="note_required"):
        international_review_decide(reviewer=supervisor, transfer_id=approved.pk, approve=True, note=" ")
    time_machine.shift(timedelta(hours=1))
    international_review_decide(
        reviewer=supervisor, transfer_id=approved.pk, approve=True, note="documents checked"
    )
    international_review_decide(
        reviewer=supervisor, transfer_id=rejected.pk, approve=False, note="purpose unclear"
    )
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert approved.status == "paid" and rejected.status == "rejected"
    assert international_review_expire(transfer_id=expiring.pk) is False
    time_machine.shift(timedelta(hours=72))
    assert wallet_sweep()["reviews_expired"] == 1
    expiring.refresh_from_db()
    assert expiring.status == "canceled"
    account = wallet_account(sender, "CNY")
    assert account.available_balance == account.posted_balance == 5_000_000 - approved.quote.total_debit_minor
    assert ledger_verify() == []


def test_fx_refresh_command(db, tmp_path):
    call_command("fx", "refresh")
    assert FxRateSet.objects.get().rates.count() == 29
    broken = tmp_path / "bad.xml"
    broken.write_text("<nope/>")
    with pytest.raises(CommandError, match="rates not loaded"):
        call_command("fx", "refresh", file=str(broken))
    assert FxRateSet.objects.count() == 1
