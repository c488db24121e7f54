"""Withdrawal submissions per second on PostgreSQL.

    .venv/bin/python bench/payouts.py [--seconds 10] [--clients 8] [--runs 3] [--customers 64]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/okpay_bench_payouts; that database is
dropped and re-created at the start and dropped again at the end (also on Ctrl+C).

`--customers` verified (level 2) customers, each funded by a demo top-up and owning one e-wallet
payout destination past its cooling-off; OKPAY_PAYOUT_PROVIDER = "manual" (the provider adds no work).
Then `--clients` client processes (as in bench/ledger.py: one process and one database connection
each, as separate app servers would be, and not held back by one interpreter's GIL) call
`withdrawal_submit` for 10.00 CNY with distinct idempotency keys for `--seconds`:
1. spread: client i takes customers i, i + clients, i + 2·clients, … in turn, so no two clients wait
   on the same customer's lock;
2. one customer: all clients submit for the same customer (serialised by `customer_lock`).
Prints submitted/s (median of `--runs`), p50/p95 latency per submit, errors, `ledger_verify()` and an
exact balance check per customer (available = start − Σ(amount + fee) of their withdrawals), then the
statements of one submission (CaptureQueriesContext). Beside each rate: the CPU time per withdrawal of
the client processes and of their PostgreSQL backends (read from /proc: PostgreSQL on this machine),
which does not depend on what else the machine runs, and the rate the two cores would allow at it.
Target: ≥ 200 withdrawals submitted/s with 8 clients, no invariant breach.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import on_scratch_database, percentile

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/okpay_bench_payouts"
START_MINOR = 10**10  # each customer's demo top-up (100,000,000.00 CNY)
AMOUNT_MINOR = 1000  # 10.00 CNY per withdrawal


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) a PostgreSQL backend on this machine has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=64)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also profile N submissions in one process (cProfile)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    on_scratch_database(DEFAULT_URL, bench, parser.parse_args())


def bench(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["OKPAY_DEBUG"] = "0"
    os.environ["OKPAY_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    os.environ["OKPAY_PAYOUT_PROVIDER"] = "manual"
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.accounts.models import User
    from okpay.payouts.choices import DestinationKind, EWalletProvider, Speed
    from okpay.payouts.models import PayoutDestination, Withdrawal
    from okpay.payouts.withdrawals import withdrawal_submit
    from okpay.wallet.actions import topup_demo
    from okpay.wallet.fx import rates_refresh
    from okpay.wallet.ledger import ledger_verify, wallet_account

    rates_refresh()
    past = timezone.now() - timedelta(days=30)

    def submit(user, destination_id, key):
        return withdrawal_submit(
            user=user,
            destination_id=destination_id,
            amount_minor=AMOUNT_MINOR,
            currency="CNY",
            speed=Speed.STANDARD,
            key=key,
        )

    def customer(name: str) -> tuple:
        user = User.objects.create_user(email=f"{name}@example.com", password="x", verification_level=2)
        topup_demo(user=user, amount_minor=START_MINOR, currency="CNY", key="seed")
        destination = PayoutDestination.objects.create(
            user=user,
            kind=DestinationKind.EWALLET,
            provider=EWalletProvider.ALIPAY,
            holder_name="Bench Customer",
            account=f"{name}@example.com",
            usable_for_large_after=past,
        )
        return user, destination.pk

    customers = [customer(f"c{i}") for i in range(args.customers)]
    # one fresh customer per single-customer run, so no run starts near the level's daily limit
    hot = [customer(f"hot{r}") for r in range(args.runs)]

    # warm up in the parent (templates, translations, policy files, rates): the forked clients inherit it
    for k in range(3):
        user, destination_id = customers[0]
        submit(user, destination_id, f"warmup-{k}")

    import multiprocessing

    context = multiprocessing.get_context("fork")

    def run(pick, tag: str) -> tuple[float, list[float], int, str]:
        """`clients` separate processes; returns (submitted/s, latencies in ms, errors, first error)."""
        connections.close_all()
        barrier = context.Barrier(args.clients + 1)
        results = context.Queue()

        def client(i):
            latencies, errors, first = [], 0, ""
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (backend,) = cursor.fetchone()
            barrier.wait()
            cpu = time.process_time(), server_cpu(backend)
            stop = time.perf_counter() + args.seconds
            n = 0
            while time.perf_counter() < stop:
                user, destination_id = pick(i, n)
                t0 = time.perf_counter()
                try:
                    submit(user, destination_id, f"{tag}-{i}-{n}")
                    latencies.append((time.perf_counter() - t0) * 1000)
                except Exception as error:  # counted and shown, never hidden
                    errors += 1
                    first = first or f"{type(error).__name__}: {error}"
                n += 1
            cpu = time.process_time() - cpu[0], server_cpu(backend) - cpu[1]
            connections.close_all()
            results.put((latencies, errors, first, cpu))

        processes = [context.Process(target=client, args=(i,)) for i in range(args.clients)]
        try:
            for p in processes:
                p.start()
            barrier.wait()
            started = time.perf_counter()
            collected = [results.get() for _p in processes]
            elapsed = time.perf_counter() - started
            for p in processes:
                p.join()
        finally:
            for p in processes:
                if p.is_alive():
                    p.terminate()
        latencies = [ms for part in collected for ms in part[0]]
        errors = sum(part[1] for part in collected)
        first = next((part[2] for part in collected if part[2]), "")
        cpu = tuple(sum(part[3][k] for part in collected) * 1000 / max(len(latencies), 1) for k in (0, 1))
        return len(latencies) / elapsed, latencies, errors, first, cpu

    def report(label: str, outcomes) -> None:
        rates = [rate for rate, *_rest in outcomes]
        latencies = [ms for _rate, part, *_rest in outcomes for ms in part]
        errors = sum(outcome[2] for outcome in outcomes)
        first = next((outcome[3] for outcome in outcomes if outcome[3]), "")
        print(
            f"{label}: {statistics.median(rates):.0f} submitted/s (median; runs "
            f"{', '.join(f'{rate:.0f}' for rate in rates)}), p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p95 {percentile(latencies, 0.95):.1f} ms, {len(latencies)} withdrawals, {errors} errors"
            + (f" (first: {first})" if first else "")
        )
        client_ms = statistics.median(outcome[4][0] for outcome in outcomes)
        server_ms = statistics.median(outcome[4][1] for outcome in outcomes)
        print(
            f"  CPU per withdrawal (median of runs): client {client_ms:.2f} ms + its PostgreSQL backend "
            f"{server_ms:.2f} ms = {client_ms + server_ms:.2f} ms; 2 cores / that = "
            f"{2000 / (client_ms + server_ms):.0f}/s if nothing else ran"
        )

    n_customers = len(customers)
    spread = [
        run(lambda i, n: customers[(n * args.clients + i) % n_customers], f"s{r}") for r in range(args.runs)
    ]
    report(f"withdrawals, {args.clients} clients, spread over {n_customers} customers", spread)
    single = [run(lambda i, n, r=r: hot[r], f"h{r}") for r in range(args.runs)]
    report(f"withdrawals, {args.clients} clients, one customer", single)

    problems = ledger_verify()
    print(f"ledger verify: {problems if problems else '[] (ok)'}")
    breaches = []
    for user, _destination_id in customers + hot:
        spent = Withdrawal.objects.filter(user=user).aggregate(total=Sum("amount_minor") + Sum("fee_minor"))
        expected = START_MINOR - int(spent["total"] or 0)
        available = wallet_account(user, "CNY").available_balance
        if available != expected:
            breaches.append(f"{user.email}: available {available} != expected {expected}")
    total = Withdrawal.objects.count()
    print(
        f"balance check ({len(customers) + len(hot)} customers, {total} withdrawals): "
        + (f"{len(breaches)} breaches {breaches[:3]}" if breaches else "exact")
    )

    user, destination_id = customers[0]
    with CaptureQueriesContext(connection) as captured:
        t0 = time.perf_counter()
        submit(user, destination_id, "count-queries")
        single_ms = (time.perf_counter() - t0) * 1000
    kinds = Counter()
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        verb = sql.split(None, 1)[0].upper()
        if verb == "SELECT" and "FOR UPDATE" in sql:
            verb = "SELECT … FOR UPDATE"
        kinds[verb] += 1
    db_ms = sum(float(query["time"]) for query in captured.captured_queries) * 1000
    print(
        f"one submission alone: {single_ms:.1f} ms, {len(captured)} statements "
        f"({', '.join(f'{count} {verb}' for verb, count in kinds.most_common())}), "
        f"{db_ms:.1f} ms of it waiting on the database"
    )
    if os.environ.get("BENCH_SHOW_SQL"):
        for query in captured.captured_queries:
            print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.profile):
            user, destination_id = customers[n % n_customers]
            submit(user, destination_id, f"profile-{n}")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
