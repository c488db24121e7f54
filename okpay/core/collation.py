"""Sorting words the way a language sorts them, without an ICU library: Chinese by pinyin (the
order of `data/han_pinyin_order.txt`, derived from glibc's zh_CN collation by
`scripts/han_pinyin_order.py`), English alphabetically with accents and case as tie-breakers only
(Åland Islands among the A's). Deterministic: the same key on every machine.

    sorted(names, key=lambda name: sort_key(name, language))
"""

import unicodedata
from functools import cache
from pathlib import Path

from . import i18n

ORDER_FILE = Path(__file__).resolve().parent / "data" / "han_pinyin_order.txt"


@cache
def han_ranks() -> dict[str, int]:
    """{Han character: its place in pinyin order}."""
    lines = ORDER_FILE.read_text(encoding="utf-8").splitlines()
    order = "".join(line for line in lines if not line.startswith("#"))
    return {char: rank for rank, char in enumerate(order)}


def _base(text: str) -> str:
    """Letters without accents, case-folded, NFKC-compatible: `Côte d’Ivoire` → `cote d’ivoire`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _chinese_key(text: str) -> tuple:
    """Han characters by pinyin, before any other character (as zh_CN: Han sorts before Latin);
    other characters by their accent-free form. A Han character the table lacks sorts after the
    ones it has, by code point."""
    ranks = han_ranks()
    unranked = len(ranks)
    key: list[tuple[int, int, str]] = []
    for char in unicodedata.normalize("NFKC", text):
        rank = ranks.get(char)
        if rank is not None:
            key.append((0, rank, ""))
        elif unicodedata.name(char, "").startswith("CJK"):
            key.append((0, unranked + ord(char), ""))
        else:
            key.append((1, 0, _base(char)))
    return tuple(key)


def sort_key(text: str, language: str | None = None) -> tuple:
    """A key that orders `text` as `language` (default: the active one) sorts; equal keys are
    broken by the text itself so the order is total."""
    text = str(text or "")
    if i18n.is_chinese(language or i18n.current()):
        return (_chinese_key(text), text)
    return (_base(text), text)
