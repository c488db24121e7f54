"""The console's dispute review pages with 100,000 disputes, on PostgreSQL.

    .venv/bin/python bench/disputes.py [--disputes 100000] [--customers 20000] [--merchants 500]
                                       [--requests 40] [--sample 200] [--keep]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/okpay_bench_disputes; that database is
dropped and re-created at the start and dropped again at the end (also on Ctrl+C) unless --keep.

The data is written straight into the tables with COPY (not through okpay.disputes.actions, which
would take hours for 100,000 disputes): `--customers` customers, `--merchants` merchants, 10 agents;
one payment (with its journal entry, no postings: the pages do not read them) per dispute; disputes
over two years, newest ids newest, mostly finished (final / withdrawn), a few thousand in the review
queue (merchant responded, under review, appealed), ~1% urgent (unauthorised payments); ~5 timeline
events per dispute (a few hundred disputes with 100–300), ~1 evidence row per dispute (all pointing
to one file path that is never read), ~1 message per dispute and a few internal notes.

Then, signed in as an agent (Django's test Client), `--requests` times each: the queue's first page
and each tab (`?show=review|mine|unassigned|appeals|urgent`), its last page, the look-up
(`?show=every`) first page, a deep keyset page (`before=`), a status filter and a search by number;
and the dispute page of `--sample` random disputes (plus the ones with the most events, folded
and with `?timeline=all`), twice
each. Prints p50/p95/max per kind and the SQL statements of one request of each
(CaptureQueriesContext). Target (issue 14): p95 ≤ 100 ms for the queue and a dispute page.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import load, on_scratch_database, percentile, product_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/okpay_bench_disputes"

# (status, share of all disputes); the review queue is merchant_responded + under_review + appealed
STATUS_MIX = [
    ("final", 0.78),
    ("withdrawn", 0.12),
    ("merchant_contact", 0.02),
    ("open", 0.025),
    ("resolved_customer", 0.008),
    ("resolved_partial", 0.004),
    ("resolved_merchant", 0.008),
    ("merchant_responded", 0.015),
    ("under_review", 0.01),
    ("appealed", 0.01),
]
# timeline events of a dispute in each status (before the random extra ones)
EVENTS_BY_STATUS = {
    "merchant_contact": 1,
    "open": 3,
    "merchant_responded": 4,
    "under_review": 5,
    "resolved_customer": 5,
    "resolved_partial": 5,
    "resolved_merchant": 5,
    "appealed": 7,
    "final": 5,
    "withdrawn": 3,
}
EVENT_CODES = [
    ("status", "contacted"),
    ("status", "opened"),
    ("money", "held"),
    ("status", "merchant_contested"),
    ("status", "review_started"),
    ("status", "decided"),
    ("status", "appealed"),
    ("message", "message"),
    ("evidence", "evidence"),
]
REASONS = [
    "not_received",
    "not_as_described",
    "duplicate",
    "refund_not_received",
    "subscription_canceled",
    "other",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disputes", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--merchants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per queue page kind")
    parser.add_argument("--sample", type=int, default=200, help="random disputes whose page is timed")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    on_scratch_database(DEFAULT_URL, bench, args)


def copy_rows(connection, model, rows) -> int:
    """COPY model instances (primary keys set) into the model's table; returns how many."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    n = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in rows:
            prepare = [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields]
            copy.write_row(prepare)
            n += 1
    return n


def generate(args, rng: random.Random):
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from okpay.accounts.models import User
    from okpay.disputes.models import Dispute, DisputeEvent, DisputeMessage, DisputeNote, Evidence
    from okpay.wallet.models import JournalEntry, Payment

    now = timezone.now()
    started = time.perf_counter()
    password = make_password("bench-password")
    agents = User.objects.bulk_create(
        [
            User(email=f"agent{i}@okpay.example", full_name=f"Agent {i}", role="agent", password=password)
            for i in range(10)
        ]
    )
    merchants = User.objects.bulk_create(
        [
            User(email=f"shop{i}@example.com", full_name=f"Shop {i}", role="merchant", password="!")
            for i in range(args.merchants)
        ],
        batch_size=5000,
    )
    customers = User.objects.bulk_create(
        [User(email=f"c{i}@example.com", role="customer", password="!") for i in range(args.customers)],
        batch_size=5000,
    )
    agent_ids = [user.pk for user in agents]
    merchant_ids = [user.pk for user in merchants]
    customer_ids = [user.pk for user in customers]

    # statuses, newest disputes active: sort the finished ones to the older end
    statuses = rng.choices([s for s, _w in STATUS_MIX], weights=[w for _s, w in STATUS_MIX], k=args.disputes)
    finished = {"final", "withdrawn"}
    ages = []  # seconds before now, per dispute
    for status in statuses:
        if status in finished:
            ages.append(rng.uniform(20 * 86400, 730 * 86400))
        elif status in ("merchant_contact", "open"):
            ages.append(rng.uniform(0, 10 * 86400))
        else:
            ages.append(rng.uniform(5 * 86400, 40 * 86400))
    order = sorted(range(args.disputes), key=lambda i: -ages[i])  # oldest first: ids grow with time

    payments, entries, disputes = [], [], []
    for n, i in enumerate(order, start=1):
        status = statuses[i]
        created = now - timedelta(seconds=ages[i])
        customer_id, merchant_id = rng.choice(customer_ids), rng.choice(merchant_ids)
        amount = rng.randint(500, 500_000)
        paid = created - timedelta(days=rng.uniform(0.5, 20))
        entries.append(
            JournalEntry(
                pk=n,
                idempotency_key=f"bench-payment-{n}",
                kind="payment",
                status="posted",
                description="bench payment",
                reference=f"payment:{n}",
                created_at=paid,
                effective_at=paid,
                posted_at=paid,
            )
        )
        payments.append(
            Payment(
                pk=n,
                customer_id=customer_id,
                merchant_id=merchant_id,
                amount_minor=amount,
                currency="CNY",
                fee_minor=amount // 100,
                description=f"Order {n}",
                entry_id=n,
                created_at=paid,
            )
        )
        urgent = rng.random() < 0.01
        opened = None if status in ("merchant_contact",) else created + timedelta(days=2)
        in_queue = status in ("merchant_responded", "under_review", "appealed")
        decided = status.startswith("resolved") or status in ("appealed", "final")
        assigned = rng.choice(agent_ids) if status in ("under_review", "appealed") else None
        disputes.append(
            Dispute(
                pk=n,
                number=f"D-{n:07d}",
                payment_id=n,
                customer_id=customer_id,
                merchant_id=merchant_id,
                currency="CNY",
                status=status,
                reason="unauthorized" if urgent else rng.choice(REASONS),
                amount_minor=amount if opened else None,
                description="The parcel never arrived and the shop stopped answering.",
                is_urgent=urgent,
                held_minor=amount if status in ("open", "merchant_responded", "under_review") else 0,
                outcome=rng.choice(["refund_full", "refund_partial", "rejected"]) if decided else "",
                decided_by_id=rng.choice(agent_ids) if decided else None,
                assigned_to_id=assigned,
                appealed_by="customer" if status == "appealed" else "",
                merchant_answered_at=created + timedelta(days=1) if status != "merchant_contact" else None,
                review_due_at=created + timedelta(days=rng.uniform(10, 45)) if in_queue else None,
                created_at=created,
                opened_at=opened,
                resolved_at=created + timedelta(days=12) if decided else None,
                closed_at=created + timedelta(days=30) if status in finished else None,
                updated_at=created + timedelta(days=3),
            )
        )
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    copy_rows(connection, JournalEntry, entries)
    copy_rows(connection, Payment, payments)
    copy_rows(connection, Dispute, disputes)
    print(f"  {len(disputes)} disputes, payments, journal entries: {time.perf_counter() - started:.1f}s")

    # a few hundred disputes with a long timeline; the rest ~5 events (status steps + a random few)
    long_ones = set(rng.sample(range(len(disputes)), k=max(1, len(disputes) // 400)))
    event_id = evidence_id = message_id = 0
    events, evidence, messages = [], [], []
    for index, dispute in enumerate(disputes):
        count = EVENTS_BY_STATUS[dispute.status] + rng.randint(0, 1)
        if index in long_ones:
            count = rng.randint(100, 300)
        party_user = {"customer": dispute.customer_id, "merchant": dispute.merchant_id}
        for k in range(count):
            kind, code = EVENT_CODES[k % len(EVENT_CODES)]
            party = ("customer", "merchant", "okpay")[k % 3]
            event_id += 1
            events.append(
                DisputeEvent(
                    pk=event_id,
                    dispute_id=dispute.pk,
                    kind=kind,
                    party=party,
                    actor_id=party_user.get(party, agent_ids[0]),
                    code=code,
                    reason="I contest this: the parcel was delivered, see the tracking number."
                    if k % 4 == 3
                    else "",
                    amount_minor=dispute.amount_minor if kind == "money" else None,
                    created_at=dispute.created_at + timedelta(minutes=k * 37),
                )
            )
        if dispute.status != "merchant_contact" or rng.random() < 0.5:
            message_id += 1
            messages.append(
                DisputeMessage(
                    pk=message_id,
                    dispute_id=dispute.pk,
                    author_id=dispute.customer_id,
                    party="customer",
                    body="Hello, my order has not arrived. Could you check, please?",
                    created_at=dispute.created_at + timedelta(minutes=5),
                )
            )
        for k in range(rng.choice((0, 0, 1, 1, 1, 2, 2)) + (20 if index in long_ones else 0)):
            party = ("customer", "merchant")[k % 2]
            evidence_id += 1
            evidence.append(
                Evidence(
                    pk=evidence_id,
                    dispute_id=dispute.pk,
                    party=party,
                    uploaded_by_id=party_user[party],
                    kind="receipt" if party == "customer" else "proof_of_delivery",
                    file="disputes/bench-shared.png",
                    original_name=f"evidence-{k}.png",
                    content_type="image/png",
                    size=123_456,
                    sha256="0" * 64,
                    created_at=dispute.created_at + timedelta(hours=k + 1),
                )
            )
    copy_rows(connection, DisputeEvent, events)
    copy_rows(connection, DisputeMessage, messages)
    copy_rows(connection, Evidence, evidence)
    notes = [
        DisputeNote(
            pk=n + 1,
            dispute_id=dispute.pk,
            author_id=agent_ids[n % len(agent_ids)],
            body="Asked the courier for the delivery photo.",
            created_at=dispute.created_at + timedelta(days=3),
        )
        for n, dispute in enumerate(d for d in disputes if d.status in ("under_review", "appealed"))
    ]
    copy_rows(connection, DisputeNote, notes)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [JournalEntry, Payment, Dispute, DisputeEvent, DisputeMessage, Evidence, DisputeNote]
        ):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    print(
        f"  {len(events)} events, {len(evidence)} evidence rows, {len(messages)} messages, "
        f"{len(notes)} notes; "
        f"total {time.perf_counter() - started:.1f}s"
    )
    events_per = {}
    for event in events:
        events_per[event.dispute_id] = events_per.get(event.dispute_id, 0) + 1
    return agents[0], disputes, events_per


def bench(args) -> None:
    product_setup()
    from collections import Counter

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from okpay.disputes.choices import REVIEW_QUEUE_STATUSES
    from okpay.disputes.models import Dispute

    rng = random.Random(args.seed)
    print(f"generating ({load()})")
    agent, disputes, events_per = generate(args, rng)
    queue = Dispute.objects.filter(status__in=REVIEW_QUEUE_STATUSES)
    print(
        f"data: {len(disputes)} disputes, {queue.count()} in the review queue "
        f"({queue.filter(is_urgent=True).count()} urgent), "
        f"{sum(d.is_urgent for d in disputes)} urgent in all, "
        f"statuses {dict(Counter(d.status for d in disputes).most_common())}"
    )

    client = Client()
    client.force_login(agent)
    queue_count = queue.count()
    deep = disputes[len(disputes) // 2]  # keyset cursor half-way down the look-up
    some = disputes[rng.randrange(len(disputes))]
    pages = [
        ("queue, first page", {}),
        ("queue ?show=mine", {"show": "mine"}),
        ("queue ?show=unassigned", {"show": "unassigned"}),
        ("queue ?show=appeals", {"show": "appeals"}),
        ("queue ?show=urgent", {"show": "urgent"}),
        ("queue, last page", {"show": "review", "page": str(max(1, -(-queue_count // 50)))}),
        ("look-up ?show=every, first page", {"show": "every"}),
        ("look-up, deep keyset page", {"show": "every", "before": str(deep.pk)}),
        ("look-up, status=final", {"show": "every", "status": "final"}),
        ("look-up, search by number", {"show": "every", "q": some.number}),
    ]
    results: list[tuple[str, list[float], int]] = []

    def statements(path: str, params: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, params or {})
        assert response.status_code == 200, (path, params, response.status_code)
        if os.environ.get("BENCH_SHOW_SQL"):
            print(f"--- {path} {params or ''}")
            for query in captured.captured_queries:
                print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:200]}")
        return len(captured)

    for _round in range(2):  # warm: templates, translations, policy files
        for _label, params in pages:
            client.get("/console/disputes/", params)
    for label, params in pages:
        times = []
        for _n in range(args.requests):
            t0 = time.perf_counter()
            response = client.get("/console/disputes/", params)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (params, response.status_code)
        results.append((label, times, statements("/console/disputes/", params)))

    by_events = sorted(events_per, key=lambda pk: -events_per[pk])
    numbers = {d.pk: d.number for d in disputes}
    sample = [d.number for d in rng.sample(disputes, k=min(args.sample, len(disputes)))]
    heavy = [numbers[pk] for pk in by_events[:20]]
    in_queue = [d.number for d in disputes if d.status in REVIEW_QUEUE_STATUSES][:20]
    for number in heavy[:3]:
        client.get(f"/console/disputes/{number}/")  # warm
    for label, chosen, query in (
        (f"dispute page, {len(sample)} random disputes", sample, {}),
        (f"dispute page, {len(heavy)} with the most events ({events_per[by_events[0]]} max)", heavy, {}),
        ("  the same, every step (?timeline=all)", heavy, {"timeline": "all"}),
        (f"dispute page, {len(in_queue)} in the review queue", in_queue, {}),
    ):
        times = []
        for _round in range(2):
            for number in chosen:
                t0 = time.perf_counter()
                response = client.get(f"/console/disputes/{number}/", query)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (number, response.status_code)
        results.append((label, times, statements(f"/console/disputes/{chosen[0]}/", query)))

    print(f"\nsigned in as an agent, {load()}")
    for label, times, queries in results:
        print(
            f"{label:<62} p50 {percentile(times, 0.5):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms  "
            f"max {max(times):6.1f} ms  {queries:3d} queries  ({len(times)} requests)"
        )
    worst = max(percentile(times, 0.95) for _label, times, _q in results)
    print(f"worst p95 {worst:.1f} ms: {'meets' if worst <= 100 else 'misses'} the target (p95 ≤ 100 ms)")


if __name__ == "__main__":
    main()
