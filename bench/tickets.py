"""The console's questions queue and staff search with 1,000,000 questions, on PostgreSQL.

    .venv/bin/python bench/tickets.py [--questions 1000000] [--messages-per 5] [--requests 30] [--keep]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/okpay_bench_tickets; that database is dropped
and re-created at the start and dropped again at the end (also on Ctrl+C) unless --keep.

Rows are written straight into the tables with COPY (not through okpay.tickets.actions, which would take
hours): `--questions` questions over two years (ids in time order; ~4% new, 6% open, 5% waiting for the
customer, 15% solved, 70% closed), 20 agents, ~`--messages-per` messages/events per question (customer,
agent, internal notes, system), texts drawn from Chinese and English sentences segmented once with the
product's own segmenter (okpay.tickets.search.segment), so the search column is what the actions write.
The open questions' reply and resolution clocks are spread from two days past due to three days ahead.

Then, signed in as an agent (Django's test Client), once with the cache cleared (the tab counts counted
again, as after a write or 30 s) and then `--requests` times each: every queue view (open,
mine, unassigned, breaching soon, all), a status and a channel filter, a deep keyset page, a search by
number and three Chinese/English searches (a common word, two words, a rare word), on the console page
and the agents' API. Prints p50/p95/max and the statement count of one request of each. Target (issue
15): p95 ≤ 100 ms. Then the questions report (console/tickets/reports/, a supervisor: every agent, group
and channel and the days) for the last 30 and 90 days and its CSV: measured and printed, no target.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import load, on_scratch_database, percentile, product_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/okpay_bench_tickets"
STATUS_MIX = [("new", 0.04), ("open", 0.06), ("pending", 0.05), ("solved", 0.15), ("closed", 0.70)]
CHANNELS = ["web", "web", "web", "email", "email", "bot", "phone", "chat"]
ZH = [
    "我的退款还没到账，已经三天了",
    "提现到银行卡一直显示处理中",
    "请问国际转账的手续费是多少",
    "我的账户被冻结了，怎么解冻",
    "充值成功但是余额没有变化",
    "收到验证码但是登录不了",
    "商户说已经退款了，我这边没看到",
    "虚拟卡在网上付款被拒绝",
    "我想修改绑定的手机号码",
    "双重验证的手机丢了怎么办",
    "转账给朋友，对方说没收到",
    "汇率和银行的不一样，为什么",
    "您好，我们已经为您查询，请稍等",
    "款项已经退回您的钱包，请查收",
    "请提供付款截图和交易时间",
    "已转交相关部门处理",
]
EN = [
    "My withdrawal has not arrived after four days",
    "The card payment was declined at the checkout",
    "Please send a screenshot of the transaction",
    "Your refund has been processed and should arrive soon",
    "I was charged twice for the same order",
    "How do I close my account",
    "The exchange rate looks wrong on my transfer",
    "We have escalated your question to the payments team",
]
RARE = "我在星巴克的付款被重复扣款"  # one question in about 2,000
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def number_of(i: int) -> str:
    """A distinct Q-number per id (a bijection on 31**7: 2654435761 is prime to 31)."""
    n = (i * 2654435761) % 31**7
    chars = []
    for _ in range(7):
        n, r = divmod(n, 31)
        chars.append(ALPHABET[r])
    return "Q-" + "".join(chars)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument(
        "--messages-per", type=int, default=5, help="messages/events per question, on average"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per kind")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    on_scratch_database(DEFAULT_URL, bench, args)


def _copy(connection, model, columns: list[str], rows) -> int:
    """COPY rows (tuples in `columns` order) into the model's table; every other column gets its field's
    default (the same for every row)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    rest = [c for c in fields if c not in columns and c != "id"]
    constants = []
    for column in rest:
        field = fields[column]
        default = field.get_default()
        constants.append(field.get_db_prep_save(default, connection) if default is not None else None)
    constants_tuple = tuple(constants)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in [*columns, *rest])
    n = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + constants_tuple)
            n += 1
    return n


def generate(args, rng: random.Random, connection):
    from django.contrib.auth import get_user_model

    from okpay.accounts.tests.factories import user_create
    from okpay.tickets.models import Ticket, TicketMessage, TicketRating
    from okpay.tickets.search import segment

    agents = [user_create(email=f"agent{i}@example.com", role="agent") for i in range(20)]
    agent_ids = [a.pk for a in agents]
    get_user_model().objects.update()  # nothing: users are few; questions are from visitors (no account)
    zh = [(s, segment(s)) for s in ZH]
    en = [(s, segment(s)) for s in EN]
    rare = (RARE, segment(RARE))
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()
    n = args.questions
    statuses = [s for s, _share in STATUS_MIX]
    weights = [share for _s, share in STATUS_MIX]
    t0 = time.perf_counter()
    bodies: list[list[str]] = []
    ratings: list[tuple] = []

    def tickets():
        for i in range(1, n + 1):
            created = start + timedelta(seconds=span * i / (n + 1))
            status = rng.choices(statuses, weights)[0]
            if created > now - timedelta(days=3) and status == "closed":
                status = rng.choice(("new", "open", "pending"))
            channel = rng.choice(CHANNELS)
            pool = zh if rng.random() < 0.75 else en
            k = max(1, int(rng.expovariate(1 / args.messages_per)))
            texts = [rng.choice(pool) for _ in range(k)]
            if rng.random() < 1 / 2000:
                texts.append(rare)
            subject = texts[0][0][:40]
            bodies.append([t[0] for t in texts])
            number = number_of(i)
            words: dict[str, None] = dict.fromkeys(segment(number, "visitor@example.com").split())
            for _text, seg in texts:
                words.update(dict.fromkeys(seg.split()))
            assignee = (
                None
                if status == "new" or (status == "open" and rng.random() < 0.3)
                else rng.choice(agent_ids)
            )
            due = warn = rdue = rwarn = paused = solved = None
            # the first reply (not on new questions): minutes to days; past 24 hours the reply target was
            # missed and the sweep marked it (the report's figures, issue 15 item 5)
            first = None if status == "new" else created + timedelta(minutes=rng.expovariate(1 / 300))
            missed = (
                created + timedelta(hours=24) if first and first - created > timedelta(hours=24) else None
            )
            if status in ("new", "open", "pending"):
                due = now + timedelta(minutes=rng.uniform(-2 * 1440, 3 * 1440))
                warn, rdue = due - timedelta(hours=2), due + timedelta(days=2)
                rwarn = rdue - timedelta(hours=8)
                paused = now - timedelta(hours=3) if status == "pending" else None
            else:
                solved = (first or created) + timedelta(hours=rng.expovariate(1 / 30))
                if rng.random() < 0.2:  # one in five finished questions rated
                    ratings.append((i, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), "", assignee, solved))
            yield (
                i,
                number,
                f"visitor{i % 50000}@example.com",
                "",
                "zh-hans",
                channel,
                "other",
                subject,
                status,
                "normal",
                assignee,
                created,
                created,
                due,
                warn,
                rdue,
                rwarn,
                paused,
                solved,
                " " + " ".join(words) + " ",
                first,
                missed,
            )

    columns = [
        "id",
        "number",
        "requester_email",
        "requester_name",
        "language",
        "channel",
        "topic",
        "subject",
        "status",
        "priority",
        "assignee_id",
        "created_at",
        "updated_at",
        "reply_due_at",
        "reply_warn_at",
        "resolution_due_at",
        "resolution_warn_at",
        "paused_at",
        "solved_at",
        "search_text",
        "first_responded_at",
        "reply_breached_at",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    count = _copy(connection, Ticket, columns, tickets())
    print(f"  {count} questions in {time.perf_counter() - t0:.0f} s")
    count = _copy(
        connection, TicketRating, ["ticket_id", "score", "comment", "agent_id", "created_at"], ratings
    )
    print(f"  {count} ratings")
    t1 = time.perf_counter()
    kinds = ["customer", "agent", "note", "system"]

    def messages():
        pk = 0
        for i, texts in enumerate(bodies, start=1):
            created = start + timedelta(seconds=span * i / (n + 1))
            for j, body in enumerate(texts):
                pk += 1
                kind = "customer" if j == 0 else rng.choice(kinds)
                yield (
                    pk,
                    i,
                    kind,
                    agent_ids[0] if kind in ("agent", "note") else None,
                    body,
                    created + timedelta(minutes=j * 30),
                )

    count = _copy(
        connection, TicketMessage, ["id", "ticket_id", "kind", "author_id", "body", "created_at"], messages()
    )
    print(f"  {count} messages/events in {time.perf_counter() - t1:.0f} s")
    t2 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "tickets_ticketmessage", "tickets_ticketrating"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"  vacuum analyze in {time.perf_counter() - t2:.0f} s; generation {time.perf_counter() - t0:.0f} s"
    )
    return agents[0]


def bench(args) -> None:
    product_setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from okpay.tickets.models import Ticket

    rng = random.Random(args.seed)
    print(f"generating ({load()})")
    agent = generate(args, rng, connection)
    some = Ticket.objects.filter(pk=rng.randrange(1, args.questions)).values_list("number", flat=True)[0]
    deep = Ticket.objects.filter(pk=args.questions // 2).values_list("created_at", "pk")[0]
    deep_after = f"{deep[0].timestamp():.6f}_{deep[1]}"
    kinds = [
        ("open (default)", {}),
        ("mine", {"view": "mine"}),
        ("unassigned", {"view": "unassigned"}),
        ("breaching soon", {"view": "breaching"}),
        ("all, newest first", {"view": "all"}),
        ("all, status=pending", {"view": "all", "status": "pending"}),
        ("open, channel=email", {"view": "open", "channel": "email"}),
        ("all, deep keyset page", {"view": "all", "after": deep_after}),
        ("search: number", {"view": "all", "q": some}),
        ("search: 退款 (common word)", {"view": "all", "q": "退款"}),
        ("search: 退款 银行卡 (two words)", {"view": "all", "q": "提现 银行卡"}),
        ("search: 星巴克 (rare word)", {"view": "all", "q": "星巴克"}),
        ("search: declined checkout (English)", {"view": "all", "q": "declined checkout"}),
        ("search: 退款, open view", {"view": "open", "q": "退款"}),
    ]
    client = Client()
    client.force_login(agent)
    results = []
    for base, label_prefix in (("/console/tickets/", "console"), ("/api/v1/staff/tickets", "API")):
        for _label, params in kinds:  # warm
            client.get(base, params)
        for label, params in kinds:
            cache.clear()  # the first request after a write or 30 s: the tab counts are counted again
            t0 = time.perf_counter()
            client.get(base, params)
            cold = (time.perf_counter() - t0) * 1000
            times = []
            for _n in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(base, params)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (base, params, response.status_code)
            with CaptureQueriesContext(connection) as captured:
                client.get(base, params)
            if os.environ.get("BENCH_SHOW_SQL"):
                for query in captured.captured_queries:
                    print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:220]}")
            results.append((f"{label_prefix}: {label}", times, len(captured), cold))
    # the questions report (issue 15 item 5) for a supervisor: every agent, group and channel, the days
    from okpay.accounts.tests.factories import user_create

    supervisor = Client()
    supervisor.force_login(user_create(email="supervisor@example.com", role="supervisor"))
    for label, url in (
        ("report: last 30 days", "/console/tickets/reports/?days=30"),
        ("report: last 90 days", "/console/tickets/reports/?days=90"),
        ("report: 90 days, CSV", "/console/tickets/reports/csv/?days=90"),
    ):
        t0 = time.perf_counter()
        supervisor.get(url)
        cold = (time.perf_counter() - t0) * 1000
        times = []
        for _n in range(max(3, args.requests // 3)):
            t0 = time.perf_counter()
            response = supervisor.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            supervisor.get(url)
        if os.environ.get("BENCH_SHOW_SQL"):
            for query in captured.captured_queries:
                print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:220]}")
        results.append((label, times, len(captured), cold))
    print(f"\n{args.questions} questions, signed in as an agent (the report as a supervisor), {load()}")
    for label, times, queries, cold in results:
        print(
            f"{label:<48} p50 {percentile(times, 0.5):6.1f} ms  p95 {percentile(times, 0.95):6.1f} ms  "
            f"max {max(times):6.1f} ms  {queries:3d} queries  (first, counts not cached: {cold:6.1f} ms)"
        )
    worst = max(percentile(times, 0.95) for label, times, _q, _c in results if not label.startswith("report"))
    coldest = max(cold for _label, _t, _q, cold in results)
    print(f"slowest first request (tab counts counted again): {coldest:.1f} ms")
    print(f"worst p95 {worst:.1f} ms: {'meets' if worst <= 100 else 'misses'} the target (p95 ≤ 100 ms)")


if __name__ == "__main__":
    main()
