"""Agent assist: for the customer's last message, the help article and the saved reply that most
likely answer it — read-only, offline, on the CPU (docs/decisions.md, "Live chat: agent assist").

1. The answer bot's own model reads the message (`okpay.bot.engine.intent_guess`, no turn recorded):
   its best intent links a help article in the intent catalog, shown in the customer's language.
   When the model would abstain, the guess is still shown, marked unsure, with its confidence.
2. Saved replies (the questions' macros) carry no intent, so the reply is chosen by word overlap:
   the words of the message plus the words of the guessed intent's catalog answer (both in the
   customer's language) against each macro's title and text in that language (Chinese segmented by
   jieba, as the bot's lexical model does); the score is the overlap over √(|query| × |macro|) (the
   cosine of the two word sets), and a macro needs MIN_MACRO_SCORE — one shared common word such as
   "账户" between a long answer and an unrelated reply scores about 0.09, a reply on the same topic
   0.3 and more. No match → no suggestion (never a random one)."""

import math
import re
from dataclasses import dataclass, field
from typing import Any

from okpay.bot.catalog import intent_label
from okpay.core import i18n

from .models import Conversation
from .selectors import last_customer_message

MIN_MACRO_SCORE = 0.15
WORD = re.compile(r"[\w\u4e00-\u9fff]+")
CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
_STOP_WORDS_TEXT = (
    "the and for you your are was with this that have has not can how what when where why who please "
    "thanks thank hello from will would could should about into there their them they "
    "我 你 您 的 了 吗 呢 吧 啊 是 在 有 和 就 都 也 请 怎么 什么 为什么 一下 可以 没有 我的 "
    "你们 我们 如何 需要"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass
class Suggestion:
    message_seq: int
    message_text: str
    intent: str | None = None
    confidence: float = 0.0
    unsure: bool = True
    article_url: str | None = None
    article_title: str | None = None
    macro_id: int | None = None
    macro_title: str | None = None
    macro_text: str | None = None
    macro_score: float = 0.0
    shared_words: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "message_seq": self.message_seq,
            "message_text": self.message_text,
            "intent": self.intent,
            "intent_label": intent_label(self.intent) or None,  # in the reading agent's language
            "confidence": round(self.confidence, 3),
            "unsure": self.unsure,
            "article": {"url": self.article_url, "title": self.article_title} if self.article_url else None,
            "macro": (
                {
                    "id": self.macro_id,
                    "title": self.macro_title,
                    "text": self.macro_text,
                    "score": round(self.macro_score, 3),
                    "shared_words": self.shared_words,
                }
                if self.macro_id
                else None
            ),
        }


def words(text: str) -> set[str]:
    """The content words of a text: Latin words of 3+ letters and Chinese words of 2+ characters
    (jieba), lower-cased, without common function words."""
    from okpay.bot.model.text import lexical_form

    found = set()
    for token in WORD.findall(lexical_form(text or "").lower()):
        if token in STOP_WORDS or token.isdigit():
            continue
        if CJK_ONLY.match(token) and len(token) < 2:
            continue
        if not CJK_ONLY.match(token) and len(token) < 3:
            continue
        found.add(token)
    return found


def macro_text(macro, conversation: Conversation) -> str:
    """A saved reply in the customer's language for a chat: {name} is the signed-in customer's name
    (dropped for a guest, whose name we do not know), {number} the question's number when the chat
    became one (else dropped, with its brackets)."""
    body = macro.body_zh if i18n.is_chinese(conversation.language) else macro.body_en
    name = conversation.user.display_name if conversation.user is not None else ""
    body = body.replace("{name}", name) if name else re.sub(r"[ \t]*\{name\}", "", body)
    if conversation.ticket is not None:
        return body.replace("{number}", conversation.ticket.number)
    return re.sub(r"\s*[(（]?\{number\}[)）]?", "", body)


def best_macro(query: set[str], conversation: Conversation, macros) -> tuple[Any, float, list[str]]:
    chinese = i18n.is_chinese(conversation.language)
    best, best_score, best_shared = None, 0.0, []
    for macro in macros:
        macro_words = words(macro.title + " " + (macro.body_zh if chinese else macro.body_en))
        shared = query & macro_words
        if not shared:
            continue
        score = len(shared) / math.sqrt(len(query) * len(macro_words))
        if score >= MIN_MACRO_SCORE and score > best_score:
            best, best_score, best_shared = macro, score, sorted(shared)
    return best, best_score, best_shared


def suggest(conversation: Conversation) -> Suggestion | None:
    """The suggestion for the customer's last message in this chat; None when the customer has not
    written yet."""
    from okpay.bot.catalog import catalog
    from okpay.bot.engine import intent_guess
    from okpay.helpcenter.selectors import article_by_key_for_language
    from okpay.tickets.selectors import macros_in_use

    message = last_customer_message(conversation)
    if message is None:
        return None
    language = i18n.normalise(conversation.language)
    suggestion = Suggestion(message_seq=message.seq, message_text=message.text)
    guess = intent_guess(message.text)
    intent = None
    if guess is not None:
        prediction, abstains = guess
        intent = catalog().get(prediction.intent)
        suggestion.intent, suggestion.confidence = str(prediction.intent), float(prediction.confidence)
        suggestion.unsure = abstains
        if intent is not None and intent.article:
            article = article_by_key_for_language(key=intent.article, language=language)
            if article is not None:
                suggestion.article_url, suggestion.article_title = article.url, article.translation.title
    query = words(message.text)
    if intent is not None and not suggestion.unsure:
        query |= words(intent.answer_in(language))
    if query:
        macro, score, shared = best_macro(query, conversation, macros_in_use())
        if macro is not None:
            suggestion.macro_id, suggestion.macro_title = macro.pk, macro.title
            suggestion.macro_text, suggestion.macro_score = macro_text(macro, conversation), score
            suggestion.shared_words = shared
    return suggestion
