"""Serving cost of the answer bot in a fresh process: model load time, one-query latency of the model
(p50/p99 after warm-up) and resident memory once loaded. Targets: load ≤ 3 s, p99 ≤ 20 ms, RSS ≤ 400 MB.

    .venv/bin/python bench/bot_serve.py --model var/bot/models/<version>/model.joblib
"""

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django


def rss_mb() -> float:
    import os

    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    args = parser.parse_args()
    _django.setup(load_content=False)
    from okpay.bot import training
    from okpay.bot.model import Embedder, serving_threads

    before = rss_mb()
    started = time.perf_counter()
    model = training.load(args.model)
    file_load = time.perf_counter() - started
    serving_threads()  # as the engine does when it loads the model
    embedder = Embedder(cache_dir=None)
    model.predict("warm up", embedder=embedder)
    model.probabilities(["预热"], embedder=embedder, embeddings=None)
    Embedder.e5_tokens("warm up")
    embedder.e5(["warm up"])
    load = time.perf_counter() - started
    with open(training.DATA / "valid_okpay.csv", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    with open(training.DATA / "valid_zh_a.csv", encoding="utf-8") as handle:
        texts += [row["text"] for row in csv.DictReader(handle)]
    for text in texts[:30]:
        model.predict(text, embedder=embedder)
    timings = []
    for text in texts:
        t0 = time.perf_counter()
        model.predict(text, embedder=embedder)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    print(
        f"model file {file_load:.2f} s; + encoders, jieba and first answer {load:.2f} s; {len(timings)} "
        f"queries: p50 {timings[len(timings) // 2]:.2f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)]:.2f} ms; RSS {rss_mb():.0f} MB (process start "
        f"{before:.0f} MB)"
    )


if __name__ == "__main__":
    main()
