"""Real threads on PostgreSQL: row locks and constraints under parallel requests."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from okpay.core.idempotency import IdempotencyError, idempotent
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.errors import WalletError
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import JournalEntry, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (set DATABASE_URL)")


def in_threads(n, work):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_fifty_parallel_payments_never_overdraw(make_user):
    customer = make_user(email="rich@example.com")
    merchant = make_user(email="shop@example.com", role="merchant")
    topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="start")  # ¥100.00

    def pay(i):
        try:
            payment_create(
                customer=customer,
                merchant=merchant,
                amount_minor=300,
                currency="CNY",
                description=f"coffee {i}",
                key=f"k{i}",
            )
            return "ok"
        except WalletError as error:
            return error.code

    results = in_threads(50, pay)
    assert results.count("ok") == 33  # 33 × ¥3.00 = ¥99.00 fits, the 34th would overdraw
    assert set(results) == {"ok", "insufficient_funds"}
    assert Payment.objects.count() == 33
    assert wallet_account(customer, "CNY").available_balance == 100
    assert ledger_verify() == []


def test_parallel_replays_of_one_idempotency_key_make_one_entry(make_user):
    customer = make_user(email="replay@example.com")

    def request(i):
        try:
            _status, body = idempotent(
                user=customer,
                key="same-key",
                scope="topup",
                payload={"amount": 500, "currency": "CNY"},
                action=lambda: (
                    201,
                    {
                        "transaction": topup_demo(
                            user=customer, amount_minor=500, currency="CNY", key="same-key"
                        ).pk
                    },
                ),
            )
            return ("done", body["transaction"])
        except IdempotencyError as error:
            return ("conflict", error.code)

    results = in_threads(10, request)
    done = {r[1] for r in results if r[0] == "done"}
    assert len(done) == 1  # every successful answer names the same transaction
    assert all(r[1] == "request_in_flight" for r in results if r[0] == "conflict")
    assert JournalEntry.objects.filter(kind="topup").count() == 1
    assert wallet_account(customer, "CNY").posted_balance == 500
    assert ledger_verify() == []


def test_opposite_transfers_do_not_deadlock(make_user):
    a, b = (
        make_user(email="a@example.com", role="merchant"),
        make_user(email="b@example.com", role="merchant"),
    )
    topup_demo(user=a, amount_minor=100_000, currency="CNY", key="a")
    topup_demo(user=b, amount_minor=100_000, currency="CNY", key="b")

    def pay(i):
        src, dst = (a, b) if i % 2 else (b, a)
        payment_create(
            customer=src, merchant=dst, amount_minor=100, currency="CNY", description="x", key=f"x{i}"
        )

    in_threads(20, pay)
    assert Payment.objects.count() == 20
    assert ledger_verify() == []
