"""The classifiers on top of the features: an MLP on standardised embeddings, and the lexical
model (TF-IDF + logistic regression) reduced to numpy for serving."""

import itertools
import re

import numpy as np


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
        total: np.ndarray | None = None
        for w1, b1, w2, b2 in self.params:
            logits = np.maximum(z @ w1 + b1, 0) @ w2 + b2
            logits -= logits.max(1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(1, keepdims=True)
            total = p if total is None else total + p
        if total is None:
            raise ValueError("the head has no trained networks")
        return np.log(total / len(self.params) + 1e-12)


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


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
