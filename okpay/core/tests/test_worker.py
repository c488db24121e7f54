"""The task worker: queues, start-up work (orphans, periodic jobs), and — with real processes on a
temporary SQLite installation — mail during a training and `okpay serve` stopping on SIGTERM."""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from okpay.core import hooks, worker
from okpay.core.models import IdempotencyRecord, WorkerHeartbeat
from okpay.core.tasks import housekeeping_task, idempotency_prune_task
from okpay.wallet.tasks import fx_refresh_task, wallet_sweep_task

ROOT = Path(__file__).resolve().parents[3]
TINY_TRAIN = ROOT / "okpay" / "bot" / "tests" / "fixtures" / "tiny_train.csv"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}}
PERIODIC = [idempotency_prune_task, housekeeping_task, fx_refresh_task, wallet_sweep_task]


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_TASKS


def queued(task):
    return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)


def test_the_settings_name_both_queues_and_the_training_has_its_own():
    from django.conf import settings

    from okpay.bot.tasks import bot_train_task
    from okpay.core.tasks import send_email

    assert settings.TASKS["default"]["QUEUES"] == ["default", "training"]
    assert worker.queue_names() == ["default", "training"]
    assert bot_train_task.queue_name == "training"
    assert send_email.queue_name == "default"


def test_periodic_jobs_are_queued_once_at_worker_start(db, db_tasks):
    names = {schedule.name for schedule in hooks.items(hooks.WORKER_SCHEDULES)}
    assert {"idempotency prune", "housekeeping", "exchange-rate refresh", "wallet sweep"} <= names
    first = worker.worker_start()
    assert any("idempotency" in line for line in first) and any("exchange-rate" in line for line in first)
    worker.worker_start()
    worker.worker_start()
    for task in PERIODIC:
        rows = list(queued(task))
        assert len(rows) == 1, task.name
        assert rows[0].run_after > timezone.now()


@pytest.mark.parametrize(
    ("task", "every"),
    [
        (idempotency_prune_task, timedelta(hours=1)),
        (housekeeping_task, timedelta(days=1)),
        (wallet_sweep_task, timedelta(minutes=5)),
    ],
)
def test_a_periodic_job_queues_its_next_run_when_it_finishes(db, db_tasks, task, every):
    assert not queued(task).exists()
    task.call()
    (row,) = queued(task)
    assert abs((row.run_after - (timezone.now() + every)).total_seconds()) < 60
    task.call()
    assert queued(task).count() == 1


def test_the_prune_job_forgets_old_idempotency_records(db, db_tasks, customer):
    old = IdempotencyRecord.objects.create(user=customer, key="old", scope="s", request_hash="h")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=49))
    IdempotencyRecord.objects.create(user=customer, key="new", scope="s", request_hash="h")
    assert idempotency_prune_task.call() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def _running(worker_id: str):
    result = wallet_sweep_task.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(worker_id)
    return row


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_worker_start_marks_tasks_of_dead_workers_failed(db, db_tasks):
    now = timezone.now()
    host = socket.gethostname()
    WorkerHeartbeat.objects.create(
        worker_id="alive", hostname=host, pid=os.getpid(), started_at=now, seen_at=now
    )
    WorkerHeartbeat.objects.create(
        worker_id="dead", hostname=host, pid=_dead_pid(), started_at=now, seen_at=now
    )
    WorkerHeartbeat.objects.create(
        worker_id="silent", hostname="elsewhere", pid=1, started_at=now, seen_at=now - timedelta(minutes=5)
    )
    alive, dead, silent, unknown = (_running(w) for w in ("alive", "dead", "silent", "never-seen"))
    lines = worker.worker_start()
    assert "3 task(s) left running by a stopped worker marked failed" in lines
    for row in (dead, silent, unknown):
        row.refresh_from_db()
        assert row.status == TaskResultStatus.FAILED and row.exception_class_path == worker.WORKER_LOST
    alive.refresh_from_db()
    assert alive.status == TaskResultStatus.RUNNING
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"alive", "silent"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enqueue_once_queues_one_under_parallel_starts(settings):
    if connection.vendor != "postgresql":
        pytest.skip("parallel starts need PostgreSQL (set DATABASE_URL)")
    settings.TASKS = DB_TASKS
    barrier = threading.Barrier(8)

    def start(_i):
        barrier.wait()
        try:
            return worker.enqueue_once(idempotency_prune_task, run_after=timezone.now() + timedelta(hours=1))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(start, range(8)))
    assert results.count(True) == 1
    assert queued(idempotency_prune_task).count() == 1


WATCHED = """
import sys, time
import django
django.setup()
from okpay.core.worker import watch_parent
watch_parent(int(sys.argv[1]))
print("watching", flush=True)
time.sleep(60)
"""
MIDDLE = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(child.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_a_child_ends_itself_when_its_parent_is_killed():
    """What a worker started by `okpay serve`, or a training started by a worker, does when the
    process that started it is SIGKILLed (no handler of its own can run)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, WATCHED], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(middle.stdout.readline())
        assert middle.stdout.readline().strip() == "watching"
        middle.kill()
        middle.wait()
        started = time.monotonic()
        _wait_for(lambda: not _living([child]), 5, "the orphaned child to end")
        assert time.monotonic() - started < 3
    finally:
        middle.kill()
        with contextlib.suppress(OSError, NameError):
            os.kill(child, signal.SIGKILL)


# --- real processes on a temporary SQLite installation (the embedded default) ---------------


def _environment(var_dir: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "OKPAY_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "OKPAY_WARM_BOT"):
        env.pop(name, None)
    env["OKPAY_UVICORN_LOG_LEVEL"] = "warning"
    return env


SETUP = """
import sys
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from okpay.accounts.models import User
from okpay.bot.tasks import bot_train_task
call_command("migrate", verbosity=0)
User.objects.create_user(
    email="reset@example.com", password="x-long-password-1", email_verified_at=timezone.now()
)
bot_train_task.enqueue(data=[sys.argv[1]])
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """pid → (ppid, pgid, state, command line) of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0], command)
    return table


def _descendants(pid: int) -> dict[int, str]:
    table = _processes()
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _pgid, _state, command) in table.items():
            if ppid == parent and child not in found:
                found[child] = command
                frontier.append(child)
    return found


def _living(pids) -> set[int]:
    table = _processes()
    return {pid for pid in pids if pid in table and table[pid][2] != "Z"}  # a zombie has ended


def _query(database: Path, sql: str, *args):
    with sqlite3.connect(database, timeout=20) as db:
        return db.execute(sql, args).fetchall()


def _wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


TRAINING_PATH = "okpay.bot.tasks.bot_train_task"
TASKS_TABLE = DBTaskResult._meta.db_table


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """`okpay serve` (embedded worker) on a fresh SQLite installation with one user and a training
    on the tiny data queued; killed by process group if a test leaves it running."""
    var_dir = tmp_path_factory.mktemp("okpay-product")
    env = _environment(var_dir)
    subprocess.run([sys.executable, "-c", SETUP, str(TINY_TRAIN)], cwd=ROOT, env=env, check=True, timeout=300)
    port = _free_port()
    log = (var_dir / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "okpay.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    state = {
        "serve": serve,
        "base": base,
        "database": var_dir / "okpay.sqlite3",
        "log": var_dir / "serve.log",
    }
    try:
        _wait_for(healthy, 120, "okpay serve and its worker to be healthy", every=1.0)
        yield state
    finally:
        if serve.poll() is None:
            left = _descendants(serve.pid)
            os.killpg(serve.pid, signal.SIGKILL)
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        serve.wait()
        log.close()


def _training_status(database: Path) -> list[str]:
    return [
        row[0]
        for row in _query(
            database,
            f"SELECT status FROM {TASKS_TABLE} WHERE task_path = ? ORDER BY enqueued_at",
            TRAINING_PATH,
        )
    ]


def _is_training(command: str) -> bool:
    return re.search(r"okpay\.cli bot .*train", command) is not None


def _training_running(product) -> bool:
    return _training_status(product["database"])[-1:] == ["RUNNING"] and any(
        _is_training(command) for command in _descendants(product["serve"].pid).values()
    )


@pytest.mark.slow
def test_a_reset_email_arrives_within_10_seconds_while_the_training_runs(product):
    _wait_for(lambda: _training_running(product), 60, "the training to run")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{product['base']}/accounts/password/reset/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "reset@example.com"}).encode()
    asked = time.monotonic()
    opener.open(f"{product['base']}/accounts/password/reset/", data=form, timeout=10)

    def mail():
        return _query(
            product["database"], 'SELECT subject FROM core_outboxemail WHERE "to" LIKE ?', "%reset@%"
        )

    _wait_for(mail, 10, "the reset email")
    seconds = time.monotonic() - asked
    assert _training_status(product["database"])[-1] == "RUNNING", "the email waited for the training"
    print(f"\nreset email {seconds:.1f} s after the request, while the training ran")
    assert seconds < 10


@pytest.mark.slow
def test_sigterm_stops_serve_and_leaves_no_process_behind(product):
    serve = product["serve"]
    _wait_for(lambda: _training_running(product), 60, "the training to run")
    tree = _descendants(serve.pid)
    commands = list(tree.values())
    assert sum("worker --queue-name" in command for command in commands) == 2, commands
    assert any(_is_training(command) for command in commands), commands
    groups = {serve.pid} | {_processes()[pid][1] for pid in tree if pid in _processes()}
    started = time.monotonic()
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=60)
    seconds = time.monotonic() - started
    _wait_for(lambda: not _living(tree), 10, f"every process to end: {_living(tree)}")
    left = {pid: row for pid, row in _processes().items() if row[1] in groups and row[2] != "Z"}
    assert not left, left
    print(f"\nokpay serve and {len(tree)} processes under it stopped {seconds:.1f} s after SIGTERM")
    assert seconds < 15
    # the training was cut short, and is queued again for the next start
    statuses = _training_status(product["database"])
    assert statuses[-2:] == ["FAILED", "READY"], statuses
    (failure,) = _query(
        product["database"],
        f"SELECT exception_class_path FROM {TASKS_TABLE} WHERE task_path = ? AND status = 'FAILED'",
        TRAINING_PATH,
    )
    assert failure[0] == "okpay.bot.tasks.TrainingInterrupted"
