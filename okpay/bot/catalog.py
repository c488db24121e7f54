"""The intent catalog (data/intents.json): per intent its answer in both languages, the help
article it links, the account action that can enrich it, and whether a person must handle it."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from okpay.core import i18n

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Intent:
    name: str
    source: str
    hand_off: bool
    article: str | None
    action: str | None  # the first account action (chat routing and the console read this one)
    answer: dict
    actions: tuple[str, ...] = ()  # every account action, in order ("action" may be a list in the file)
    security: bool = False  # account security: protective buttons, an urgent hand-off, outranks others

    def answer_in(self, language: str) -> str:
        return i18n.translated(self.answer, language)


@cache
def catalog() -> dict[str, Intent]:
    rows = json.loads((DATA / "intents.json").read_text(encoding="utf-8"))
    return {row["name"]: _intent(row) for row in rows}


def _intent(row: dict) -> Intent:
    action = row.get("action")
    actions = tuple(action) if isinstance(action, list) else ((action,) if action else ())
    return Intent(
        row["name"],
        row["source"],
        bool(row["hand_off"]),
        row.get("article"),
        actions[0] if actions else None,
        row["answer"],
        actions=actions,
        security=bool(row.get("security")),
    )
