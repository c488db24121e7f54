"""Rebuild the shipped e5 embedding cache (okpay/bot/data/embeddings/e5.npz) for every shipped
training and validation row: `.venv/bin/python scripts/bot_embeddings.py` after editing the data.
e5 embeds ≈ 70 rows/s on two cores; without this file the first `okpay bot train` takes minutes more."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

import numpy as np  # noqa: E402

from okpay.bot.model import SHIPPED_EMBEDDINGS, RowCache, clean  # noqa: E402
from okpay.bot.training import SHIPPED_TRAIN, SHIPPED_VALID, read_rows  # noqa: E402
from okpay.core.text import e5_embed  # noqa: E402

texts, _labels = read_rows(SHIPPED_TRAIN + SHIPPED_VALID)
cleaned = list(dict.fromkeys(clean(t) for t in texts))
target = SHIPPED_EMBEDDINGS / "e5.npz"
cache = RowCache(
    "e5", e5_embed, 384, shipped=target if target.exists() else None, local=None, dtype=np.float16
)
started = time.perf_counter()
cache.get(cleaned)
keep = {RowCache.key(t) for t in cleaned}
cache._rows = {k: v for k, v in cache._load().items() if k in keep}  # drop rows no longer shipped
cache.save(target)
print(
    f"{len(cleaned)} rows → {target} ({target.stat().st_size / 1e6:.1f} MB) "
    f"in {time.perf_counter() - started:.0f} s"
)
