"""The task worker behind `okpay worker` (django-tasks-db underneath).

- One worker process per queue (`settings.TASKS["default"]["QUEUES"]`: "default" for mail and short
  jobs, "training" for the answer bot's training), so mail never waits behind a training. Without
  `--queue-name`, `okpay worker` supervises one child per queue; `okpay worker --queue-name Q` is one
  of them on its own (how a scaled-out deployment runs them).
- At start: tasks left RUNNING by a worker that died are marked failed (`WorkerLost`), then every
  `hooks.WORKER_SCHEDULES` item makes sure its task is queued (periodic jobs; a cut-short training).
- `stopping` is set in a worker process once it is asked to stop; a long task watches it.
- `enqueue_once` / `periodic_ensure` queue a task unless one is already queued, one process at a time.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string

from . import hooks
from .locks import lock_key

logger = logging.getLogger("okpay.worker")

stopping = threading.Event()

STOP_GRACE_SECONDS = 20  # a child still running after this is killed (a mail being sent finishes)
RESTART_BACKOFF_SECONDS = (1, 2, 5, 10, 30)


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped existing while it ran."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def queue_names() -> list[str]:
    return list(settings.TASKS["default"].get("QUEUES") or ["default"])


def uses_database(task) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


@contextmanager
def _serialized(name: str):
    """A transaction that runs one at a time per `name` across processes: PostgreSQL takes an
    advisory transaction lock; SQLite already serialises writers (transaction_mode IMMEDIATE)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])
        yield


def enqueue_once(task, *, statuses=(TaskResultStatus.READY,), run_after: datetime | None = None, **kwargs):
    """Queue `task(**kwargs)` unless a result of it is in one of `statuses`. Returns whether it
    queued. Backends that cannot defer skip a `run_after` task; non-database backends always queue."""
    backend = task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return False
        task = task.using(run_after=run_after)
    if not uses_database(task):
        task.enqueue(**kwargs)
        return True
    from django_tasks_db.models import DBTaskResult

    with _serialized(f"enqueue:{task.module_path}"):
        if DBTaskResult.objects.filter(task_path=task.module_path, status__in=list(statuses)).exists():
            return False
        task.enqueue(**kwargs)
    return True


def periodic_ensure(task, when: datetime) -> bool:
    """Queue the next run of a periodic task at `when` unless one is queued. Called by its
    `hooks.Schedule` at worker start and by the task itself when it finishes."""
    return enqueue_once(task, run_after=when)


# --- start of a worker ----------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphans_recover() -> int:
    """Mark RUNNING tasks whose worker is gone (no fresh heartbeat, or its process on this host has
    died) as failed with WorkerLost, so they stop looking busy; forget such workers' heartbeats.
    An app that wants such a task run again re-queues it from its `hooks.WORKER_SCHEDULES` item."""
    from django_tasks_db.models import DBTaskResult

    from .models import WorkerHeartbeat

    now = timezone.now()
    fresh_after = now - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)
    host = socket.gethostname()
    beats = {beat.worker_id: beat for beat in WorkerHeartbeat.objects.all()}

    def gone(beat) -> bool:
        return beat.hostname == host and not _pid_alive(beat.pid)

    def alive(worker_id: str) -> bool:
        beat = beats.get(worker_id)
        return beat is not None and beat.seen_at >= fresh_after and not gone(beat)

    lost = 0
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids"):
        if row.worker_ids and alive(row.worker_ids[-1]):
            continue
        lost += DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback="The worker running this task stopped before the task finished.\n",
            return_value=None,
        )
    dead = [
        worker_id for worker_id, beat in beats.items() if gone(beat) or beat.seen_at < now - timedelta(days=1)
    ]
    WorkerHeartbeat.objects.filter(worker_id__in=dead).delete()
    return lost


def worker_start() -> list[str]:
    """What a worker does once when it starts, before taking tasks. Returns what it did."""
    lines = []
    if lost := orphans_recover():
        lines.append(f"{lost} task(s) left running by a stopped worker marked failed")
    for schedule in hooks.items(hooks.WORKER_SCHEDULES):
        try:
            if summary := schedule.ensure():
                lines.append(summary)
        except Exception:  # one broken schedule must not keep the worker from starting
            logger.exception("worker schedule %s failed", schedule.name)
    return lines


# --- one worker process ---------------------------------------------------------------------


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"


def heartbeat(worker_id: str, started) -> None:
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": started,
            "seen_at": timezone.now(),
        },
    )


def _heartbeat_loop(worker_id: str, started, stop: threading.Event) -> None:
    while not stop.wait(settings.WORKER_HEARTBEAT_SECONDS):
        try:
            close_old_connections()
            heartbeat(worker_id, started)
        except Exception:  # a missed beat shows up in /healthz, which is the point
            logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connection.close()


def watch_parent(parent: int) -> None:
    """From now on, send this process SIGTERM as soon as `parent` is no longer its parent process (it
    died; checked every second in a daemon thread). The pid comes from the parent itself: read here,
    it could already be the init process's."""

    def watch():
        while os.getppid() == parent:
            if stopping.wait(1.0):
                return
        logger.warning("the parent process is gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


def run_queues(queues: str, *, interval: float, verbosity: int = 1, parent_pid: int | None = None) -> None:
    """Run django-tasks-db's worker loop on `queues` (comma-separated, or "*") in this process, with
    a heartbeat for /healthz. SIGTERM/SIGINT: finish the running task (a long one watches `stopping`),
    then exit; a repeated SIGTERM changes nothing (a supervisor and a process manager may both send
    one), a second Ctrl+C ends the running task."""
    from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
    from django_tasks_db.management.commands.db_worker import Worker

    class OkpayWorker(Worker):
        def shutdown(self, signum, frame):
            if stopping.is_set() and signum == signal.SIGTERM:
                return
            stopping.set()
            super().shutdown(signum, frame)

    worker_id = new_worker_id()
    started = timezone.now()
    heartbeat(worker_id, started)  # before the first claim: a starting worker must not look dead
    connection.close()
    stop_beat = threading.Event()
    threading.Thread(target=_heartbeat_loop, args=(worker_id, started, stop_beat), daemon=True).start()
    if parent_pid:
        watch_parent(parent_pid)
    DbWorkerCommand().configure_logging(verbosity)
    worker = OkpayWorker(
        queue_names=queues.split(","),
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    try:
        worker.configure_signals()
        worker.run()
    finally:
        stopping.set()
        stop_beat.set()
        from .models import WorkerHeartbeat

        close_old_connections()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


# --- one process per queue ------------------------------------------------------------------


def _restart_prepare() -> None:
    """Before a child that died is started again: its task was left RUNNING; fail it (and let the
    schedules queue what should run again), as a fresh start would."""
    try:
        for line in worker_start():
            logger.warning("%s", line)
    except Exception:
        logger.exception("worker start-up work failed")
    finally:
        connection.close()


def supervise(queues: list[str], *, interval: float, parent_pid: int | None = None, out=None) -> None:
    """Run one `okpay worker --queue-name Q` child per queue, restart a child that dies (after the
    start-up work again: its task is failed, a cut-short training queued again), and stop
    them all on SIGTERM/SIGINT/SIGHUP (or when process `parent_pid` is no longer the parent): each
    child gets one SIGTERM, then SIGKILL after STOP_GRACE_SECONDS."""
    out = out or sys.stdout
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    def spawn(queue: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "okpay.cli", "worker", "--queue-name", queue]
        command += ["--interval", str(interval), "--supervised", "--parent-pid", str(os.getpid())]
        child = subprocess.Popen(command, env=os.environ.copy(), cwd=settings.BASE_DIR)
        out.write(f"Task worker for queue '{queue}' started (pid {child.pid}).\n")
        out.flush()
        return child

    children = {queue: spawn(queue) for queue in queues}
    started = dict.fromkeys(queues, time.monotonic())
    failures = dict.fromkeys(queues, 0)
    restart_at: dict[str, float] = {}
    while not stop.wait(0.5):
        if parent_pid and os.getppid() != parent_pid:
            logger.warning("the parent process is gone; stopping the task workers")
            break
        now = time.monotonic()
        for queue, child in children.items():
            if child.poll() is None or stop.is_set():
                continue
            if queue not in restart_at:
                failures[queue] = failures[queue] + 1 if now - started[queue] < 60 else 1
                delay = RESTART_BACKOFF_SECONDS[min(failures[queue], len(RESTART_BACKOFF_SECONDS)) - 1]
                logger.warning(
                    "task worker for queue %s exited (%s); restarting in %ss", queue, child.returncode, delay
                )
                restart_at[queue] = now + delay
            elif now >= restart_at[queue]:
                del restart_at[queue]
                _restart_prepare()
                children[queue], started[queue] = spawn(queue), now
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
