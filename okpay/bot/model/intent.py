"""The intent model: the three views blended, e5 only when needed, out-of-scope as a class and a
threshold."""

import time
from dataclasses import dataclass, field

import numpy as np

from .embeddings import Embedder
from .heads import LexicalScorer, MLPHead, _softmax_rows
from .text import OUT_OF_SCOPE, clean, lexical_form


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


FORMAT = 3  # bump when the pickled model's shape changes; older files are refused, not misread


def _needed(embedder: Embedder | None) -> Embedder:
    """The embedder, for embeddings the caller did not pass in."""
    if embedder is None:
        raise ValueError("no embedder, and the embeddings were not given")
    return embedder


@dataclass
class IntentModel:
    """Three views of a message: a lexical model (TF-IDF words + character n-grams, logistic
    regression), an MLP on USE embeddings and an MLP on e5 embeddings. Their log-probabilities are
    blended (a weighted geometric mean). e5 is the slow one, so it is asked only when the first two
    are unsure (blend confidence < gate_confidence) and the message is short enough to stay within
    the latency budget (≤ gate_tokens e5 tokens); the rest use the two-model blend."""

    lexical_c: float = 30.0
    fast_weights: tuple = (0.25, 0.75)  # lexical, USE
    full_weights: tuple = (0.2, 0.3, 0.5)  # lexical, USE, e5
    gate_confidence: float = 0.8
    gate_tokens: int = 20
    mlp_seeds: tuple = (0, 1)
    threshold: float = 0.3
    seed: int = 0
    format: int = FORMAT
    classes: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    def fit(
        self, texts: list[str], labels: list[str], *, embedder: Embedder, embeddings: dict | None = None
    ) -> "IntentModel":
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        started = time.perf_counter()
        # float32 features to match the float32 weights kept for serving (no per-query upcast copy)
        self.word_vectorizer = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",
            min_df=1,
            dtype=np.float32,
        )
        self.char_vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
            max_features=300_000,
            dtype=np.float32,
        )
        lexical = [lexical_form(t) for t in texts]
        features = hstack(
            [
                self.word_vectorizer.fit_transform(lexical),
                self.char_vectorizer.fit_transform([clean(t) for t in texts]),
            ]
        ).tocsr()
        lexical_model = LogisticRegression(C=self.lexical_c, max_iter=3000, random_state=self.seed)
        lexical_model.fit(features, labels)
        self.classes = list(lexical_model.classes_)
        self.lexical = LexicalScorer(self.word_vectorizer, self.char_vectorizer, lexical_model)
        self.sklearn_parts = (
            self.word_vectorizer,
            self.char_vectorizer,
            lexical_model,
        )  # for tests; not saved
        del self.word_vectorizer, self.char_vectorizer
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.array([index[label] for label in labels])
        embeddings = embeddings or {}
        use = embeddings["use"] if "use" in embeddings else embedder.use(texts, batch=True)
        e5 = embeddings["e5"] if "e5" in embeddings else embedder.e5(texts, batch=True)
        self.use_head = MLPHead(seeds=self.mlp_seeds).fit(use, y, len(self.classes))
        self.e5_head = MLPHead(seeds=self.mlp_seeds).fit(e5, y, len(self.classes))
        self.metadata["train_seconds"] = round(time.perf_counter() - started, 1)
        self.metadata["train_rows"] = len(texts)
        return self

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("sklearn_parts", None)
        return state

    def probabilities(
        self, texts: list[str], *, embedder: Embedder | None, embeddings: dict | None = None
    ) -> np.ndarray:
        lexical = self.lexical.log_proba([lexical_form(t) for t in texts], [clean(t) for t in texts])
        embeddings = embeddings or {}
        batch = len(texts) > 8
        use = embeddings["use"] if "use" in embeddings else _needed(embedder).use(texts, batch=batch)
        use_lp = self.use_head.log_proba(use)
        fast_lex, fast_use = self.fast_weights
        probabilities = _softmax_rows(fast_lex * lexical + fast_use * use_lp)
        unsure = [
            i
            for i in np.flatnonzero(probabilities.max(1) < self.gate_confidence)
            if Embedder.e5_tokens(texts[i]) <= self.gate_tokens
        ]
        if unsure:
            e5 = (
                embeddings["e5"][unsure]
                if "e5" in embeddings
                else _needed(embedder).e5([texts[i] for i in unsure], batch=batch)
            )
            w_lex, w_use, w_e5 = self.full_weights
            probabilities[unsure] = _softmax_rows(
                w_lex * lexical[unsure] + w_use * use_lp[unsure] + w_e5 * self.e5_head.log_proba(e5)
            )
        return probabilities

    def rank(self, probabilities: np.ndarray) -> list[Prediction]:
        oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else None
        predictions = []
        for row in probabilities:
            order = [i for i in np.argsort(-row) if i != oos]
            predictions.append(
                Prediction(
                    [self.classes[i] for i in order[:5]],
                    [float(row[i]) for i in order[:5]],
                    float(row[oos]) if oos is not None else 0.0,
                )
            )
        return predictions

    def abstains(self, prediction: Prediction) -> bool:
        return prediction.confidence < self.threshold or prediction.out_of_scope_score > prediction.confidence

    def predict(self, text: str, *, embedder: Embedder) -> Prediction:
        return self.rank(self.probabilities([text], embedder=embedder))[0]

    def choose_threshold(
        self, probabilities: np.ndarray, labels: list[str], *, max_in_scope_abstain: float = 0.05
    ) -> float:
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
