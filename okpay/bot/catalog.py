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
    action: str | None
    answer: dict

    def answer_in(self, language: str) -> str:
        return i18n.translated(self.answer, language)


@cache
def catalog() -> dict[str, Intent]:
    rows = json.loads((DATA / "intents.json").read_text(encoding="utf-8"))
    return {
        row["name"]: Intent(
            row["name"],
            row["source"],
            bool(row["hand_off"]),
            row.get("article"),
            row.get("action"),
            row["answer"],
        )
        for row in rows
    }
