"""Ledger throughput and history latency on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okpay_bench \
        .venv/bin/python bench/ledger.py [--seconds 10]

1. Posted two-posting transfers per second with 8 concurrent clients (8 processes, each its own
   database connection; each client moves money
   between its own pair of wallets; a second run has every client pay out of ONE hot wallet).
2. Full payments to a merchant per second (3 postings, history rows, audit) with 8 clients.
3. The transaction history page (HTML, signed in) of a customer with 100,000 transactions: p50/p95
   over first pages, filtered pages and deep keyset pages.
Targets: ≥ 500 posted transfers/s; history p95 ≤ 50 ms.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and re-created)")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["OKPAY_DEBUG"] = "0"
    os.environ["OKPAY_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from okpay.accounts.models import User
    from okpay.wallet.actions import payment_create, topup_demo
    from okpay.wallet.choices import Side
    from okpay.wallet.ledger import Line, entry_create, ledger_verify, wallet_account

    users = [
        User.objects.create_user(email=f"b{i}@example.com", password="x", role="merchant")
        for i in range(2 * args.clients)
    ]
    for user in users:
        topup_demo(user=user, amount_minor=10**11, currency="CNY", key="seed")
    shop = User.objects.create_user(email="shop@example.com", password="x", role="merchant")

    import multiprocessing

    context = multiprocessing.get_context("fork")

    def run(work) -> float:
        """`clients` separate processes (each its own connection, as separate app servers would be)."""
        connections.close_all()
        barrier = context.Barrier(args.clients + 1)
        counts = context.Array("i", args.clients)

        def client(i):
            barrier.wait()
            stop = time.perf_counter() + args.seconds
            n = 0
            while time.perf_counter() < stop:
                work(i, n)
                n += 1
            counts[i] = n
            connections.close_all()

        processes = [context.Process(target=client, args=(i,)) for i in range(args.clients)]
        for p in processes:
            p.start()
        barrier.wait()
        started = time.perf_counter()
        for p in processes:
            p.join()
        return sum(counts) / (time.perf_counter() - started)

    accounts = [
        (wallet_account(users[2 * i], "CNY"), wallet_account(users[2 * i + 1], "CNY"))
        for i in range(args.clients)
    ]
    hot = wallet_account(users[0], "CNY")

    def pair_transfer(i, n):
        src, dst = accounts[i] if n % 2 else accounts[i][::-1]
        entry_create(
            key=f"t{i}-{n}", kind="payment", lines=[Line(src, Side.DEBIT, 100), Line(dst, Side.CREDIT, 100)]
        )

    def hot_transfer(i, n):
        entry_create(
            key=f"h{i}-{n}",
            kind="payment",
            lines=[Line(hot, Side.DEBIT, 100), Line(accounts[i][1], Side.CREDIT, 100)],
        )

    def payment(i, n):
        payment_create(
            customer=users[2 * i],
            merchant=shop,
            amount_minor=1000,
            currency="CNY",
            description="bench",
            key=f"p{i}-{n}",
        )

    print(f"posted transfers/s, {args.clients} clients, own wallets: {run(pair_transfer):.0f}")
    print(f"posted transfers/s, {args.clients} clients, one hot wallet: {run(hot_transfer):.0f}")
    print(f"payments to a merchant/s, {args.clients} clients: {run(payment):.0f}")
    problems = ledger_verify()
    print(f"ledger verify: {'ok' if not problems else problems[:3]}")

    history_user = User.objects.create_user(email="history@example.com", password="x")
    from datetime import timedelta

    from django.utils import timezone

    from okpay.wallet.models import Transaction

    now = timezone.now()
    kinds = ["payment", "refund", "topup", "international"]
    started = time.perf_counter()
    Transaction.objects.bulk_create(
        [
            Transaction(
                user=history_user,
                kind=kinds[n % 4],
                status="completed",
                amount_minor=-(n % 5000 + 100),
                currency="CNY" if n % 3 else "USD",
                counterparty=f"Shop {n % 97}",
                description=f"order {n}",
                reference=f"bench:{n}",
                created_at=now - timedelta(minutes=n),
                updated_at=now,
            )
            for n in range(args.history)
        ],
        batch_size=5000,
    )
    print(f"{args.history} history rows inserted in {time.perf_counter() - started:.1f}s")
    from django.test import Client

    client = Client()
    client.force_login(history_user)
    timings = []
    deep = Transaction.objects.filter(user=history_user).order_by("-created_at", "-id")[args.history // 2]
    cursor = f"{deep.created_at.isoformat()}_{deep.pk}"
    pages = [
        ("/account/transactions/", {}),
        ("/account/transactions/", {"kind": "refund"}),
        ("/account/transactions/", {"currency": "USD"}),
        ("/account/transactions/", {"before": cursor}),
    ]
    for path, params in pages * 3:
        client.get(path, params)  # warm
    for _round in range(25):
        for path, params in pages:
            t0 = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
    timings.sort()
    print(
        f"history page, {args.history} rows: p50 {timings[len(timings) // 2]:.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms, max {timings[-1]:.1f} ms ({len(timings)} requests)"
    )


if __name__ == "__main__":
    main()
