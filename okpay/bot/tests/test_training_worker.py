"""The training as a worker task: its own queue, a child process that a stopping worker ends at once
(and queues again), one training at a time, one queued however many times the product starts; and
answers whose inference runs outside the database transaction."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from okpay.bot import tasks
from okpay.bot.actions import TRAINING_LOCK, TrainingBusy, model_train
from okpay.bot.models import BotModelVersion, BotTurn
from okpay.core import hooks, worker
from okpay.core.locks import LockBusy, _file_lock, installation_lock

from .conftest import FIXTURES

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}}


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_TASKS


@pytest.fixture
def stopping():
    worker.stopping.clear()
    yield worker.stopping
    worker.stopping.clear()


def trainings(*statuses):
    rows = DBTaskResult.objects.filter(task_path=tasks.bot_train_task.module_path)
    return rows.filter(status__in=statuses) if statuses else rows


def test_only_one_training_runs_at_a_time(db, tmp_path):
    with installation_lock(TRAINING_LOCK):
        with pytest.raises(TrainingBusy):
            model_train(data=[FIXTURES / "tiny_train.csv"], out=tmp_path / "m")
        with pytest.raises(CommandError) as refused:
            call_command("bot", "train", data=[FIXTURES / "tiny_train.csv"], out=tmp_path / "m")
        assert refused.value.returncode == tasks.BUSY_EXIT_CODE
    assert not BotModelVersion.objects.exists()


HOLD = (
    "import fcntl, os, sys, time; f = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
    "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"
)


def test_the_sqlite_lock_is_released_when_its_holder_is_killed(tmp_path):
    path = tmp_path / "okpay.sqlite3.okpay-bot-training.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy), _file_lock(path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with _file_lock(path):
        pass


def test_a_stopping_worker_ends_the_training_within_a_second_and_queues_it_again(
    db, db_tasks, stopping, monkeypatch
):
    monkeypatch.setattr(
        tasks, "train_command", lambda **kwargs: [sys.executable, "-c", "import time; time.sleep(120)"]
    )
    threading.Timer(0.5, stopping.set).start()
    started = time.monotonic()
    with pytest.raises(tasks.TrainingInterrupted):
        tasks.bot_train_task.call(actor_id=None, data=["x.csv"])
    assert time.monotonic() - started < 3
    (again,) = trainings(TaskResultStatus.READY)
    assert again.queue_name == "training" and again.args_kwargs["kwargs"] == {
        "actor_id": None,
        "data": ["x.csv"],
    }


def test_a_training_that_finds_another_running_waits_a_minute(db, db_tasks, stopping, monkeypatch):
    monkeypatch.setattr(
        tasks,
        "train_command",
        lambda **kwargs: [sys.executable, "-c", f"raise SystemExit({tasks.BUSY_EXIT_CODE})"],
    )
    assert "another training is running" in tasks.bot_train_task.call()
    (again,) = trainings(TaskResultStatus.READY)
    assert timedelta(seconds=50) < again.run_after - timezone.now() <= timedelta(minutes=1)


def test_a_failed_training_is_not_queued_again(db, db_tasks, stopping, monkeypatch):
    monkeypatch.setattr(
        tasks, "train_command", lambda **kwargs: [sys.executable, "-c", "raise SystemExit(1)"]
    )
    with pytest.raises(RuntimeError, match="exited with 1"):
        tasks.bot_train_task.call()
    assert not trainings().exists()


def _start_the_product():
    """What a start does to the training queue: the demo step, then the worker's start-up."""
    (step,) = [step for step in hooks.items(hooks.DEMO_STEPS) if step.name == "bot"]
    summary = step.run()
    worker.worker_start()
    return summary


def test_starting_the_product_three_times_queues_one_training(db, db_tasks, settings, monkeypatch, tmp_path):
    """Without a usable shipped model (okpay/bot/shipped.py; here: none), the first start queues a
    training, and however many starts follow, one."""
    from okpay.bot import shipped

    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path)
    settings.OKPAY_BOT_TRAIN_ON_DEMO = True
    assert "first training queued" in _start_the_product()
    (first,) = trainings(TaskResultStatus.READY)
    first.claim("a-worker-that-was-killed")  # the first start died mid-training (kill -9)
    assert "already queued or running" in _start_the_product()
    first.refresh_from_db()
    assert (first.status, first.exception_class_path) == (TaskResultStatus.FAILED, worker.WORKER_LOST)
    assert trainings(TaskResultStatus.READY).count() == 1  # queued again by the worker's start-up
    assert "already queued or running" in _start_the_product()
    assert trainings(TaskResultStatus.READY, TaskResultStatus.RUNNING).count() == 1
    assert trainings().count() == 2


def test_a_training_queued_before_the_training_queue_existed_moves_to_it(db, db_tasks):
    tasks.bot_train_task.using(queue_name="default").enqueue()
    worker.worker_start()
    assert list(trainings().values_list("queue_name", flat=True)) == ["training"]


@pytest.mark.django_db(transaction=True)
def test_inference_runs_outside_the_transaction_and_the_turn_is_recorded_after(tiny_model_dir, monkeypatch):
    from okpay.bot import engine
    from okpay.bot.model import IntentModel

    engine.forget_model()
    BotModelVersion.objects.create(version="tiny", path=str(tiny_model_dir / "model.joblib"), is_active=True)
    seen = []
    predict = IntentModel.predict

    def watched(self, *args, **kwargs):
        seen.append((connection.in_atomic_block, BotTurn.objects.count()))
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(IntentModel, "predict", watched)
    try:
        result = engine.answer("how do I reset my password", "en")
    finally:
        engine.forget_model()
    assert seen == [(False, 0)]
    assert BotTurn.objects.get(pk=result.turn_id).intent == result.intent
