"""Answer-bot quality and speed (figures for docs/benchmarks.md).

    .venv/bin/python bench/bot_eval.py [--folds 5] [--skip-cv]

1. English: 5-fold stratified cross-validation of the production pipeline on BANKING77 train.csv
   alone (the estimate for the held-out English test).
2. The shipped model (all training files) on our held-out Chinese validation sets, on OKPay's own
   intents, and on held-out out-of-scope queries (abstain rate on in-scope rows, OOS recall).
3. One query at a time: p50/p99, model load time, resident memory.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args()
    _django.setup(load_content=False)
    from okpay.bot import training

    if not args.skip_cv:
        started = time.perf_counter()
        accuracy = training.cross_validate([training.DATA / "banking77" / "train.csv"], folds=args.folds)
        print(
            f"English BANKING77 {args.folds}-fold CV accuracy: {accuracy:.2%} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    started = time.perf_counter()
    model = training.train(training.SHIPPED_TRAIN, validation_paths=training.SHIPPED_VALID)
    print(
        f"shipped model: {model.metadata['train_rows']} rows, "
        f"trained in {time.perf_counter() - started:.0f} s, "
        f"threshold {model.threshold}"
    )
    directory = Path(_django.os.environ["OKPAY_VAR_DIR"]) / "bot-bench"
    path = training.save(model, directory)
    for name in ("valid_zh_a.csv", "valid_zh_b.csv", "valid_okpay.csv", "oos_valid.csv"):
        _report, summary = training.evaluate(model, training.DATA / name)
        print(name, json.dumps(summary))
    import tempfile

    combined = Path(tempfile.mkdtemp()) / "zh.csv"
    with open(combined, "w", encoding="utf-8") as out:
        out.write("text,category\n")
        for name in ("valid_zh_a.csv", "valid_zh_b.csv"):
            out.write(
                "".join((training.DATA / name).read_text(encoding="utf-8").splitlines(keepends=True)[1:])
            )
    _report, summary = training.evaluate(model, combined)
    print("Chinese validation (77 BANKING77 intents):", json.dumps(summary))
    started = time.perf_counter()
    training.load(path)
    print(
        f"model load: {time.perf_counter() - started:.2f} s; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (includes training)"
    )


if __name__ == "__main__":
    main()
