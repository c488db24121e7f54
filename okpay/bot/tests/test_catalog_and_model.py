import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from okpay.bot import training
from okpay.bot.catalog import catalog
from okpay.bot.tests.conftest import FIXTURES
from okpay.core.text import CJK

pytestmark = pytest.mark.smoke
ARTICLES = Path(__file__).resolve().parents[2] / "helpcenter" / "content" / "articles"


def test_catalog_has_every_intent_with_both_languages_and_real_articles():
    intents = catalog()
    assert len(intents) == 95
    banking = json.loads((training.DATA / "banking77" / "categories.json").read_text())
    assert set(banking) <= set(intents)
    for intent in intents.values():
        assert intent.answer["zh-hans"].strip() and intent.answer["en"].strip(), intent.name
        assert intent.article is None or (ARTICLES / intent.article).is_dir(), intent.name
    assert {"lost_or_stolen_card", "talk_to_human", "complaint", "compromised_card"} <= {
        i.name for i in intents.values() if i.hand_off
    }


def test_every_intent_has_training_examples_in_both_languages():
    languages: dict[str, set] = defaultdict(set)
    counts: dict[tuple, int] = defaultdict(int)
    for path in training.SHIPPED_TRAIN:
        with open(path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                language = "zh" if CJK.search(row["text"]) else "en"
                languages[row["category"]].add(language)
                counts[(row["category"], language)] += 1
    for name in catalog():
        assert languages[name] == {"zh", "en"}, name
        assert counts[(name, "zh")] >= 25, name


def test_training_is_reproducible(db):
    """Same data and seed → the same model. BLAS sums in a thread-count-dependent order, so both
    trainings run with one BLAS thread (as the serving process does); otherwise float32 round-off
    differs by ~1e-5 depending on which test ran first."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        first = training.train([FIXTURES / "tiny_train.csv"])
        second = training.train([FIXTURES / "tiny_train.csv"])
        texts, _labels = training.read_rows([FIXTURES / "tiny_test.csv"])
        a = first.probabilities(texts, embedder=training.embedder())
        b = second.probabilities(texts, embedder=training.embedder())
    assert [p.intent for p in first.rank(a)] == [p.intent for p in second.rank(b)]
    assert abs(a - b).max() < 1e-6


def test_confidence_means_something(tiny_model_dir, db):
    model = training.load(tiny_model_dir / "model.joblib")
    texts, labels = training.read_rows([FIXTURES / "tiny_test.csv"])
    predictions = model.rank(model.probabilities(texts, embedder=training.embedder()))
    right = [p.confidence for p, label in zip(predictions, labels, strict=True) if p.intent == label]
    wrong = [
        p.confidence
        for p, label in zip(predictions, labels, strict=True)
        if p.intent != label and label != "out_of_scope"
    ]
    assert len(right) > len(wrong)
    assert sum(right) / len(right) > (sum(wrong) / len(wrong) if wrong else 0)
    threshold = model.choose_threshold(model.probabilities(texts, embedder=training.embedder()), labels)
    assert 0.05 <= threshold <= 0.8


def test_eval_prints_a_report_then_one_json_line(db, capsys):
    call_command("bot", "eval", test=FIXTURES / "tiny_test.csv", train=FIXTURES / "tiny_train.csv")
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert set(summary) == {
        "n",
        "accuracy",
        "top3",
        "answered_accuracy",
        "in_scope_abstain_rate",
        "oos_n",
        "oos_recall",
        "p50_ms",
        "p99_ms",
        "train_s",
        "rss_mb",
    }
    assert summary["n"] == 16 and summary["oos_n"] == 2
    assert summary["accuracy"] >= 0.7
    assert 100 < summary["rss_mb"] < 1000  # a fresh process serving the model, not this test process
    assert any(line.startswith("reset_password") for line in lines[:-1])


def test_eval_refuses_a_missing_file(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("bot", "eval", test=Path("/nonexistent.csv"))


def test_train_command_with_data_activates_a_new_version(db, tmp_path):
    from okpay.bot.models import BotModelVersion

    call_command("bot", "train", data=[FIXTURES / "tiny_train.csv"], out=tmp_path / "m")
    active = BotModelVersion.objects.get(is_active=True)
    assert Path(active.path).exists() and active.training_rows == 104


def test_shipped_e5_cache_covers_every_shipped_row():
    """Edit the training data → run scripts/bot_embeddings.py, or the next training spends minutes
    embedding the new rows."""
    import numpy as np

    from okpay.bot.model import SHIPPED_EMBEDDINGS, RowCache, clean

    with np.load(SHIPPED_EMBEDDINGS / "e5.npz") as data:
        keys = {bytes(k) for k in data["keys"]}
        assert data["vectors"].dtype == np.float16 and data["vectors"].shape[1] == 384
    texts, _labels = training.read_rows(training.SHIPPED_TRAIN + training.SHIPPED_VALID)
    missing = [t for t in texts if RowCache.key(clean(t)) not in keys]
    assert not missing, missing[:5]


def test_row_cache_returns_what_the_encoder_gave_and_remembers_it(tmp_path):
    import numpy as np

    from okpay.bot.model import RowCache

    calls = []

    def encode(rows):
        calls.append(list(rows))
        return np.array([[len(r), 1.5] for r in rows], dtype=np.float32)

    cache = RowCache("t", encode, 2, shipped=None, local=tmp_path / "t.npz", dtype=np.float16)
    first = cache.get(["ab", "abc", "ab"])
    assert first.tolist() == [[2, 1.5], [3, 1.5], [2, 1.5]] and calls == [["ab", "abc"]]
    again = RowCache("t", encode, 2, shipped=None, local=tmp_path / "t.npz", dtype=np.float16)
    assert again.get(["abc"]).tolist() == [[3, 1.5]] and len(calls) == 1  # read back from disk


def test_a_model_file_of_an_older_format_is_refused_and_the_bot_hands_over(tiny_model_dir, db, tmp_path):
    import joblib

    from okpay.bot.engine import answer, forget_model
    from okpay.bot.models import BotModelVersion

    model = training.load(tiny_model_dir / "model.joblib")
    model.format = 1
    joblib.dump(model, tmp_path / "old.joblib")
    with pytest.raises(training.ModelFormatError):
        training.load(tmp_path / "old.joblib")
    forget_model()
    BotModelVersion.objects.create(version="old", path=str(tmp_path / "old.joblib"), is_active=True)
    try:
        result = answer("how do I reset my password", "en", None)
    finally:
        forget_model()
    assert result.hand_off and result.hand_off_reason == "model_unavailable"


def test_lexical_scorer_gives_what_sklearn_gives(db):
    import numpy as np
    from scipy.sparse import hstack

    from okpay.bot.model import clean, lexical_form

    model = training.train([FIXTURES / "tiny_train.csv"])
    word, char, regression = model.sklearn_parts
    texts = [
        "How do I reset my password?",
        "我的卡丢了怎么办",
        "ATM 取钱 被吞卡了!!",
        "",
        "🙂🙂",
        "a",
        "top up  top up top-up with Apple Pay",
        "提现到招商银行卡要多久到账 withdrawal",
    ]
    features = hstack(
        [word.transform([lexical_form(t) for t in texts]), char.transform([clean(t) for t in texts])]
    ).tocsr()
    expected = regression.predict_log_proba(features)
    got = model.lexical.log_proba([lexical_form(t) for t in texts], [clean(t) for t in texts])
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_a_serving_process_does_not_load_scikit_learn(tiny_model_dir, tmp_path):
    import subprocess
    import sys

    code = (
        "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'; "
        "django.setup()\n"
        "from pathlib import Path\n"
        "from okpay.bot import training\n"
        "from okpay.bot.model import Embedder\n"
        f"model = training.load(Path({str(tiny_model_dir / 'model.joblib')!r}))\n"
        "print(model.predict('how do I reset my password', embedder=Embedder()).intent)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
        env={**__import__("os").environ, "OKPAY_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    intent, modules = result.stdout.strip().splitlines()[-2:]
    assert intent == "reset_password" and modules == "[]"


def test_e5_is_asked_only_when_the_fast_blend_is_unsure_and_the_message_is_short(
    tiny_model_dir, db, monkeypatch
):
    from okpay.bot.model import Embedder

    model = training.load(tiny_model_dir / "model.joblib")
    calls = []
    real = Embedder.e5

    def counting(self, texts, *, batch=False):
        calls.append(list(texts))
        return real(self, texts, batch=batch)

    monkeypatch.setattr(Embedder, "e5", counting)
    encoders = Embedder()
    model.gate_confidence = 0.0  # always sure enough
    model.predict("how do I reset my password", embedder=encoders)
    assert calls == []
    model.gate_confidence = 1.01  # never sure enough
    model.predict("how do I reset my password", embedder=encoders)
    assert calls == [["how do I reset my password"]]
    model.predict("please help me " * 20, embedder=encoders)  # over the token budget: the fast blend answers
    assert len(calls) == 1
