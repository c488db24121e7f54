"""Markdown → sanitised HTML. Article bodies are written by staff, but they are still user text:
everything goes through nh3 with an allow-list."""

import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def markdown_render(text: str) -> str:
    html = _markdown.render(text or "")
    # h1 is the page title; demote body headings so the outline stays correct
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(html: str) -> str:
    return " ".join(nh3.clean(html.replace("</", " </"), tags=set()).split())


# --- the article as sentences (search snippets) -------------------------------------------------

_UNIT_TAGS = {"p", "li", "h2", "h3", "h4", "blockquote", "br", "hr", "ul", "ol", "table"}
_CJK_CLOSE = "”’」』）》"
# a sentence ends at a Chinese 。！？； (with any closing quote or bracket after it), or at an English
# . ! ? followed by a space and a capital, a digit, an opening quote or Chinese (so "e.g. 0.1%", "e.g. an"
# and "1.00" stay whole)
_SENTENCE_END = re.compile(
    rf"(?<=[。！？；])[{_CJK_CLOSE}]*\s*|(?<!e\.g\.)(?<!i\.e\.)(?<!etc\.)(?<!vs\.)(?<=[.!?])[\"'”’)]*\s+(?=[A-Z0-9\"“‘(\u3400-\u9fff])"
)
_CJK_CHAR = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》]"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK_CHAR})\s+(?={_CJK_CHAR})")


def tidy(text: str) -> str:
    """One line: whitespace collapsed, none between two Chinese characters or punctuation marks (a
    soft line break in Chinese Markdown is not a space)."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(text.split()))


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph: Chinese ends at 。！？；, English at . ! ? before the next sentence."""
    text = tidy(text)
    if not text:
        return []
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        if end > start:
            parts.append(text[start:end].strip())
        start = match.end()
    parts.append(text[start:].strip())
    # a 。？！ inside 《a title？》, “a quote。” or brackets does not end the sentence around it
    merged: list[str] = []
    for part in parts:
        unclosed = merged and any(merged[-1].count(o) > merged[-1].count(c) for o, c in _PAIRS)
        if merged and (unclosed or re.match(r"[。！？；.!?，,]", part)):
            merged[-1] += ("" if re.match(_CJK_CHAR, part) else " ") + part
        else:
            merged.append(part)
    return [p for p in merged if p]


_PAIRS = (("《", "》"), ("“", "”"), ("（", "）"), ("(", ")"), ("「", "」"))


class _Units(HTMLParser):
    """Readable units of sanitised article HTML: paragraphs, list items and headings as written, a
    table row as "first cell: the other cells", code blocks and table headers left out."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        chinese = language.startswith("zh")
        self.colon, self.comma = ("：", "，") if chinese else (": ", ", ")
        self.units: list[str] = []
        self.text: list[str] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.skip = 0

    def _flush(self) -> None:
        text = tidy("".join(self.text))
        if text:
            self.units.append(text)
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "thead"):
            self.skip += 1
        elif tag in _UNIT_TAGS:
            self._flush()
        elif tag == "tr":
            self._flush()
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("pre", "thead"):
            self.skip = max(0, self.skip - 1)
        elif tag in _UNIT_TAGS:
            self._flush()
        elif tag in ("td", "th") and self.cell is not None:
            if self.row is not None and not self.skip:
                self.row.append(tidy("".join(self.cell)))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            cells = [c for c in self.row if c.strip("—–-· ")]  # an empty cell or a dash says nothing
            if cells:
                self.units.append(cells[0] + (self.colon + self.comma.join(cells[1:]) if cells[1:] else ""))
            self.row = None

    def handle_data(self, data):
        if self.skip:
            return
        (self.cell if self.cell is not None else self.text).append(data)

    def result(self) -> list[str]:
        self.close()
        self._flush()
        return self.units


def sentences(html: str, *, language: str) -> list[str]:
    """The article body (`body_html`) as whole sentences, without Markdown or table syntax."""
    parser = _Units(language)
    parser.feed(html or "")
    return [sentence for unit in parser.result() for sentence in split_sentences(unit)]
