"""Email in through the SMTP receiver: messages per second and latency.

    .venv/bin/python bench/mail.py [-n 500] [--clients 4] [--threads 4]

Starts `okpay mail smtpd`'s receiver (aiosmtpd, the intake on its thread pool) on a free loopback port and
sends it `-n` messages over SMTP from `--clients` connections at once (in a separate process, as a mail
server would be): four in five are new questions from distinct senders, one in five a reply to an earlier
question by In-Reply-To, some with quoted history; every message goes the whole way (parsing, reply
cutting, threading, the question and its message in one transaction, the receipt queued). Prints
messages/s, p50/p95 of each message's SMTP transaction (MAIL FROM … end of DATA) and the outcomes.

On PostgreSQL when DATABASE_URL is set (that database is dropped and re-created at the start and dropped
at the end); otherwise a throwaway SQLite database, with one intake thread (SQLite takes one writer).
Target: ≥ 50 messages/s.
"""

import argparse
import multiprocessing
import os
import smtplib
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import percentile

SUPPORT = "support@okpay.example"
BODY = "我周一提现 500 元到建设银行卡，到现在还没到。交易编号 OKP-{n:06d}。请帮忙查一下，谢谢。"
QUOTE = (
    "\n\n在 2026年12月1日 周二 10:00，OKPay <support@okpay.example> 写道：\n"
    "> 您好，请提供交易编号。\n> OKPay 客服"
)


def message(n: int, reply_to: int | None) -> tuple[str, bytes]:
    sender = f"c{reply_to if reply_to is not None else n}@example.net"
    mail = EmailMessage()
    mail["From"] = f"客户 {n} <{sender}>"
    mail["To"] = SUPPORT
    mail["Message-ID"] = f"<bench-{n}@example.net>"
    if reply_to is None:
        mail["Subject"] = f"提现没到账 {n}"
        mail.set_content(BODY.format(n=n))
    else:
        mail["Subject"] = "Re: 我们已收到您的问题"
        mail["In-Reply-To"] = f"<bench-{reply_to}@example.net>"
        mail["References"] = f"<bench-{reply_to}@example.net>"
        mail.set_content("补充：卡号尾号 1234。" + QUOTE)
    return sender, mail.as_bytes(policy=SMTP)


def plan(count: int) -> list[tuple[int, int | None]]:
    """(n, the earlier question it replies to or None): every fifth a reply to a question sent well before
    (n - 41 is never itself a reply: replies are n % 5 == 4)."""
    return [(n, n - 41 if n % 5 == 4 and n >= 41 else None) for n in range(count)]


def clients(port_queue, results, count: int, connections: int) -> None:
    """In the client process: wait for the port, send, put [(latency seconds, code)] and the wall time."""
    port = port_queue.get()
    work = plan(count)
    # replies go after their question: a reply's question is 41 earlier, sent in an earlier round
    chunks = [work[i::connections] for i in range(connections)]

    def run(chunk):
        out = []
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo()
            for n, reply_to in chunk:
                sender, raw = message(n, reply_to)
                started = time.perf_counter()
                client.mail(sender)
                client.rcpt(SUPPORT)
                code, _answer = client.data(raw)
                out.append((time.perf_counter() - started, code))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        timings = [item for chunk in pool.map(run, chunks) for item in chunk]
    results.put((timings, time.perf_counter() - started))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        from bench.ledger import recreate_database

        recreate_database(url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1])
    os.environ.setdefault("OKPAY_VAR_DIR", tempfile.mkdtemp(prefix="okpay-bench-mail-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    os.environ["OKPAY_DEBUG"] = "0"  # DEBUG keeps every query in memory
    # the client process first, before this one has threads or database connections to fork
    context = multiprocessing.get_context("fork")
    port_queue, results = context.Queue(), context.Queue()
    sender = context.Process(target=clients, args=(port_queue, results, args.n, args.clients))
    sender.start()
    try:
        bench(args, postgres, port_queue, results)
    finally:
        if sender.is_alive():
            sender.terminate()
        sender.join()
        if postgres:
            from django.db import connections

            from bench.ledger import recreate_database

            connections.close_all()
            recreate_database(url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1], drop_only=True)
            print(f"dropped {url.rsplit('/', 1)[1]}")


def bench(args, postgres: bool, port_queue, results) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "question_email_per_sender": (10**6, 3600)}
    from okpay.tickets.models import Ticket, TicketMessage
    from okpay.tickets.smtpd import smtpd_controller

    threads = args.threads if postgres else 1
    controller = smtpd_controller(host="127.0.0.1", port=free_port(), threads=threads)
    controller.start()
    try:
        port_queue.put(controller.port)
        timings, wall = results.get(timeout=3600)
    finally:
        controller.stop()
        controller.handler.close()
    latencies = [seconds * 1000 for seconds, _code in timings]
    codes = Counter(code for _seconds, code in timings)
    print(
        f"{connection.vendor}: {len(timings)} messages over SMTP from {args.clients} connections, "
        f"{threads} intake thread(s), {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(f"  {len(timings) / wall:.1f} messages/s  (wall {wall:.2f} s)")
    print(
        f"  per message p50 {percentile(latencies, 0.50):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
        f"mean {statistics.fmean(latencies):.1f} ms"
    )
    print(
        f"  SMTP answers {dict(codes)}; questions {Ticket.objects.count()}, "
        f"messages {TicketMessage.objects.filter(kind='customer').count()}"
    )


if __name__ == "__main__":
    main()
