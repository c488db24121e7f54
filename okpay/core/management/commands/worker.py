import argparse

from django.core.management.base import BaseCommand
from django.db import connection

from okpay.core import worker


class Command(BaseCommand):
    help = (
        "Run the background task workers (django-tasks-db) with a heartbeat for /healthz: one process "
        "per queue (default: mail and short jobs; training: the answer bot's training), or with "
        "--queue-name only the named queue(s) in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default=None,
            help="work on these queues (comma-separated, or '*') in this one process; default: one "
            "process per configured queue (" + ", ".join(worker.queue_names()) + ")",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        # started by `okpay serve` (embedded) or by `okpay worker`: stop when that process is gone
        parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
        # a child of `okpay worker`: the parent did the start-up work
        parser.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, queue_name=None, interval=1.0, parent_pid=None, supervised=False, **options):
        if not supervised:
            for line in worker.worker_start():
                self.stdout.write(line)
            connection.close()
        if queue_name is None:
            worker.supervise(worker.queue_names(), interval=interval, parent_pid=parent_pid, out=self.stdout)
            return
        worker.run_queues(
            queue_name,
            interval=interval,
            verbosity=options.get("verbosity", 1),
            parent_pid=parent_pid,
        )
