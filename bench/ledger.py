"""Ledger throughput beside pgbench, and history latency, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okpay_bench \
        .venv/bin/python bench/ledger.py [--runs 5] [--seconds 10] [--profile]

Drops and re-creates the DATABASE_URL database and `<name>_pgbench` beside it (initialised with
`pgbench -i -s 10`), and drops both at the end unless --keep. Each run, one after the other:
0. `pgbench -c 8 -j 2 -T <seconds>`: the built-in TPC-B-like script (update an account, a teller and
   a branch, read the account, insert a history row: one transaction, the shape of a transfer);
1. posted two-posting transfers/s with 8 client processes (each its own connection), each moving
   money between its own pair of wallets;
2. the same with every client paying out of ONE hot wallet (serialised by its row lock);
3. full payments to a merchant/s (3 postings, 2 history rows, their timeline, an audit event).
Every figure is printed with its ratio to that run's pgbench tps; the summary gives the median and
the range over the runs. Then `ledger_verify()`, and the transaction history page (HTML, signed in)
of a customer with 100,000 transactions — first page, filtered pages, a deep keyset page — beside
the same keyset query run directly (through the ORM selector, and as bare SQL on a cursor).
--profile prints one transfer's statements, database time and Python time first.
Targets (issue 18): pair transfers ≥ 0.5 × pgbench tps (median of 5 runs); history p95 ≤ 50 ms.
"""

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def on_scratch_database(default_url: str, bench, args) -> None:
    """Run `bench(args)` on a PostgreSQL database made for it (DATABASE_URL, else `default_url`): dropped
    and re-created first, dropped again at the end unless `args.keep`."""
    url = os.environ.setdefault("DATABASE_URL", default_url)
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and re-created)")
    admin, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
    recreate_database(admin, name)
    try:
        bench(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin, name, drop_only=True)
            print(f"dropped {name}")


def product_setup() -> None:
    """Django for a bench: the dev settings as the product runs (no debug, the test client's host),
    migrated, with the hashed static files the pages link."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["OKPAY_DEBUG"] = "0"
    os.environ["OKPAY_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def pgbench_binary() -> str:
    found = shutil.which("pgbench") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))), "")
    if not found:
        sys.exit("pgbench not found (apt-get install postgresql-client)")
    return found


def pgbench_args(url: str) -> list[str]:
    from urllib.parse import urlparse

    parts = urlparse(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return args


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def percentile(values: list[float], q: float) -> float:
    """The q-th (0–1) value of `values` (nearest rank); NaN when empty. Shared by the benchmarks."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="one transfer's statements and timings")
    parser.add_argument("--keep", action="store_true", help="keep the two bench databases")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and re-created)")
    base, name = url.rsplit("/", 1)
    admin, pgbench_db = base + "/postgres", f"{name}_pgbench"
    pgbench = [pgbench_binary(), *pgbench_args(url)]
    recreate_database(admin, name)
    recreate_database(admin, pgbench_db)
    subprocess.run([*pgbench, "-i", "-s", "10", "-q", pgbench_db], check=True, capture_output=True)

    product_setup()
    from django.db import connection, connections

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

    if args.profile:
        profile_one(connection, pair_transfer, payment)

    import multiprocessing

    context = multiprocessing.get_context("fork")
    offsets = {"value": 0}

    def run(work) -> float:
        """`clients` separate processes (each its own connection, as separate app servers would be)."""
        connections.close_all()
        barrier = context.Barrier(args.clients + 1)
        counts = context.Array("i", args.clients)
        offset = offsets["value"]
        offsets["value"] += 10**7  # fresh idempotency keys in every run

        def client(i):
            barrier.wait()
            stop = time.perf_counter() + args.seconds
            n = 0
            while time.perf_counter() < stop:
                work(i, offset + n)
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

    def run_pgbench() -> float:
        out = subprocess.run(
            [*pgbench, "-c", str(args.clients), "-j", "2", "-T", str(int(args.seconds)), pgbench_db],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        if not match:
            sys.exit(f"cannot read pgbench's tps from:\n{out}")
        return float(match.group(1))

    figures: dict[str, list[float]] = {"pgbench": [], "pair": [], "hot": [], "payment": []}
    labels = {
        "pgbench": f"pgbench TPC-B-like, {args.clients} clients, -j 2, scale 10 (tps)",
        "pair": f"posted transfers/s, {args.clients} clients, own wallets",
        "hot": f"posted transfers/s, {args.clients} clients, one hot wallet",
        "payment": f"payments to a merchant/s, {args.clients} clients",
    }
    for number in range(1, args.runs + 1):
        before = load()
        tps = run_pgbench()
        row = {"pgbench": tps, "pair": run(pair_transfer), "hot": run(hot_transfer), "payment": run(payment)}
        for key, value in row.items():
            figures[key].append(value)
        print(
            f"run {number}/{args.runs} ({before}): pgbench {tps:.0f} tps · "
            + " · ".join(
                f"{key} {row[key]:.0f}/s ({row[key] / tps:.2f}×)" for key in ("pair", "hot", "payment")
            ),
            flush=True,
        )
    print(f"\nmedian of {args.runs} runs [min–max] ({load()}):")
    for key, values in figures.items():
        line = f"  {labels[key]}: {statistics.median(values):.0f} [{min(values):.0f}–{max(values):.0f}]"
        if key != "pgbench":
            ratios = [v / t for v, t in zip(values, figures["pgbench"], strict=True)]
            line += f" = {statistics.median(ratios):.2f}× pgbench [{min(ratios):.2f}–{max(ratios):.2f}]"
        print(line)
    problems = ledger_verify()
    print(f"ledger verify: {'ok' if not problems else problems[:3]}")

    history(args)
    connections.close_all()
    if not args.keep:
        recreate_database(admin, pgbench_db, drop_only=True)
        recreate_database(admin, name, drop_only=True)


def profile_one(connection, pair_transfer, payment) -> None:
    """One client alone: the statements of one operation (BEGIN and COMMIT, which psycopg sends
    around a transaction without a cursor, are not listed), its wall time and the client's CPU time."""
    for label, work in (("one pair transfer", pair_transfer), ("one merchant payment", payment)):
        for n in range(50):  # warm
            work(0, 9 * 10**8 + n)
        statements: list[str] = []

        def timer(execute, sql, params, many, context, statements=statements):
            statements.append(sql[:90].replace("\n", " "))
            return execute(sql, params, many, context)

        walls, cpus = [], []
        rounds = 200
        with connection.execute_wrapper(timer):
            for n in range(rounds):
                t0, c0 = time.perf_counter(), time.process_time()
                work(0, 9 * 10**8 + 1000 + n)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
        per = len(statements) // rounds
        print(
            f"{label}: {per} statements through cursor.execute; medians: wall"
            f" {statistics.median(walls) * 1e6:.0f} µs, client CPU (Python, Django, psycopg)"
            f" {statistics.median(cpus) * 1e6:.0f} µs"
        )
        for sql in statements[:per]:
            print(f"    {sql}")


def history(args) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from okpay.accounts.models import User
    from okpay.wallet import selectors
    from okpay.wallet.models import Transaction

    history_user = User.objects.create_user(email="history@example.com", password="x")
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wallet_transaction")
    print(f"{args.history} history rows inserted in {time.perf_counter() - started:.1f}s")
    client = Client()
    client.force_login(history_user)
    deep = Transaction.objects.filter(user=history_user).order_by("-created_at", "-id")[args.history // 2]
    cursor_param = f"{deep.created_at.isoformat()}_{deep.pk}"
    pages = [
        ({}, {}),
        ({"kind": "refund"}, {"kind": "refund"}),
        ({"currency": "USD"}, {"currency": "USD"}),
        ({"before": cursor_param}, {"before": (deep.created_at, deep.pk)}),
    ]
    page_ms, orm_ms, sql_ms = [], [], []
    for params, _filters in pages * 3:
        client.get("/account/transactions/", params)  # warm
    for _round in range(25):
        for params, filters in pages:
            t0 = time.perf_counter()
            response = client.get("/account/transactions/", params)
            page_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            t0 = time.perf_counter()
            selectors.transactions_for_user(user=history_user, limit=26, **filters)
            orm_ms.append((time.perf_counter() - t0) * 1000)
            queryset = Transaction.objects.filter(user=history_user)
            if "kind" in filters:
                queryset = queryset.filter(kind=filters["kind"])
            if "currency" in filters:
                queryset = queryset.filter(currency=filters["currency"])
            if "before" in filters:
                created_at, pk = filters["before"]
                from django.db.models import Q

                queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk))
            sql, sql_params = queryset.order_by("-created_at", "-id")[:26].query.sql_with_params()
            with connection.cursor() as cursor:
                t0 = time.perf_counter()
                cursor.execute(sql, sql_params)
                cursor.fetchall()
                sql_ms.append((time.perf_counter() - t0) * 1000)
    for label, values in (
        ("history page (HTML, signed in)", page_ms),
        ("  the same keyset query, ORM selector", orm_ms),
        ("  the same keyset query, bare SQL", sql_ms),
    ):
        print(
            f"{label}, {args.history} rows: p50 {percentile(values, 0.5):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms, max {max(values):.1f} ms ({len(values)} requests)"
        )


if __name__ == "__main__":
    main()
