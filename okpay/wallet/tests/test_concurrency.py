"""Real threads on PostgreSQL: row locks and constraints under parallel requests."""

from pathlib import Path

import pytest

from okpay.core.idempotency import IdempotencyError, idempotent
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.errors import WalletError
from okpay.wallet.ledger import ledger_verify, wallet_account
from okpay.wallet.models import JournalEntry, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    skip_unless_postgres()


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


# --- finding 1 of the security probe: limits and review rules raced across submissions ----------

ECB = (Path(__file__).parent / "fixtures" / "ecb-sample.xml").read_bytes()


def _eur_sender(make_user, email, eur_minor):
    from okpay.wallet.fx import rates_store

    rates_store(xml=ECB)
    user = make_user(email=email, verification_level=2)
    topup_demo(user=user, amount_minor=eur_minor, currency="EUR", key="seed")
    return user


def _submit_in_threads(user, n, eur_minor, tag="burst"):
    """n distinct quotes, each to a new recipient, submitted at the same instant."""
    from okpay.wallet.fx import quote_create
    from okpay.wallet.international.actions import international_submit

    quotes = [
        quote_create(
            user=user,
            from_currency="EUR",
            to_currency="USD",
            source_amount_minor=eur_minor,
            recipient_country="US",
        )
        for _ in range(n)
    ]

    def submit(i):
        try:
            transfer = international_submit(
                user=user,
                quote_id=quotes[i].pk,
                key=f"{tag}-{i}",
                recipient_name=f"Recipient {i}",
                recipient_country="US",
                recipient_account=f"US-{tag}-{i:04d}".upper(),
                recipient_address="1 Main St",
                sender_address="2 High St",
            )
            return transfer.status
        except WalletError as error:
            return error.code

    return in_threads(n, submit)


def test_finding_01_parallel_transfers_respect_the_24h_review_threshold(make_user):
    from okpay.wallet.models import InternationalTransfer

    sender = _eur_sender(make_user, "burst@example.com", 5_000_000)
    assert _submit_in_threads(sender, 1, 80_000, tag="before") == [
        "under_review"
    ]  # 800 EUR already sent (new recipient ≥ 500)
    results = _submit_in_threads(sender, 16, 45_000)
    # 800 + 450 + 450 = 1,700 EUR stays under the 2,000 EUR/24 h review threshold; every later one reaches it
    assert results.count("pending") == 2
    assert results.count("under_review") == 14
    reviewed = InternationalTransfer.objects.filter(status="under_review").exclude(
        eur_equivalent_minor=80_000
    )
    assert all(t.reason_codes == ["daily_volume"] for t in reviewed)
    assert ledger_verify() == []


def test_finding_01_parallel_transfers_cannot_exceed_the_level_limit(make_user):
    from okpay.wallet.models import InternationalTransfer

    sender = _eur_sender(make_user, "limit@example.com", 20_000_000)
    assert _submit_in_threads(sender, 1, 300_000, tag="before") == [
        "under_review"
    ]  # 3,000 EUR already in the window
    results = _submit_in_threads(sender, 16, 900_000)
    # L2: 20,000 EUR per 24 h → 3,000 + 9,000 fits once; 3,000 + 18,000 does not
    assert results.count("under_review") == 1
    assert results.count("limit") == 15
    sent = sum(
        InternationalTransfer.objects.filter(status__in=["pending", "under_review"]).values_list(
            "eur_equivalent_minor", flat=True
        )
    )
    assert sent == 1_200_000
    assert wallet_account(sender, "EUR").available_balance == 20_000_000 - sum(
        t.quote.total_debit_minor for t in InternationalTransfer.objects.select_related("quote")
    )
    assert ledger_verify() == []
