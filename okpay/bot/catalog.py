"""The intent catalog (data/intents.json): per intent its label and its answer in both languages, the
help article it links, the account action that can enrich it, and whether a person must handle it.

An intent's name is a code (the model's class, the API's value); people read its label:
`intent_label(name)` here is the one place that turns a name into words, for every intent a turn can
record (the catalog's, out-of-scope and the engine's small talk and insults)."""

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from okpay.core import collation, i18n

from .model.text import OUT_OF_SCOPE

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
    label: dict = field(default_factory=dict)  # {"zh-hans": …, "en": …}: what people read for the name

    def answer_in(self, language: str) -> str:
        return i18n.translated(self.answer, language)

    def label_in(self, language: str | None = None) -> str:
        return i18n.translated(self.label, language) or humanised(self.name)


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
        label=row.get("label") or {},
    )


# Names a turn records that are not in the catalog: the model's out-of-scope class (also a correction
# agents may propose) and what the engine answers by rule without an intent (engine._steer).
OTHER_LABELS: dict[str, dict[str, str]] = {
    OUT_OF_SCOPE: {"zh-hans": "不属于智能助手的问题", "en": "Not something the bot answers"},
    "small_talk": {"zh-hans": "闲聊或无关话题", "en": "Small talk or off-topic"},
    "insult": {"zh-hans": "辱骂或人身攻击", "en": "Insult or abuse"},
}

_NOT_WORD = re.compile(r"[\W_]+")


def humanised(name: str) -> str:
    """An unknown name as words (an intent deleted since an old turn): `Old_intent_name?` → `Old intent
    name`. Only for names neither the catalog nor OTHER_LABELS knows."""
    words = _NOT_WORD.sub(" ", str(name or "")).strip()
    return words[:1].upper() + words[1:].lower()


def intent_label(name: str | None, language: str | None = None) -> str:
    """What people read for an intent's name, in `language` (default: the active one); "" for none."""
    if not name:
        return ""
    intent = catalog().get(name)
    if intent is not None:
        return intent.label_in(language)
    if name in OTHER_LABELS:
        return i18n.translated(OTHER_LABELS[name], language)
    return humanised(name)


def intent_choices(language: str | None = None) -> list[tuple[str, str]]:
    """[(name, label)] of the intents an agent may propose as the right one: the catalog's, sorted by
    label as the language sorts (pinyin for Chinese), then out-of-scope."""
    language = i18n.normalise(language) if language else i18n.current()
    choices = sorted(
        ((name, intent.label_in(language)) for name, intent in catalog().items()),
        key=lambda choice: collation.sort_key(choice[1], language),
    )
    return [*choices, (OUT_OF_SCOPE, intent_label(OUT_OF_SCOPE, language))]
