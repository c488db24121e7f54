"""Withdrawals under concurrency on PostgreSQL (16 threads): the customer's cancel racing the operator
(exactly one wins, money moves once), the same key submitted at once (one withdrawal), and the
verification level's 24-hour limit decided one submission at a time."""

import pytest

from okpay.core.errors import DomainError
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.payouts.models import PayoutDestination, Withdrawal
from okpay.payouts.withdrawals import withdrawal_cancel, withdrawal_submit, withdrawal_transition
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    skip_unless_postgres()
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


def _customer(make_user, email, level=1):
    from django.utils import timezone

    user = make_user(email=email, verification_level=level)
    topup_demo(user=user, amount_minor=10_000_000, currency="CNY", key="seed")
    destination = PayoutDestination.objects.create(
        user=user,
        kind="ewallet",
        provider="alipay",
        account="+8613800138000",
        usable_for_large_after=timezone.now(),
    )
    return user, destination


def test_cancel_races_the_operator_and_exactly_one_wins(make_user):
    user, destination = _customer(make_user, "race@example.com")
    operator = make_user(email="ops@okpay.example", role="supervisor")
    withdrawal = withdrawal_submit(
        user=user,
        destination_id=destination.pk,
        amount_minor=10_000,
        currency="CNY",
        speed="standard",
        key="r",
    )

    def act(i):
        try:
            if i % 2:
                withdrawal_cancel(user=user, withdrawal_id=withdrawal.pk)
                return "canceled"
            withdrawal_transition(withdrawal=withdrawal, to="processing", actor=operator)
            return "processing"
        except DomainError as error:
            return error.code

    results = in_threads(16, act)
    winners = [r for r in results if r in ("canceled", "processing")]
    assert len(winners) == 1, results
    withdrawal.refresh_from_db()
    assert withdrawal.status == winners[0]
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    held = 0 if winners[0] == "canceled" else 10_050
    assert account.available_balance == 10_000_000 - held
    assert ledger_verify() == []


def test_the_same_key_at_once_makes_one_withdrawal(make_user):
    user, destination = _customer(make_user, "key@example.com")

    def submit(i):
        return withdrawal_submit(
            user=user,
            destination_id=destination.pk,
            amount_minor=10_000,
            currency="CNY",
            speed="standard",
            key="one",
        ).pk

    assert len(set(in_threads(16, submit))) == 1
    assert Withdrawal.objects.count() == 1
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    assert account.available_balance == 10_000_000 - 10_050
    assert ledger_verify() == []


def test_the_24h_limit_holds_under_16_parallel_submissions(make_user):
    user, destination = _customer(make_user, "limit@example.com")  # L1: 2,000 EUR per 24 h

    def submit(i):
        try:
            return withdrawal_submit(
                user=user,
                destination_id=destination.pk,
                amount_minor=230_000,  # ¥2,300 ≈ 290 EUR each (at most 1,000 EUR one by one)
                currency="CNY",
                speed="standard",
                key=f"l-{i}",
            ).status
        except DomainError as error:
            return error.code

    results = in_threads(16, submit)
    accepted = [r for r in results if r != "limit"]
    total_eur = sum(Withdrawal.objects.values_list("eur_equivalent_minor", flat=True))
    assert total_eur <= 200_000 and total_eur + Withdrawal.objects.first().eur_equivalent_minor > 200_000
    assert len(accepted) == Withdrawal.objects.count() and results.count("limit") == 16 - len(accepted)
    assert ledger_verify() == []


def test_sixteen_parallel_destination_adds_respect_the_limit(make_user, settings):
    """One change at a time per customer: the maximum number of destinations holds."""
    from okpay.accounts.tests.factories import PASSWORD
    from okpay.payouts.actions import destination_add

    settings.OKPAY_PAYOUT_MAX_DESTINATIONS = 3
    user = make_user(email="many@example.com")
    phones = [f"1380013{i:04d}" for i in range(16)]

    def add(i):
        try:
            destination_add(
                user=user,
                kind="ewallet",
                data={"provider": "alipay", "account": phones[i]},
                password=PASSWORD,
                network=f"203.0.113.{i}",
            )
            return "added"
        except DomainError as error:
            return error.code

    results = in_threads(16, add)
    assert results.count("added") == 3 and results.count("too_many") == 13, results
    assert PayoutDestination.objects.filter(user=user, removed_at__isnull=True).count() == 3
