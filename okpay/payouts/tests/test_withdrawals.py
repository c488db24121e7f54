"""Withdrawals: the quote (fee, amount received, arrival on the business calendar), idempotent
submission holding amount + fee, limits and reviews from the data, every allowed and refused move of
the state machine with its exact ledger effect, the customer's cancel, the sandbox provider."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from okpay.accounts.tests.factories import PASSWORD
from okpay.core.errors import DomainError
from okpay.core.transitions import SYSTEM
from okpay.payouts import policy
from okpay.payouts.actions import destination_add
from okpay.payouts.choices import WITHDRAWAL_TRANSITIONS, WithdrawalStatus
from okpay.payouts.models import Withdrawal
from okpay.payouts.providers import sandbox_sweep
from okpay.payouts.withdrawals import (
    withdrawal_cancel,
    withdrawal_quote,
    withdrawal_review_decide,
    withdrawal_submit,
    withdrawal_transition,
)
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, system_account, wallet_account

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CN_CARD = "6222021001122334458"


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"


@pytest.fixture(autouse=True)
def rates():
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


@pytest.fixture
def funded(make_user):
    user = make_user(email="wd@example.com", verification_level=1)
    topup_demo(user=user, amount_minor=500_000, currency="CNY", key="seed")  # ¥5,000.00
    return user


def _destination(user, kind="cn_bank_card", cooled=True):
    data = {
        "cn_bank_card": {"card_number": CN_CARD, "bank_code": "ICBC", "holder_name": "王小明"},
        "debit_card": {"card_number": "4111111111111111", "holder_name": "WANG"},
        "ewallet": {"provider": "alipay", "account": "13800138000"},
    }[kind]
    destination = destination_add(user=user, kind=kind, data=data, password=PASSWORD, network="203.0.113.9")
    if cooled:
        destination.usable_for_large_after = destination.created_at
        destination.save(update_fields=["usable_for_large_after"])
    return destination


def _balances(user):
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    return account.available_balance, account.posted_balance


def submit(user, destination, amount=10_000, key="k1", speed="standard"):
    return withdrawal_submit(
        user=user, destination_id=destination.pk, amount_minor=amount, currency="CNY", speed=speed, key=key
    )


def test_fees_and_methods_follow_the_policy_data():
    assert policy.fee_minor("bank_transfer", 10_000) == 100  # 0.1% of 100.00 is below the 1.00 minimum
    assert policy.fee_minor("bank_transfer", 5_000_000) == 2_500  # capped at 25.00
    assert policy.fee_minor("bank_transfer", 1_234_500) == 1_235  # 0.1%, rounded half up
    assert policy.fee_minor("card_standard", 99_999) == 100
    assert policy.fee_minor("card_instant", 10_000) == 200  # 1.5% = 1.50 → the 2.00 minimum
    assert policy.fee_minor("ewallet", 100_000) == 500
    assert policy.method_for("debit_card", "instant") == "card_instant"
    assert policy.method_for("cn_bank_card", "instant") is None


def test_arrival_is_business_day_aware_across_a_weekend_and_golden_week():
    friday = datetime(2026, 9, 4, 15, 0, tzinfo=SH)  # bank transfer: 1–3 business days → by Wednesday
    assert policy.arrival("bank_transfer", friday).latest == datetime(2026, 9, 9, 15, 0, tzinfo=SH)
    before_holiday = datetime(2026, 9, 30, 10, 0, tzinfo=SH)  # 1–7 Oct off; Sat 10 Oct is a make-up day
    arrival = policy.arrival("bank_transfer", before_holiday)
    assert arrival.earliest == datetime(2026, 10, 8, 10, 0, tzinfo=SH)
    assert arrival.latest == datetime(2026, 10, 10, 10, 0, tzinfo=SH)
    assert policy.arrival("card_instant", before_holiday).latest == datetime(2026, 9, 30, 10, 30, tzinfo=SH)


def test_the_quote_shows_fee_received_and_arrival(funded):
    destination = _destination(funded)
    quote = withdrawal_quote(
        user=funded, destination_id=destination.pk, amount_minor=20_000, currency="CNY", speed="standard"
    )
    assert (quote.method, quote.amount_minor, quote.fee_minor, quote.total_minor) == (
        "bank_transfer",
        20_000,
        100,
        20_100,
    )
    assert not Withdrawal.objects.exists()


def test_submit_holds_amount_and_fee_once_per_key(funded, committed, mailoutbox):
    destination = _destination(funded)
    with committed():
        withdrawal = submit(funded, destination)
    assert withdrawal.status == WithdrawalStatus.PROCESSING  # sandbox takes it at once
    assert _balances(funded) == (500_000 - 10_100, 500_000)  # held, not yet posted
    assert submit(funded, destination).pk == withdrawal.pk  # the same key: the same withdrawal
    with pytest.raises(DomainError) as reused:
        submit(funded, destination, amount=20_000)
    assert (reused.value.code, reused.value.status) == ("idempotency_key_reused", 409)
    assert Withdrawal.objects.count() == 1
    assert "WD-" in mailoutbox[0].subject
    assert ledger_verify() == []


def test_paid_posts_it_and_the_money_leaves(funded):
    destination = _destination(funded)
    withdrawal = submit(funded, destination)
    withdrawal_transition(withdrawal=withdrawal, to=WithdrawalStatus.PAID, actor=SYSTEM)
    assert _balances(funded) == (489_900, 489_900)
    in_flight = system_account("withdrawals_in_flight", "CNY")
    in_flight.refresh_from_db()
    assert in_flight.posted_balance == 0 and in_flight.pending_credits == 0
    assert system_account("fee_revenue", "CNY").posted_balance == 100
    withdrawal.refresh_from_db()
    assert withdrawal.transaction.status == "completed" and withdrawal.paid_at is not None
    assert ledger_verify() == []


@pytest.mark.parametrize("to", ["failed", "canceled", "rejected"])
def test_failed_canceled_rejected_give_everything_back(funded, settings, to):
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    destination = _destination(funded)
    if to == "rejected":
        withdrawal = submit(
            funded, destination, amount=450_000
        )  # first to this destination, ≈ 570 EUR: review
        assert withdrawal.status == WithdrawalStatus.UNDER_REVIEW
        reviewer = _reviewer()
        withdrawal_review_decide(withdrawal=withdrawal, reviewer=reviewer, approve=False, note="unusual")
    elif to == "canceled":
        withdrawal = submit(funded, destination)
        withdrawal_cancel(user=funded, withdrawal_id=withdrawal.pk)
    else:
        withdrawal = submit(funded, destination)
        operator = _reviewer()
        withdrawal_transition(withdrawal=withdrawal, to="processing", actor=operator)
        withdrawal_transition(
            withdrawal=withdrawal, to="failed", actor=operator, failure_code="account_closed"
        )
    withdrawal.refresh_from_db()
    assert withdrawal.status == to
    assert _balances(funded) == (500_000, 500_000)
    assert ledger_verify() == []


def _reviewer():
    from okpay.accounts.tests.factories import user_create

    return user_create(email=f"ops{Withdrawal.objects.count()}@okpay.example", role="supervisor")


def test_every_move_of_the_table_allowed_or_refused(funded, settings, make_user):
    """Each (from, to) × (customer, operator, system): allowed moves happen, refused ones change nothing."""
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    destination = _destination(funded)
    operator = make_user(email="ops@okpay.example", role="supervisor")
    agent = make_user(email="agent9@okpay.example", role="agent")
    statuses = WithdrawalStatus.values
    for i, start in enumerate(statuses):
        for j, to in enumerate(statuses):
            for actor_name, actor in (
                ("customer", funded),
                ("operator", operator),
                ("agent", agent),
                ("system", SYSTEM),
            ):
                withdrawal = submit(funded, destination, amount=1_000, key=f"m-{i}-{j}-{actor_name}")
                Withdrawal.objects.filter(pk=withdrawal.pk).update(status=start)
                withdrawal.refresh_from_db()
                rules = WITHDRAWAL_TRANSITIONS.get(start, {}).get(to, ())
                expected = any(
                    (rule == "system" and actor_name == "system")
                    or (rule == "customer" and actor_name == "customer")
                    or (callable(rule) and actor_name == "operator")
                    for rule in rules
                )
                try:
                    withdrawal_transition(withdrawal=withdrawal, to=to, actor=actor, failure_code="declined")
                    moved = True
                except DomainError:
                    moved = False
                withdrawal.refresh_from_db()
                assert moved == expected, (start, to, actor_name)
                assert withdrawal.status == (to if moved else start)


def test_limits_and_balance_are_refused_with_nothing_held(funded, make_user):
    destination = _destination(funded)
    with pytest.raises(DomainError) as too_much:
        submit(funded, destination, amount=499_999, key="big")  # more than the balance with the fee
    assert too_much.value.code == "insufficient_funds"
    poor = make_user(email="l0@example.com", verification_level=0)
    topup_demo(user=poor, amount_minor=1_000_000, currency="CNY", key="seed")
    small = _destination(poor, kind="ewallet")
    with pytest.raises(DomainError) as limit:
        submit(poor, small, amount=600_000, key="l0")  # L0: at most 50 EUR per withdrawal
    assert limit.value.code == "limit"
    with pytest.raises(DomainError) as tiny:
        submit(poor, small, amount=99, key="tiny")
    assert tiny.value.code == "amount_too_small"
    assert not Withdrawal.objects.exists()
    assert _balances(funded) == (500_000, 500_000)


def test_a_new_destination_takes_large_amounts_only_after_cooling_off(funded):
    fresh = _destination(funded, cooled=False)
    with pytest.raises(DomainError) as refused:
        submit(funded, fresh, amount=450_000)  # ≈ 57 EUR is small; make it large:
    assert refused.value.code in ("cooling_off", "limit")
    assert submit(funded, fresh, amount=10_000, key="small").status == "processing"  # small amounts go


def test_instant_only_where_the_method_has_it(funded):
    with pytest.raises(DomainError) as refused:
        submit(funded, _destination(funded), speed="instant")
    assert refused.value.code == "speed_unavailable"
    card = _destination(funded, kind="debit_card")
    assert submit(funded, card, speed="instant", key="card").method == "card_instant"


def test_another_customers_withdrawal_and_destination(funded, make_user):
    other = make_user(email="other@example.com")
    withdrawal = submit(funded, _destination(funded))
    with pytest.raises(DomainError) as refused:
        withdrawal_cancel(user=other, withdrawal_id=withdrawal.pk)
    assert refused.value.status == 404
    with pytest.raises(DomainError) as foreign:
        submit(other, withdrawal.destination, key="x")
    assert foreign.value.code == "destination_not_found"


def test_the_sandbox_pays_when_due_and_fails_the_test_amount(funded, time_machine):
    destination = _destination(funded, kind="ewallet")
    paid = submit(funded, destination, amount=10_000, key="a")
    failing = submit(funded, destination, amount=1_313, key="b")
    assert sandbox_sweep() == 0  # not yet due (an e-wallet: 10 minutes)
    from django.utils import timezone

    time_machine.move_to(timezone.now() + timedelta(minutes=15), tick=False)
    assert sandbox_sweep() == 2
    paid.refresh_from_db()
    failing.refresh_from_db()
    assert (paid.status, failing.status, failing.failure_code) == ("paid", "failed", "declined")
    assert _balances(funded) == (500_000 - 10_000 - 50, 500_000 - 10_000 - 50)
    assert ledger_verify() == []


def test_a_reviewer_cannot_decide_their_own_withdrawal(make_user, settings):
    from django.utils import timezone

    from okpay.payouts.models import PayoutDestination

    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    boss = make_user(email="boss@okpay.example", role="supervisor", verification_level=1)
    topup_demo(user=boss, amount_minor=500_000, currency="CNY", key="seed")
    own = PayoutDestination.objects.create(
        user=boss,
        kind="cn_bank_card",
        account=CN_CARD,
        bank_code="ICBC",
        usable_for_large_after=timezone.now(),
    )  # staff have no destinations through the product; the rule holds all the same
    withdrawal = submit(boss, own, amount=450_000)
    assert withdrawal.status == "under_review"
    with pytest.raises(DomainError) as refused:
        withdrawal_review_decide(withdrawal=withdrawal, reviewer=boss, approve=True, note="ok")
    assert refused.value.code == "own_withdrawal"


def test_production_refuses_the_sandbox_provider(settings):
    from okpay.payouts.checks import payout_provider_real

    settings.DEMO_MODE, settings.OKPAY_PAYOUT_PROVIDER = False, "sandbox"
    assert [e.id for e in payout_provider_real(None)] == ["okpay.E012"]
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    assert payout_provider_real(None) == []
    settings.DEMO_MODE, settings.OKPAY_PAYOUT_PROVIDER = True, "sandbox"
    assert payout_provider_real(None) == []
