"""Disputes under concurrency on PostgreSQL (16 threads): the merchant accepting while a reviewer
decides — exactly one wins and money moves once; sixteen contacts on one payment make one dispute."""

import pytest

from okpay.core.errors import DomainError
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.disputes import actions
from okpay.disputes.models import Dispute
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import Refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    skip_unless_postgres()


def _balance(user):
    account = wallet_account(user, "CNY")
    account.refresh_from_db()
    return account.available_balance


@pytest.fixture
def setup(make_user):
    customer = make_user(email="c@example.com")
    shop = make_user(email="s@example.com", role="merchant")
    reviewer = make_user(email="r@okpay.example", role="agent")
    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    topup_demo(user=shop, amount_minor=100_000, currency="CNY", key="seed")
    payment = payment_create(
        customer=customer, merchant=shop, amount_minor=20_000, currency="CNY", description="x", key="p"
    )
    return customer, shop, reviewer, payment


def test_merchant_accepting_races_the_reviewer_and_money_moves_once(setup):
    customer, shop, reviewer, payment = setup
    dispute = actions.dispute_open(
        customer=customer, payment_id=payment.pk, reason="unauthorized", amount_minor=20_000, description="x"
    )
    actions.dispute_merchant_contest(merchant=shop, dispute_id=dispute.pk, statement="no")
    actions.dispute_review_start(reviewer=reviewer, dispute_id=dispute.pk)
    customer_before = _balance(customer)

    def act(i):
        try:
            if i % 2:
                actions.dispute_merchant_accept(merchant=shop, dispute_id=dispute.pk)
                return "accepted"
            actions.dispute_decide(
                reviewer=reviewer,
                dispute_id=dispute.pk,
                outcome="refund_partial",
                amount_minor=5_000,
                note_customer="a",
                note_merchant="b",
            )
            return "decided"
        except DomainError as error:
            return error.code

    results = in_threads(16, act)
    winners = [r for r in results if r in ("accepted", "decided")]
    assert len(winners) == 1, results
    assert set(results) - {"accepted", "decided"} <= {"illegal_transition", "forbidden"}
    dispute.refresh_from_db()
    expected = 20_000 if winners[0] == "accepted" else 5_000
    assert dispute.refunded_minor == expected
    assert _balance(customer) == customer_before + expected
    assert Refund.objects.filter(payment=payment).count() == 1
    assert ledger_verify() == []


def test_sixteen_contacts_on_one_payment_make_one_dispute(setup):
    customer, _shop, _reviewer, payment = setup

    def act(i):
        try:
            actions.dispute_contact_start(customer=customer, payment_id=payment.pk, body=f"message {i}")
            return "ok"
        except DomainError as error:
            return error.code

    results = in_threads(16, act)
    assert results.count("ok") == 1 and set(results) == {"ok", "dispute_exists"}, results
    assert Dispute.objects.count() == 1
