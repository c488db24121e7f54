"""Help-center search quality: top-1 and top-3 hit rates per language over the labelled query set
`bench/data/search_queries.csv` (query, language, slug). Target: top-3 ≥ 90% in each language.

    .venv/bin/python bench/search_quality.py [--show-misses]
"""

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    _django.setup()
    from okpay.helpcenter.search import index_for

    with open(Path(__file__).parent / "data" / "search_queries.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    stats = defaultdict(lambda: {"n": 0, "top1": 0, "top3": 0})
    misses = []
    for row in rows:
        hits = index_for(row["language"]).search(row["query"], limit=3)
        keys = [h.document.key for h in hits]
        s = stats[row["language"]]
        s["n"] += 1
        s["top1"] += bool(keys[:1] == [row["slug"]])
        s["top3"] += row["slug"] in keys
        if row["slug"] not in keys:
            misses.append((row["language"], row["query"], row["slug"], keys))
    for language, s in sorted(stats.items()):
        print(f"{language:8} n={s['n']:4}  top-1 {s['top1'] / s['n']:.1%}  top-3 {s['top3'] / s['n']:.1%}")
    if args.show_misses:
        for miss in misses:
            print("MISS", *miss)


if __name__ == "__main__":
    main()
