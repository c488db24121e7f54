"""The trained model shipped in okpay/bot/data/model/ (okpay/bot/shipped.py): it matches the shipped
data, a new installation activates it at once instead of training, and a changed or damaged one is not
used (the first training is queued as before)."""

import json
import shutil

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from okpay.bot import shipped
from okpay.bot.models import BotModelVersion
from okpay.bot.okpay_hooks import _train_if_missing
from okpay.bot.tasks import bot_train_task

SHIPPED = shipped.SHIPPED_DIR


@pytest.fixture
def first_start(settings, tmp_path):
    settings.OKPAY_BOT_TRAIN_ON_DEMO = True
    settings.VAR_DIR = tmp_path
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}
    }


def trainings_queued() -> int:
    return DBTaskResult.objects.filter(
        task_path=bot_train_task.module_path, status=TaskResultStatus.READY
    ).count()


def test_the_shipped_model_was_trained_on_the_shipped_data():
    """Fails when a training file changes without `okpay bot ship` (the first start would then train)."""
    assert shipped.shipped_problem() is None
    meta = shipped.shipped_meta()
    assert meta["report"]["oos_valid.csv"]["oos_recall"] >= 0.8
    assert meta["report"]["valid_zh_a.csv"]["accuracy"] >= 0.9


@pytest.mark.slow
def test_a_new_installation_answers_from_the_shipped_model_without_training(db, first_start, tmp_path):
    from okpay.bot import engine

    message = _train_if_missing()
    assert "shipped model" in message
    active = BotModelVersion.objects.get(is_active=True)
    assert active.version.startswith("shipped-") and active.path.startswith(str(tmp_path))
    assert active.metrics["shipped"] is True
    assert trainings_queued() == 0
    engine.forget_model()
    try:
        model, version = engine.active_model()
        assert version == active.version
        prediction = model.predict("忘记密码了怎么办", embedder=engine._embedder)
        assert prediction.intent in ("reset_password", "passcode_forgotten")
        assert not model.abstains(prediction)
    finally:
        engine.forget_model()
    assert _train_if_missing() is None  # a version is active: nothing more to do


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    copy = tmp_path / "shipped"
    copy.mkdir()
    meta = json.loads((SHIPPED / shipped.META_FILE).read_text())
    (copy / shipped.META_FILE).write_text(json.dumps(meta))
    (copy / shipped.MODEL_FILE).write_bytes(b"not a model")
    monkeypatch.setattr(shipped, "SHIPPED_DIR", copy)
    return copy, meta


def test_a_damaged_model_file_is_not_used(db, first_start, shipped_copy):
    copy, _meta = shipped_copy
    assert shipped.shipped_problem(copy) == "the shipped model file does not match its checksum"
    message = _train_if_missing()
    assert "first training queued" in message and "checksum" in message
    assert not BotModelVersion.objects.exists() and trainings_queued() == 1


def test_changed_training_data_means_a_training(db, first_start, shipped_copy):
    copy, meta = shipped_copy
    shutil.copyfile(SHIPPED / shipped.MODEL_FILE, copy / shipped.MODEL_FILE)
    meta["data_fingerprint"] = "0" * 64
    (copy / shipped.META_FILE).write_text(json.dumps(meta))
    assert shipped.shipped_problem(copy) == "the training data changed since the shipped model was trained"
    message = _train_if_missing()
    assert "training data changed" in message
    assert not BotModelVersion.objects.exists() and trainings_queued() == 1
