"""The bot's quality contract: labelled questions of a signed-in customer (data/scenarios.csv: text,
language, the expected intent, the account action expected to answer it — empty when none), answered
by the whole engine (rules, model, account actions) for a customer with the demo's data.

`okpay bot eval --scenarios [CSV] [--model PATH]` prints per-intent accuracy, then one JSON line with
the share of "my …" questions (the rows with an action) that were answered from the customer's own
account. Everything runs in one transaction that is rolled back: the demo customer (made on the spot
when the database has none), the recorded turns and a model version given by --model leave nothing
behind."""

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = DATA / "scenarios.csv"
DEMO_CUSTOMER = "customer@example.com"
NEVER_HANDED_OFF = frozenset({"small_talk", "insult", "greeting", "thanks", "goodbye"})


@dataclass(frozen=True)
class Scenario:
    text: str
    language: str
    intent: str
    action: str


def read_scenarios(path: Path = SCENARIOS) -> list[Scenario]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"text", "language", "intent", "action"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path}: the header must be text,language,intent,action")
        rows = [
            Scenario(
                row["text"].strip(),
                row["language"].strip(),
                row["intent"].strip(),
                (row["action"] or "").strip(),
            )
            for row in reader
            if (row.get("text") or "").strip()
        ]
    if not rows:
        raise ValueError(f"{path}: no scenarios")
    return rows


class _RollBack(Exception):
    pass


def _demo_customer():
    """The demo's Chinese customer with the demo's payments, transfers, withdrawals and disputes; when
    the database has none, the demo steps make it (inside the caller's transaction). The answer bot's own
    step (which queues a training) is skipped."""
    from django.contrib.auth import get_user_model

    from okpay.core import hooks

    user = get_user_model().objects.filter(email=DEMO_CUSTOMER).first()
    if user is None or not user.international_transfers.exists():
        for step in hooks.items(hooks.DEMO_STEPS):
            if step.name != "bot":
                step.run()
        user = get_user_model().objects.get(email=DEMO_CUSTOMER)
    return user


def _use_model(path: Path) -> None:
    from .engine import forget_model
    from .models import BotModelVersion

    file = path / "model.joblib" if path.is_dir() else path
    if not file.is_file():
        raise ValueError(f"no model file at {path}")
    BotModelVersion.objects.filter(is_active=True).update(is_active=False)
    BotModelVersion.objects.create(version="scenario-eval", path=str(file), is_active=True)
    forget_model()


def run(path: Path = SCENARIOS, *, model: Path | None = None, user=None) -> tuple[str, dict]:
    """(report, summary). `user`: answer as this customer instead of the demo customer."""
    from .engine import answer, forget_model

    scenarios = read_scenarios(path)
    outcome: dict = {}
    try:
        with transaction.atomic():
            if model is not None:
                _use_model(model)
            customer = user or _demo_customer()
            outcome["results"] = [
                (scenario, answer(scenario.text, scenario.language, customer)) for scenario in scenarios
            ]
            raise _RollBack
    except _RollBack:
        pass
    finally:
        forget_model()  # the next answer reloads whichever model is active now
    return summarise(outcome["results"])


def summarise(results) -> tuple[str, dict]:
    per_intent: dict[str, Counter] = defaultdict(Counter)
    mine = mine_answered = wrong_hand_offs = 0
    misses = []
    for scenario, result in results:
        counts = per_intent[scenario.intent]
        counts["n"] += 1
        counts["correct"] += result.intent == scenario.intent
        if scenario.action:
            mine += 1
            answered = scenario.action in result.account_actions
            mine_answered += answered
            counts["from_account"] += answered
        if scenario.intent in NEVER_HANDED_OFF and result.hand_off:
            wrong_hand_offs += 1
        if result.intent != scenario.intent or (
            scenario.action and scenario.action not in result.account_actions
        ):
            misses.append(
                f"  {scenario.text!r}: expected {scenario.intent}/{scenario.action or '-'}, got "
                f"{result.intent}/{','.join(result.account_actions) or '-'}"
            )
    lines = []
    for intent, counts in sorted(per_intent.items()):
        line = f"{intent:40} n={counts['n']:3}  intent {counts['correct'] / counts['n']:6.1%}"
        if intent in {s.intent for s, _r in results if s.action}:
            line += f"  from account {counts['from_account'] / counts['n']:6.1%}"
        lines.append(line)
    if misses:
        lines.append(f"misses ({len(misses)}):")
        lines.extend(misses[:40])
    total = len(results)
    summary = {
        "n": total,
        "intent_accuracy": round(sum(c["correct"] for c in per_intent.values()) / total, 4),
        "my_questions": mine,
        "answered_from_account": round(mine_answered / mine, 4) if mine else None,
        "small_talk_handed_off": wrong_hand_offs,
        "target_from_account": 0.95,
    }
    return "\n".join(lines), summary
