"""Training data, training, evaluation and model files (`okpay bot train` / `okpay bot eval`)."""

import csv
import json
import resource
import time
from collections import Counter, defaultdict
from pathlib import Path

import joblib
from django.conf import settings

from .model import FORMAT, OUT_OF_SCOPE, Embedder, IntentModel, serving_threads

DATA = Path(__file__).resolve().parent / "data"
SHIPPED_TRAIN = [
    DATA / "banking77" / "train.csv",
    DATA / "train_zh_a.csv",
    DATA / "train_zh_b.csv",
    DATA / "train_zh_a2.csv",
    DATA / "train_zh_b2.csv",
    DATA / "train_okpay.csv",
    DATA / "oos_train.csv",
]
SHIPPED_VALID = [
    DATA / "valid_zh_a.csv",
    DATA / "valid_zh_b.csv",
    DATA / "valid_okpay.csv",
    DATA / "oos_valid.csv",
]


def read_rows(paths) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"text", "category"} <= set(reader.fieldnames or []):
                raise ValueError(f"{path}: the header must include text,category")
            for row in reader:
                text, label = (row.get("text") or "").strip(), (row.get("category") or "").strip()
                if text and label:
                    texts.append(text)
                    labels.append(label)
    return texts, labels


def embedder() -> Embedder:
    return Embedder(cache_dir=Path(settings.VAR_DIR) / "bot" / "embeddings")


def train(train_paths, *, validation_paths=None, seed: int = 0) -> IntentModel:
    texts, labels = read_rows(train_paths)
    model = IntentModel(seed=seed).fit(texts, labels, embedder=embedder())
    if validation_paths:
        valid_texts, valid_labels = read_rows(validation_paths)
        model.choose_threshold(model.probabilities(valid_texts, embedder=embedder()), valid_labels)
    model.metadata["intents"] = sorted(set(labels) - {OUT_OF_SCOPE})
    return model


def save(model: IntentModel, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.joblib"
    joblib.dump(model, path, compress=3)
    (directory / "meta.json").write_text(
        json.dumps({"threshold": model.threshold, **model.metadata}, indent=2)
    )
    return path


class ModelFormatError(Exception):
    pass


def load(path: Path) -> IntentModel:
    model = joblib.load(path)
    if getattr(model, "format", 1) != FORMAT:
        raise ModelFormatError(f"{path} was trained by an older version; run `okpay bot train`")
    return model


def evaluate(model: IntentModel, test_path, *, train_seconds: float | None = None) -> tuple[str, dict]:
    """The report of `okpay bot eval`: per-intent lines, then the summary dict (see the issue)."""
    texts, labels = read_rows([test_path])
    probabilities = model.probabilities(texts, embedder=embedder())
    predictions = model.rank(probabilities)
    per_intent: dict[str, Counter] = defaultdict(Counter)
    in_scope = oos = correct = top3 = answered_correct = abstained_in = oos_caught = 0
    for prediction, label in zip(predictions, labels, strict=True):
        abstain = model.abstains(prediction)
        if label == OUT_OF_SCOPE:
            oos += 1
            oos_caught += abstain
            continue
        in_scope += 1
        hit = prediction.intent == label
        correct += hit
        top3 += label in prediction.labels[:3]
        abstained_in += abstain
        answered_correct += hit and not abstain
        per_intent[label]["n"] += 1
        per_intent[label]["correct"] += hit
    lines = [
        f"{intent:45} n={c['n']:4}  accuracy {c['correct'] / c['n']:.1%}"
        for intent, c in sorted(per_intent.items())
    ]
    latencies = []
    serving_threads()  # measured as a serving process runs
    single = Embedder(cache_dir=None)
    for text in texts[:20]:
        model.predict(text, embedder=single)  # warm-up
    for text in texts[: min(len(texts), 500)]:
        started = time.perf_counter()
        model.predict(text, embedder=single)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    summary = {
        "n": len(texts),
        "accuracy": round(correct / in_scope, 4) if in_scope else None,
        "top3": round(top3 / in_scope, 4) if in_scope else None,
        "answered_accuracy": round(answered_correct / in_scope, 4) if in_scope else None,
        "in_scope_abstain_rate": round(abstained_in / in_scope, 4) if in_scope else None,
        "oos_n": oos,
        "oos_recall": round(oos_caught / oos, 4) if oos else None,
        "p50_ms": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2)
        if latencies
        else None,
        "train_s": train_seconds if train_seconds is not None else model.metadata.get("train_seconds"),
        "rss_mb": None,
    }
    return "\n".join(lines), summary


SERVING_PROBE = """
import os, sys
from pathlib import Path
import django
django.setup()
from okpay.bot.model import Embedder, serving_threads
from okpay.bot.training import load
model = load(Path(sys.argv[1]))
serving_threads()
encoders = Embedder()
for text in ("怎么重置密码", "how do I top up with Apple Pay",
             "我的卡被ATM吞了 怎么办", "card payment declined"):
    model.predict(text, embedder=encoders)
encoders.e5(["warm up"])
print(int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
"""


def serving_rss_mb(model: IntentModel) -> float | None:
    """Resident memory of a fresh process that serves `model` (model, both encoders, jieba, Django),
    as a web process does. Training or batch evaluation in this process would inflate it."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = save(model, Path(folder))
        result = subprocess.run(
            [sys.executable, "-c", SERVING_PROBE, str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            env=os.environ.copy(),
            cwd=settings.BASE_DIR,
        )
    try:
        return round(float(result.stdout.strip().splitlines()[-1]), 1)
    except (ValueError, IndexError):
        return None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cross_validate(train_paths, *, folds: int = 5, seed: int = 0) -> float:
    """Stratified k-fold accuracy of the production pipeline (embeddings computed once, from the
    row caches; every fold trains the lexical model and both MLPs from scratch)."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = read_rows(train_paths)
    encoders = embedder()
    use, e5 = encoders.use(texts, batch=True), encoders.e5(texts, batch=True)
    hits = 0
    for train_index, test_index in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        texts, labels
    ):
        model = IntentModel(seed=seed)
        model.fit(
            [texts[i] for i in train_index],
            [labels[i] for i in train_index],
            embedder=encoders,
            embeddings={"use": use[train_index], "e5": e5[train_index]},
        )
        probabilities = model.probabilities(
            [texts[i] for i in test_index],
            embedder=None,
            embeddings={"use": use[test_index], "e5": e5[test_index]},
        )
        hits += sum(p.intent == labels[i] for p, i in zip(model.rank(probabilities), test_index, strict=True))
    return hits / len(texts)
