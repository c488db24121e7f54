"""The PostgreSQL path of `entry_create`: one call of `okpay_ledger_entry_create` (migration 0005).
It must refuse what the Python (SQLite) path refuses, write nothing when it does, lock in key order
under 16 threads, and leave the same balances as the Python path for the same sequence."""

import random

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.wallet import ledger
from okpay.wallet.choices import EntryStatus, Side
from okpay.wallet.errors import WalletError
from okpay.wallet.ledger import (
    Line,
    entry_create,
    entry_post,
    entry_void,
    ledger_verify,
    system_account,
    wallet_account,
)
from okpay.wallet.models import JournalEntry, LedgerAccount, Posting

pytestmark = [pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    skip_unless_postgres()


def topup(user, amount, key):
    return entry_create(
        key=key,
        kind="topup",
        lines=[
            Line(system_account("external", "CNY"), Side.DEBIT, amount),
            Line(wallet_account(user, "CNY"), Side.CREDIT, amount),
        ],
    )


def pay(src, dst, amount, key, pending=False):
    return entry_create(
        key=key,
        kind="payment",
        pending=pending,
        lines=[
            Line(wallet_account(src, "CNY"), Side.DEBIT, amount),
            Line(wallet_account(dst, "CNY"), Side.CREDIT, amount),
        ],
    )


def totals(account):
    account.refresh_from_db()
    return (account.posted_debits, account.posted_credits, account.pending_debits, account.pending_credits)


@pytest.mark.django_db(transaction=True)
def test_one_entry_is_one_statement_outside_a_transaction(customer, customer_en):
    topup(customer, 1000, "t1")
    src, dst = wallet_account(customer, "CNY"), wallet_account(customer_en, "CNY")
    with CaptureQueriesContext(connection) as queries:
        entry = entry_create(
            key="p1", kind="payment", lines=[Line(src, Side.DEBIT, 300), Line(dst, Side.CREDIT, 300)]
        )
    assert len(queries) == 1
    assert "okpay_ledger_entry_create" in queries[0]["sql"]
    stored = JournalEntry.objects.get(pk=entry.pk)
    assert (stored.idempotency_key, stored.kind, stored.status) == ("p1", "payment", EntryStatus.POSTED)
    assert (stored.created_at, stored.posted_at) == (entry.created_at, entry.posted_at)
    assert list(stored.postings.order_by("pk").values_list("account_id", "side", "amount", "currency")) == [
        (src.pk, "debit", 300, "CNY"),
        (dst.pk, "credit", 300, "CNY"),
    ]
    assert totals(src) == (300, 1000, 0, 0)
    assert totals(dst) == (0, 300, 0, 0)
    src.refresh_from_db()
    assert (src.available_balance, src.version) == (700, 2)
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_returned_entry_is_a_saved_row_callers_can_update(customer, customer_en):
    topup(customer, 1000, "t1")
    entry = pay(customer, customer_en, 100, "p1")
    entry.reference = f"payment:{entry.pk}"
    entry.save(update_fields=["reference"])  # what payment_create does
    assert JournalEntry.objects.get(pk=entry.pk).reference == f"payment:{entry.pk}"
    assert JournalEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_repeated_key_is_refused_and_writes_nothing(customer, customer_en):
    topup(customer, 1000, "t1")
    pay(customer, customer_en, 100, "same")
    account = wallet_account(customer, "CNY")
    before = (totals(account), account.version, Posting.objects.count())
    with pytest.raises(WalletError) as error:
        pay(customer, customer_en, 100, "same")
    assert error.value.code == "duplicate_entry"
    account.refresh_from_db()
    assert (totals(account), account.version, Posting.objects.count()) == before
    assert JournalEntry.objects.filter(idempotency_key="same").count() == 1
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_overdraft_is_refused_and_nothing_is_written(customer, customer_en):
    topup(customer, 1000, "t1")
    account = wallet_account(customer, "CNY")
    before = (totals(account), account.version, JournalEntry.objects.count(), Posting.objects.count())
    with pytest.raises(WalletError) as error:
        pay(customer, customer_en, 1001, "p1")
    assert error.value.code == "insufficient_funds"
    with pytest.raises(WalletError) as held:
        pay(customer, customer_en, 1001, "h1", pending=True)
    assert held.value.code == "insufficient_funds"
    account.refresh_from_db()
    assert (totals(account), account.version, JournalEntry.objects.count(), Posting.objects.count()) == before
    assert wallet_account(customer_en, "CNY").posted_balance == 0
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_pending_debits_count_against_the_next_entry(customer, customer_en):
    topup(customer, 1000, "t1")
    hold = pay(customer, customer_en, 600, "h1", pending=True)
    account = wallet_account(customer, "CNY")
    assert (account.posted_balance, account.available_balance) == (1000, 400)
    with pytest.raises(WalletError, match="insufficient_funds"):
        pay(customer, customer_en, 401, "p1")
    pay(customer, customer_en, 400, "p2")
    entry_post(hold)
    account.refresh_from_db()
    assert (account.posted_balance, account.available_balance) == (0, 0)
    assert ledger_verify() == []


@pytest.mark.django_db(transaction=True)
def test_a_system_account_that_may_not_go_negative_is_refused_as_system_balance(customer):
    topup(customer, 1000, "t1")
    in_flight = system_account("withdrawals_in_flight", "CNY")
    with pytest.raises(WalletError) as error:
        entry_create(
            key="w1",
            kind="withdrawal",
            lines=[Line(in_flight, Side.DEBIT, 5), Line(system_account("external", "CNY"), Side.CREDIT, 5)],
        )
    assert error.value.code == "system_balance"
    assert totals(in_flight) == (0, 0, 0, 0)
    assert not JournalEntry.objects.filter(idempotency_key="w1").exists()


@pytest.mark.django_db
def test_a_refusal_inside_a_callers_transaction_leaves_it_usable(customer, customer_en):
    """entry_create behaves as a savepoint inside the caller's atomic block: the caller's earlier
    writes stay, the refused entry left nothing, and the caller can go on."""
    with transaction.atomic():
        topup(customer, 1000, "t1")
        with pytest.raises(WalletError, match="insufficient_funds"):
            pay(customer, customer_en, 5000, "p1")
        with pytest.raises(WalletError, match="duplicate_entry"):
            topup(customer, 1000, "t1")
        pay(customer, customer_en, 250, "p2")
    assert wallet_account(customer, "CNY").available_balance == 750
    assert wallet_account(customer_en, "CNY").available_balance == 250
    assert sorted(JournalEntry.objects.values_list("idempotency_key", flat=True)) == ["p2", "t1"]
    assert ledger_verify() == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_with_lines_in_opposite_orders_never_deadlock(make_user):
    """Half the threads name A first, half name C first: locking in line order would deadlock
    (PostgreSQL would abort one with 40P01); the function locks in primary-key order."""
    a, b, c = (make_user(email=f"lock{i}@example.com") for i in range(3))
    for user in (a, b, c):
        topup(user, 1_000_000, f"seed-{user.pk}")
    accounts = [wallet_account(user, "CNY") for user in (a, b, c)]

    def work(i):
        first, _middle, last = accounts if i % 2 else accounts[::-1]
        outcomes = []
        for n in range(15):
            try:
                entry_create(
                    key=f"lock-{i}-{n}",
                    kind="payment",
                    lines=[
                        Line(first, Side.DEBIT, 2),
                        Line(accounts[1], Side.CREDIT, 1),
                        Line(last, Side.CREDIT, 1),
                    ],
                )
                outcomes.append("ok")
            except WalletError as error:
                outcomes.append(error.code)
        return outcomes

    results = in_threads(16, work)
    assert [outcome for outcomes in results for outcome in outcomes] == ["ok"] * 240
    balances = [wallet_account(user, "CNY").posted_balance for user in (a, b, c)]
    # 120 entries take 2 from A (1 each to B and C), 120 take 2 from C (1 each to B and A)
    assert balances == [1_000_000 - 120, 1_000_000 + 240, 1_000_000 - 120]
    assert ledger_verify() == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_overdrawing_one_wallet_take_only_what_is_there(make_user):
    payer, payee = make_user(email="payer@example.com"), make_user(email="payee@example.com")
    topup(payer, 1000, "seed")

    def work(i):
        try:
            pay(payer, payee, 300, f"race-{i}")
            return "ok"
        except WalletError as error:
            return error.code

    results = in_threads(16, work)
    assert sorted(results) == ["insufficient_funds"] * 13 + ["ok"] * 3
    assert wallet_account(payer, "CNY").available_balance == 100
    assert JournalEntry.objects.filter(idempotency_key__startswith="race-").count() == 3
    assert ledger_verify() == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_with_one_key_make_one_entry(make_user):
    payer, payee = make_user(email="payer@example.com"), make_user(email="payee@example.com")
    topup(payer, 1000, "seed")

    def work(i):
        try:
            pay(payer, payee, 10, "one-key")
            return "ok"
        except WalletError as error:
            return error.code

    results = in_threads(16, work)
    assert sorted(results) == ["duplicate_entry"] * 15 + ["ok"]
    assert wallet_account(payer, "CNY").available_balance == 990
    assert ledger_verify() == []


def _sequence(seed: int, users, create):
    """A reproducible mix of top-ups, payments (some overdrawing), holds, 3-posting payments with a
    fee, entries naming one account twice, repeated keys and system refusals; returns the outcomes."""
    rng = random.Random(seed)
    wallets = [wallet_account(user, "CNY") for user in users]
    external, fee = system_account("external", "CNY"), system_account("fee_revenue", "CNY")
    in_flight = system_account("withdrawals_in_flight", "CNY")
    pending: list[JournalEntry] = []
    outcomes = []
    for n in range(150):
        op, a, b = rng.choice("ttppphhfsdwv"), rng.randrange(3), rng.randrange(3)
        amount = rng.randint(1, 4000)
        key = f"seq-{n}" if op != "d" else f"seq-{rng.randrange(max(n, 1))}"  # d: a key used before
        lines = {
            "t": [Line(external, Side.DEBIT, amount), Line(wallets[a], Side.CREDIT, amount)],
            "p": [Line(wallets[a], Side.DEBIT, amount), Line(wallets[b], Side.CREDIT, amount)],
            "h": [Line(wallets[a], Side.DEBIT, amount), Line(wallets[b], Side.CREDIT, amount)],
            "f": [
                Line(fee, Side.CREDIT, amount // 10 + 1),
                Line(wallets[a], Side.DEBIT, amount + amount // 10 + 1),
                Line(wallets[b], Side.CREDIT, amount),
            ],
            "s": [
                Line(wallets[a], Side.DEBIT, amount),
                Line(wallets[a], Side.CREDIT, amount // 2 + 1),
                Line(wallets[b], Side.CREDIT, amount - amount // 2 - 1),
            ]
            if amount > 1
            else [Line(wallets[a], Side.DEBIT, 1), Line(wallets[b], Side.CREDIT, 1)],
            "d": [Line(external, Side.DEBIT, amount), Line(wallets[a], Side.CREDIT, amount)],
            "w": [Line(in_flight, Side.DEBIT, amount), Line(external, Side.CREDIT, amount)],
        }.get(op)
        try:
            if lines is not None:
                entry = create(
                    key=key,
                    kind="payment",
                    lines=lines,
                    pending=op == "h",
                    reference="",
                    description="",
                    created_by=None,
                    expires_at=None,
                    reverses=None,
                )
                if op == "h":
                    pending.append(entry)
                outcomes.append((op, "ok"))
            elif pending:
                entry = pending.pop(0)
                entry_void(entry) if amount % 2 else entry_post(entry)
                outcomes.append((op, "closed"))
        except WalletError as error:
            outcomes.append((op, error.code))
    return outcomes


def _state():
    accounts = {
        account.code: (
            account.posted_debits,
            account.posted_credits,
            account.pending_debits,
            account.pending_credits,
            account.version,
        )
        for account in LedgerAccount.objects.all()
    }
    postings = sorted(
        Posting.objects.values_list(
            "entry__idempotency_key", "entry__status", "account__code", "side", "amount"
        )
    )
    return accounts, postings


@pytest.mark.django_db
def test_the_python_and_the_postgres_paths_leave_identical_ledgers(make_user):
    users = [make_user(email=f"same{i}@example.com") for i in range(3)]
    for user in users:
        wallet_account(user, "CNY")
    for role in ("external", "fee_revenue", "withdrawals_in_flight"):
        system_account(role, "CNY")
    runs = {}
    for name, create in (
        ("python", ledger._entry_create_python),
        ("postgres", ledger._entry_create_postgres),
    ):
        savepoint = transaction.savepoint_create()
        outcomes = _sequence(18, users, create)
        runs[name] = (outcomes, *_state())
        assert ledger_verify() == []
        transaction.savepoint_rollback(savepoint)
    python, postgres = runs["python"], runs["postgres"]
    assert {code for _op, code in python[0]} >= {
        "ok",
        "insufficient_funds",
        "duplicate_entry",
        "system_balance",
    }
    assert postgres[0] == python[0]  # the same refusals, with the same codes
    assert postgres[1] == python[1]  # every account's four totals and version
    assert postgres[2] == python[2]  # the same postings in the same entries
