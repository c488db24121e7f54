"""Bot model lifecycle: train a version from the shipped data (+ accepted corrections), activate
one, review agents' corrections."""

import json
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError
from okpay.core.locks import LockBusy, installation_lock

from . import training
from .choices import CorrectionStatus
from .models import BotModelVersion, BotTrainingExample, BotTurn


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "bot" / "models"


def _corrections_csv() -> Path | None:
    examples = list(BotTrainingExample.objects.values_list("text", "intent"))
    if not examples:
        return None
    import csv

    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, encoding="utf-8", newline=""
    ) as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(examples)
    return Path(handle.name)


class TrainingBusy(Exception):
    """Another training is running (in this installation, on any host)."""


TRAINING_LOCK = "okpay-bot-training"


def model_train(
    *, data: list[Path] | None = None, out: Path | None = None, actor=None, activate: bool = True
) -> BotModelVersion:
    """Train on `data` (default: the shipped catalog plus accepted corrections), save, activate. One
    training at a time per installation (a lock that a crash releases); raises TrainingBusy."""
    try:
        with installation_lock(TRAINING_LOCK):
            return _model_train(data=data, out=out, actor=actor, activate=activate)
    except LockBusy:
        raise TrainingBusy("another training of the answer bot is running") from None


def _model_train(*, data, out, actor, activate) -> BotModelVersion:
    started = time.perf_counter()
    paths = list(data) if data else list(training.SHIPPED_TRAIN)
    if not data and (extra := _corrections_csv()) is not None:
        paths.append(extra)
    validation = None if data else training.SHIPPED_VALID
    model = training.train(paths, validation_paths=validation)
    version = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    directory = out or models_dir() / version
    path = training.save(model, directory)
    metrics = {
        "threshold": model.threshold,
        "train_seconds": round(time.perf_counter() - started, 1),
        "intents": len(model.metadata.get("intents", [])),
    }
    row = BotModelVersion.objects.create(
        version=version,
        path=str(path),
        metrics=metrics,
        training_rows=model.metadata.get("train_rows", 0),
        created_by=actor,
    )
    if activate:
        model_activate(version=row, actor=actor)
    return row


@transaction.atomic
def model_activate(*, version: BotModelVersion, actor=None) -> BotModelVersion:
    BotModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    BotModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.refresh_from_db()
    if actor is not None:
        audit_event_record(action="bot.model_activated", actor=actor, data={"version": version.version})
    return version


def turn_correct(*, actor, turn: BotTurn, intent: str) -> BotTurn:
    from .catalog import OUT_OF_SCOPE, catalog

    if intent not in catalog() and intent != OUT_OF_SCOPE:
        raise DomainError("unknown_intent", _("Choose an intent from the list."))
    turn.corrected_intent, turn.corrected_by = intent, actor
    turn.correction_status = CorrectionStatus.PROPOSED
    turn.save(update_fields=["corrected_intent", "corrected_by", "correction_status"])
    return turn


@transaction.atomic
def correction_review(*, actor, turn: BotTurn, accept: bool) -> BotTurn:
    turn.correction_status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.REJECTED
    turn.save(update_fields=["correction_status"])
    if accept:
        BotTrainingExample.objects.update_or_create(
            source_turn=turn,
            defaults={
                "text": turn.text,
                "intent": turn.corrected_intent,
                "language": turn.language,
                "accepted_by": actor,
            },
        )
    audit_event_record(
        action="bot.correction_reviewed", actor=actor, data={"turn": turn.pk, "accepted": accept}
    )
    return turn


def metrics_text(version: BotModelVersion) -> str:
    return json.dumps(version.metrics, ensure_ascii=False)
