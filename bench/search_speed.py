"""Help-center search at scale: 10,000 generated articles per language (sentences recombined from the
shipped articles), index build time, memory, and search latency (p50/p95/p99 in-process) over the
labelled query set. Targets: p95 ≤ 10 ms, build ≤ 30 s.

    .venv/bin/python bench/search_speed.py [--articles 10000]
"""

import argparse
import csv
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    _django.setup(load_content=False)
    from okpay.helpcenter.search import Document, Index, embed, tokenize
    from okpay.helpcenter.shipped import CONTENT_DIR, _read_markdown

    tokenize("预热 warm up")  # load jieba and the encoders before measuring
    embed(["warm up"])
    embed(["warm up"], batch=True)
    random.seed(7)
    with open(Path(__file__).parent / "data" / "search_queries.csv", encoding="utf-8") as handle:
        queries = list(csv.DictReader(handle))
    for language in ("zh-hans", "en"):
        sources = [_read_markdown(p) for p in sorted((CONTENT_DIR / "articles").glob(f"*/{language}.md"))]
        sentences = [
            s for src in sources for s in re.split(r"(?<=[。！？.!?])\s*|\n+", src["body"]) if len(s) > 8
        ]
        titles = [src["title"] for src in sources]
        documents = []
        for i in range(args.articles):
            body = " ".join(random.sample(sentences, 12))
            title = f"{random.choice(titles)} ({i})"
            documents.append(
                Document(
                    article_id=i,
                    key=f"gen-{i}",
                    language=language,
                    title=title,
                    summary=sentences[i % len(sentences)],
                    url=f"/help/{language}/articles/gen-{i}/",
                    kind="faq",
                    body_text=body,
                    fields={"title": title, "tags": "", "summary": "", "body": body, "transcript": ""},
                )
            )
        before = rss_mb()
        started = time.perf_counter()
        index = Index(documents)
        build = time.perf_counter() - started
        peak = rss_mb() - before
        import ctypes
        import gc

        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand transient build memory back to the OS
        grown = rss_mb() - before
        own = [q["query"] for q in queries if q["language"] == language]
        for query in own[:20]:
            index.search(query)
        timings = []
        for _round in range(3):
            for query in own:
                t0 = time.perf_counter()
                index.search(query, limit=10)
                timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()

        def pick(q: float, timings: list[float] = timings) -> float:
            return timings[min(len(timings) - 1, int(q * len(timings)))]

        print(
            f"{language:8} articles={len(documents)} build={build:.1f}s rss_peak=+{peak:.0f}MB "
            f"retained=+{grown:.0f}MB "
            f"terms={len(index.terms)} queries={len(timings)} p50={pick(0.5):.2f}ms p95={pick(0.95):.2f}ms "
            f"p99={pick(0.99):.2f}ms"
        )
        del index, documents


if __name__ == "__main__":
    main()
