import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okpay.wallet.choices import EntryStatus, Side
from okpay.wallet.errors import WalletError
from okpay.wallet.ledger import (
    Line,
    entries_expire,
    entry_create,
    entry_post,
    entry_reverse,
    entry_void,
    ledger_verify,
    system_account,
    system_accounts,
    wallet_account,
)
from okpay.wallet.models import JournalEntry, LedgerAccount

pytestmark = pytest.mark.smoke


def topup(user, amount, key, currency="CNY"):
    return entry_create(
        key=key,
        kind="topup",
        lines=[
            Line(system_account("external", currency), Side.DEBIT, amount),
            Line(wallet_account(user, currency), Side.CREDIT, amount),
        ],
    )


def transfer(src, dst, amount, key, pending=False, currency="CNY"):
    return entry_create(
        key=key,
        kind="payment",
        pending=pending,
        lines=[
            Line(wallet_account(src, currency), Side.DEBIT, amount),
            Line(wallet_account(dst, currency), Side.CREDIT, amount),
        ],
    )


def test_entry_must_balance_and_have_positive_amounts(customer):
    account, external = wallet_account(customer, "CNY"), system_account("external", "CNY")
    with pytest.raises(ValueError, match="balance"):
        entry_create(
            key="a", kind="topup", lines=[Line(external, Side.DEBIT, 100), Line(account, Side.CREDIT, 99)]
        )
    with pytest.raises(ValueError, match="positive"):
        entry_create(
            key="b", kind="topup", lines=[Line(external, Side.DEBIT, 0), Line(account, Side.CREDIT, 0)]
        )
    with pytest.raises(ValueError, match="two postings"):
        entry_create(key="c", kind="topup", lines=[Line(external, Side.DEBIT, 5)])
    with pytest.raises(ValueError, match="balance"):
        entry_create(
            key="d",
            kind="topup",
            lines=[Line(system_account("external", "USD"), Side.DEBIT, 5), Line(account, Side.CREDIT, 5)],
        )
    assert JournalEntry.objects.count() == 0
    assert ledger_verify() == []


def test_overdraft_is_refused_and_nothing_changes(customer, customer_en):
    topup(customer, 1000, "t1")
    with pytest.raises(WalletError) as error:
        transfer(customer, customer_en, 1001, "p1")
    assert error.value.code == "insufficient_funds"
    assert wallet_account(customer, "CNY").available_balance == 1000
    assert not JournalEntry.objects.filter(idempotency_key="p1").exists()
    assert ledger_verify() == []


def test_pending_reserves_then_posts_once(customer, customer_en):
    topup(customer, 1000, "t1")
    hold = transfer(customer, customer_en, 600, "h1", pending=True)
    account = wallet_account(customer, "CNY")
    assert (account.posted_balance, account.available_balance) == (1000, 400)
    with pytest.raises(WalletError):
        transfer(customer, customer_en, 401, "p2")
    entry_post(hold)
    account.refresh_from_db()
    assert (account.posted_balance, account.available_balance) == (400, 400)
    with pytest.raises(WalletError, match="entry_not_pending"):
        entry_post(hold)
    with pytest.raises(WalletError):
        entry_void(hold)
    assert ledger_verify() == []


def test_void_and_expire_restore_exactly(customer, customer_en, time_machine):
    topup(customer, 1000, "t1")
    held = transfer(customer, customer_en, 300, "h1", pending=True)
    entry_void(held)
    assert wallet_account(customer, "CNY").available_balance == 1000
    time_machine.move_to("2026-11-26 10:00:00+00:00", tick=False)
    import datetime

    expiring = entry_create(
        key="h2",
        kind="payment",
        pending=True,
        expires_at=datetime.datetime(2026, 11, 26, 10, 30, tzinfo=datetime.UTC),
        lines=[
            Line(wallet_account(customer, "CNY"), Side.DEBIT, 200),
            Line(wallet_account(customer_en, "CNY"), Side.CREDIT, 200),
        ],
    )
    assert entries_expire() == 0
    time_machine.shift(datetime.timedelta(minutes=31))
    assert entries_expire() == 1
    expiring.refresh_from_db()
    assert expiring.status == EntryStatus.EXPIRED
    assert wallet_account(customer, "CNY").available_balance == 1000
    assert wallet_account(customer_en, "CNY").posted_balance == 0
    assert ledger_verify() == []


def test_post_for_less_releases_the_rest(customer, customer_en):
    topup(customer, 1000, "t1")
    held = transfer(customer, customer_en, 800, "h1", pending=True)
    entry_post(held, amount=500)
    assert wallet_account(customer, "CNY").available_balance == 500
    assert wallet_account(customer_en, "CNY").posted_balance == 500
    assert ledger_verify() == []


def test_reversal_is_a_new_entry(customer, customer_en):
    topup(customer, 1000, "t1")
    payment = transfer(customer, customer_en, 250, "p1")
    reversal = entry_reverse(payment, key="r1")
    assert reversal.reverses_id == payment.pk
    payment.refresh_from_db()
    assert payment.status == EntryStatus.POSTED  # the original is untouched
    assert wallet_account(customer, "CNY").posted_balance == 1000
    assert ledger_verify() == []


def test_same_key_twice_is_one_entry(customer):
    topup(customer, 100, "same")
    with pytest.raises(WalletError, match="duplicate_entry"):
        topup(customer, 100, "same")
    assert wallet_account(customer, "CNY").posted_balance == 100


def test_database_refuses_an_overdraft_even_past_the_code(customer):
    from django.db import IntegrityError, transaction

    account = wallet_account(customer, "CNY")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(posted_debits=5)


def test_verify_reports_a_tampered_cache(customer):
    topup(customer, 100, "t")
    LedgerAccount.objects.filter(code__startswith="user:").update(posted_credits=150)
    problems = ledger_verify()
    assert any("cached posted credits 150 != postings 100" in p for p in problems)


RUNS = itertools.count()
operations = st.lists(
    st.tuples(
        st.sampled_from(["topup", "pay", "hold", "post", "void", "partial"]),
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=1, max_value=5000),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operation_sequences_keep_every_invariant(make_user, ops):
    run = next(RUNS)
    users = [make_user(email=f"h{i}-{run}@example.com") for i in range(3)]
    pending: list[JournalEntry] = []
    for n, (op, a, b, amount) in enumerate(ops):
        key = f"{run}-{n}"
        balances_before = {u.pk: wallet_account(u, "CNY").available_balance for u in users}
        try:
            if op == "topup":
                topup(users[a], amount, key)
            elif op == "pay" and a != b:
                transfer(users[a], users[b], amount, key)
            elif op == "hold" and a != b:
                pending.append(transfer(users[a], users[b], amount, key, pending=True))
            elif op in ("post", "void", "partial") and pending:
                entry = pending.pop(0)
                if op == "post":
                    entry_post(entry)
                elif op == "void":
                    entry_void(entry)
                else:
                    entry_post(entry, amount=max(1, entry.postings.first().amount // 2))
        except WalletError as error:
            assert error.code == "insufficient_funds"
            assert {u.pk: wallet_account(u, "CNY").available_balance for u in users} == balances_before
        for user in users:
            assert wallet_account(user, "CNY").available_balance >= 0
        assert ledger_verify() == []


def test_system_accounts_reads_several_in_one_query_and_creates_missing_ones(db, django_assert_num_queries):
    existing = system_account("fee_revenue", "CNY")
    with django_assert_num_queries(1):
        assert system_accounts(("fee_revenue",), "CNY") == {"fee_revenue": existing}
    both = system_accounts(("fee_revenue", "withdrawals_in_flight"), "CNY")
    assert both["fee_revenue"] == existing
    assert both["withdrawals_in_flight"] == system_account("withdrawals_in_flight", "CNY")
    assert both["withdrawals_in_flight"].code == "system:withdrawals_in_flight:CNY"
