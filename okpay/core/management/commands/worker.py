import logging
import os
import socket
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("okpay.worker")


def _heartbeat_loop(worker_id: str, stop: threading.Event) -> None:
    from okpay.core.models import WorkerHeartbeat

    started = timezone.now()
    while not stop.is_set():
        try:
            close_old_connections()
            WorkerHeartbeat.objects.update_or_create(
                worker_id=worker_id,
                defaults={
                    "hostname": socket.gethostname(),
                    "pid": os.getpid(),
                    "started_at": started,
                    "seen_at": timezone.now(),
                },
            )
        except Exception:  # a missed beat shows up in /healthz, which is the point
            logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connection.close()
        stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks-db) and report a heartbeat for /healthz."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="queues to work on (default: all)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, queue_name="*", interval=1.0, **options):
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"
        stop = threading.Event()
        beat = threading.Thread(target=_heartbeat_loop, args=(worker_id, stop), daemon=True)
        beat.start()
        from okpay.wallet.tasks import fx_refresh_schedule

        if fx_refresh_schedule():
            self.stdout.write("Scheduled the next exchange-rate refresh.")
        try:
            call_command(
                "db_worker",
                queue_name=queue_name,
                interval=interval,
                worker_id=worker_id,
                startup_delay=False,
                reload=False,
            )
        finally:
            stop.set()
            from okpay.core.models import WorkerHeartbeat

            WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
