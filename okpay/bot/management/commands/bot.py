import argparse
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

SCENARIOS_DEFAULT = Path(__file__).resolve().parents[2] / "data" / "scenarios.csv"


class Command(BaseCommand):
    help = (
        "Answer bot: `okpay bot train [--data CSV ...] [--out DIR]`, "
        "`okpay bot eval --test CSV [--train CSV]`, "
        "`okpay bot eval --scenarios [CSV] [--model PATH]`, "
        "`okpay bot ship` (train on the shipped data and write okpay/bot/data/model/)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser(
            "train", help="train the production model (default: the shipped catalog) and activate it"
        )
        train.add_argument("--data", nargs="+", type=Path, help="CSV files with the header text,category")
        train.add_argument("--out", type=Path, help="folder for the model files")
        train.add_argument("--actor-id", type=int, help=argparse.SUPPRESS)  # who asked (the worker's task)
        # started by the worker's task: end if the worker dies (a SIGKILL leaves no training behind)
        train.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
        sub.add_parser(
            "ship",
            help="train on the shipped data, evaluate on the held-out sets and write the shipped model "
            "(okpay/bot/data/model/: model, checksum, data fingerprint, report)",
        )
        evaluate = sub.add_parser("eval", help="evaluate on a labelled CSV; last line is one JSON object")
        evaluate.add_argument("--test", type=Path)
        evaluate.add_argument("--train", type=Path, help="train a fresh model on this CSV alone first")
        evaluate.add_argument(
            "--scenarios",
            type=Path,
            nargs="?",
            const=SCENARIOS_DEFAULT,
            help="the signed-in scenario set (default okpay/bot/data/scenarios.csv), answered by the whole "
            "engine for the demo customer (all in a transaction that is rolled back)",
        )
        evaluate.add_argument(
            "--model", type=Path, help="with --scenarios: this model file or folder instead of the active one"
        )

    def handle(self, *args, action, **options):
        for path in (options.get("data") or []) + [
            p for p in (options.get("test"), options.get("train"), options.get("scenarios")) if p
        ]:
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
        if action == "train":
            from okpay.bot.actions import TrainingBusy, model_train
            from okpay.bot.tasks import BUSY_EXIT_CODE

            if options.get("parent_pid"):
                from okpay.core.worker import watch_parent

                watch_parent(options["parent_pid"])
            actor = None
            if options.get("actor_id"):
                from django.contrib.auth import get_user_model

                actor = get_user_model().objects.filter(pk=options["actor_id"]).first()
            self.stderr.write("training the answer bot (about 3 minutes on 2 cores)…")
            try:
                version = model_train(data=options.get("data"), out=options.get("out"), actor=actor)
            except TrainingBusy as error:
                raise CommandError(
                    f"{error}; try again when it has finished", returncode=BUSY_EXIT_CODE
                ) from None
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"model {version.version} trained on {version.training_rows} rows and activated: "
                f"{json.dumps(version.metrics)}"
            )
            return
        if action == "ship":
            self._ship()
            return
        if options.get("scenarios"):
            self._scenarios(options["scenarios"], options.get("model"))
            return
        if not options.get("test"):
            raise CommandError("give --test CSV (a labelled test set) or --scenarios")
        from okpay.bot import training

        try:
            if options.get("train"):
                started = time.perf_counter()
                model = training.train([options["train"]])
                train_seconds = round(time.perf_counter() - started, 1)
            else:
                from okpay.bot.engine import active_model

                model, _version = active_model()
                if model is None:
                    raise CommandError("no active model: run `okpay bot train` first")
                train_seconds = model.metadata.get("train_seconds")
            report, summary = training.evaluate(model, options["test"], train_seconds=train_seconds)
            summary["rss_mb"] = training.serving_rss_mb(model)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report)
        self.stdout.write(
            f"rss_mb: resident memory of a fresh process serving this model; peak of this process "
            f"(training and batch evaluation included): {training.peak_rss_mb()} MB"
        )
        self.stdout.write(json.dumps(summary))

    def _ship(self) -> None:
        from okpay.bot import shipped, training

        self.stderr.write("training on the shipped data (about 3 minutes on 2 cores)…")
        started = time.perf_counter()
        model = training.train(training.SHIPPED_TRAIN, validation_paths=training.SHIPPED_VALID)
        report: dict = {"train_seconds": round(time.perf_counter() - started, 1)}
        for path in training.SHIPPED_VALID:
            _lines, summary = training.evaluate(model, path)
            report[path.name] = {
                key: summary[key]
                for key in ("n", "accuracy", "top3", "in_scope_abstain_rate", "oos_recall")
                if summary.get(key) is not None
            }
        path = shipped.ship(model, report=report)
        self.stdout.write(
            f"shipped model written: {path} ({path.stat().st_size / 2**20:.1f} MB), "
            f"{json.dumps(report, ensure_ascii=False)}"
        )

    def _scenarios(self, path: Path, model: Path | None) -> None:
        from okpay.bot import scenarios
        from okpay.bot.engine import active_model

        if model is None and active_model()[0] is None:
            raise CommandError("no active model: run `okpay bot train` first, or give --model PATH")
        try:
            report, summary = scenarios.run(path, model=model)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report)
        self.stdout.write(json.dumps(summary))
