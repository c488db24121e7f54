"""The trained model that ships with the code (`okpay/bot/data/model/`): a new installation's first
model, active as soon as its first `okpay demo` ends, with no training to wait for.

It is valid only for what it was trained on. `meta.json` beside it holds the fingerprint of the
shipped training and validation data (and the model format), the model file's SHA-256 and the training
report (held-out figures). When the data or the format has changed since, or the file does not match
its checksum, the shipped model is not used and the first start queues a training as before
(okpay_hooks._train_if_missing). `okpay bot ship` trains on the shipped data and writes all three
files; a test fails when the data changes without a new shipped model."""

import hashlib
import json
import shutil
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from . import training
from .model import FORMAT

SHIPPED_DIR = training.DATA / "model"
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint() -> str:
    """SHA-256 over the model format and every shipped training and validation file (name and bytes),
    in their fixed order: what a model trained on the shipped data was trained on."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for path in [*training.SHIPPED_TRAIN, *training.SHIPPED_VALID]:
        digest.update(f"{path.relative_to(training.DATA).as_posix()}\n".encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def shipped_meta(directory: Path | None = None) -> dict | None:
    try:
        return json.loads(((directory or SHIPPED_DIR) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def shipped_problem(directory: Path | None = None) -> str | None:
    """Why the shipped model cannot serve this code and data, or None when it can."""
    directory = directory or SHIPPED_DIR
    meta = shipped_meta(directory)
    if meta is None:
        return "no shipped model"
    if meta.get("format") != FORMAT:
        return f"the shipped model has format {meta.get('format')}, the code expects {FORMAT}"
    if meta.get("data_fingerprint") != data_fingerprint():
        return "the training data changed since the shipped model was trained"
    path = directory / MODEL_FILE
    if not path.is_file() or file_sha256(path) != meta.get("sha256"):
        return "the shipped model file does not match its checksum"
    return None


def shipped_activate(*, directory: Path | None = None):
    """Install the shipped model as this installation's active version (a copy under VAR_DIR, like a
    trained one) and return it; None when it cannot serve (see shipped_problem) or when a version is
    active already."""
    from .actions import model_activate, models_dir
    from .models import BotModelVersion

    directory = directory or SHIPPED_DIR
    if shipped_problem(directory) is not None:
        return None
    meta = shipped_meta(directory) or {}
    version = f"shipped-{meta['data_fingerprint'][:12]}"
    target = models_dir() / version
    target.mkdir(parents=True, exist_ok=True)
    copied = target / MODEL_FILE
    if not copied.is_file() or file_sha256(copied) != meta["sha256"]:
        partial = target / (MODEL_FILE + ".part")
        shutil.copyfile(directory / MODEL_FILE, partial)
        partial.replace(copied)
    with transaction.atomic():
        if BotModelVersion.objects.select_for_update().filter(is_active=True).exists():
            return None
        row, _created = BotModelVersion.objects.get_or_create(
            version=version,
            defaults={
                "path": str(copied),
                "metrics": {"shipped": True, **meta.get("report", {})},
                "training_rows": meta.get("train_rows", 0),
            },
        )
        return model_activate(version=row)


def ship(model, *, directory: Path | None = None, report: dict) -> Path:
    """Write `model` (trained on the shipped data) as the shipped model, its checksum and report."""
    directory = directory or SHIPPED_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = training.save(model, directory)  # model.joblib and the usual meta.json, replaced below
    meta = {
        "format": FORMAT,
        "data_fingerprint": data_fingerprint(),
        "sha256": file_sha256(path),
        "size_bytes": path.stat().st_size,
        "trained_at": timezone.now().isoformat(timespec="seconds"),
        "train_rows": model.metadata.get("train_rows", 0),
        "threshold": model.threshold,
        "intents": model.metadata.get("intents", []),
        "report": report,
    }
    (directory / META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path
