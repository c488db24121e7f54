"""The answer bot's training as a task on its own queue ("training"), so mail and short jobs never
wait behind it. The training itself runs in a child process (`okpay bot train`): a stopping worker
ends it within a second and queues it again, and the worker process stays small. `model_train`
holds an installation-wide lock, so only one training runs at a time however many workers there are."""

import os
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone

TRAINING_QUEUE = "training"
BUSY_EXIT_CODE = 75  # EX_TEMPFAIL: `okpay bot train` found another training running
BUSY_RETRY_AFTER = timedelta(minutes=1)
STOP_SIGNALS = {-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP}


class TrainingInterrupted(Exception):
    """The worker was asked to stop during the training; the training is queued again."""


INTERRUPTED = f"{TrainingInterrupted.__module__}.{TrainingInterrupted.__qualname__}"


def train_command(*, actor_id: int | None, data: list[str] | None) -> list[str]:
    command = [sys.executable, "-m", "okpay.cli", "bot", "--skip-checks", "train"]
    command += ["--parent-pid", str(os.getpid())]  # ends itself if this worker dies
    if data:
        command += ["--data", *data]
    if actor_id:
        command += ["--actor-id", str(actor_id)]
    return command


@task(queue_name=TRAINING_QUEUE)
def bot_train_task(*, actor_id: int | None = None, data: list[str] | None = None) -> str:
    """Train (default: the shipped catalog plus accepted corrections; `data`: these CSV files) and
    activate the new version. Returns its version, or why it waits."""
    from okpay.core.worker import enqueue_once, stopping

    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout:
        child = subprocess.Popen(
            train_command(actor_id=actor_id, data=data),
            stdout=stdout,
            env=os.environ.copy(),
            cwd=settings.BASE_DIR,
        )
        try:
            while child.poll() is None and not stopping.wait(0.2):
                pass
        finally:
            if child.poll() is None:  # the worker is stopping: end the training now, not in minutes
                child.terminate()
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        stdout.seek(0)
        output = stdout.read().strip()
    if child.returncode == 0:
        return output.splitlines()[-1] if output else ""
    if stopping.is_set() or child.returncode in STOP_SIGNALS:
        enqueue_once(bot_train_task, actor_id=actor_id, data=data)
        raise TrainingInterrupted("the worker stopped during the training; it is queued again")
    if child.returncode == BUSY_EXIT_CODE:
        enqueue_once(
            bot_train_task, run_after=timezone.now() + BUSY_RETRY_AFTER, actor_id=actor_id, data=data
        )
        return "another training is running; queued again for a minute from now"
    raise RuntimeError(f"`okpay bot train` exited with {child.returncode}: {output[-500:]}")


def bot_train_enqueue_once(*, actor_id: int | None = None) -> bool:
    """Queue a training unless one is queued or running (the first start of `make run`, however many
    times the product starts). Returns whether it queued one."""
    from okpay.core.worker import enqueue_once

    return enqueue_once(
        bot_train_task, statuses=(TaskResultStatus.READY, TaskResultStatus.RUNNING), actor_id=actor_id
    )


def bot_training_resume() -> str | None:
    """At worker start (hooks.WORKER_SCHEDULES): if the latest training was cut short (its worker
    stopped or died), queue it again unless one is queued or running. Trainings queued on the
    "default" queue before the training queue existed move to it."""
    from okpay.core.worker import WORKER_LOST, enqueue_once, uses_database

    if not uses_database(bot_train_task):
        return None
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path=bot_train_task.module_path)
    rows.filter(status=TaskResultStatus.READY).exclude(queue_name=TRAINING_QUEUE).update(
        queue_name=TRAINING_QUEUE
    )
    last = rows.order_by("-enqueued_at").first()
    if (
        last is None
        or last.status != TaskResultStatus.FAILED
        or last.exception_class_path not in (WORKER_LOST, INTERRUPTED)
    ):
        return None
    kwargs = last.args_kwargs.get("kwargs", {})
    if enqueue_once(
        bot_train_task,
        statuses=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
        actor_id=kwargs.get("actor_id"),
        data=kwargs.get("data"),
    ):
        return "answer bot: the training that was cut short is queued again"
    return None
