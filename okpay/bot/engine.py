"""`answer(text, language, user, conversation)`: the bot's one entry point, in-process (chat, help
center box) and behind POST /api/v1/bot/answer."""

import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okpay.core import i18n
from okpay.core.hooks import ActionLink, ActionResult, bot_action
from okpay.core.text import CJK, normalize

from .catalog import catalog
from .model import Embedder, clean, serving_threads
from .models import BotConversation, BotModelVersion, BotTurn
from .selectors import conversation_summary

logger = logging.getLogger(__name__)

HUMAN_REQUEST = re.compile(
    r"转人工|人工客服|人工服务|找人工|要人工|真人|客服人员|接人工|^人工$|real person|human|\bagent\b|"
    r"representative|operator|talk to (a|some)one|speak to (a|some)one|customer service rep"
)
ANGER = re.compile(
    r"投诉|举报|垃圾|骗子|太差|气死|差评|无语|坑人|报警|起诉|律师|scam|fraud|terrible|worst|ridiculous|"
    r"useless|angry|furious|lawyer|sue you|!!!|！！！"
)
HAND_OFF_TEXT = {
    "requested": gettext_lazy("OK — I'm getting a person for you."),
    "complaint": gettext_lazy("I'm sorry about this. A person will take over so it is handled properly."),
    "repeated_failure": gettext_lazy("I still can't find the answer, so I'm getting a person for you."),
    "model_unavailable": gettext_lazy("I can't answer right now, so I'm getting a person for you."),
}


@dataclass
class Answer:
    reply: str
    intent: str | None
    confidence: float
    hand_off: bool
    hand_off_reason: str = ""
    article_url: str | None = None
    article_title: str | None = None
    alternatives: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    conversation_id: int | None = None
    turn_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


# --- the active model, per process ----------------------------------------------------------

_loaded: dict = {"pk": None, "model": None, "checked": 0.0}
_lock = threading.Lock()
_embedder = Embedder(cache_dir=None)


def active_model():
    """The active model version, reloaded when another process activates a new one (checked at
    most once a second)."""
    now = time.monotonic()
    if now - _loaded["checked"] > 1.0:
        _loaded["checked"] = now
        active = BotModelVersion.objects.filter(is_active=True).first()
        if active is None:
            _loaded.update(pk=None, model=None, version="")
        elif active.pk != _loaded["pk"]:
            with _lock:
                from .training import load

                started = time.perf_counter()
                try:
                    model = load(Path(active.path))
                except Exception:  # missing or outdated file: hand over rather than fail the request
                    logger.exception("bot model %s cannot be loaded", active.version)
                    model = None
                serving_threads()
                _loaded.update(pk=active.pk, model=model, version=active.version)
                logger.info("bot model %s loaded in %.2fs", active.version, time.perf_counter() - started)
    return _loaded["model"], _loaded.get("version", "")


def forget_model() -> None:
    _loaded.update(pk=None, model=None, checked=0.0, version="")


def detect_language(text: str) -> str:
    return i18n.ZH if CJK.search(text or "") else i18n.EN


LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def reply_language(text: str, page_language: str) -> str:
    """Answer in the language the customer wrote in when that is clear (any Chinese → Chinese; three
    or more English words and no Chinese → English), else in the page's language."""
    if CJK.search(text or ""):
        return i18n.ZH
    if len(LATIN_WORD.findall(text or "")) >= 3:
        return i18n.EN
    return page_language if page_language in i18n.CODES else i18n.default()


def _article(intent) -> tuple[str | None, str | None]:
    if not intent or not intent.article:
        return None, None
    from okpay.helpcenter.selectors import article_by_key_for_language

    view = article_by_key_for_language(key=intent.article, language=translation.get_language())
    return (view.url, view.translation.title) if view else (None, None)


def _action(intent, user, language) -> ActionResult | None:
    handler = bot_action(intent.action if intent else None)
    if handler is None:
        return None
    if user is None or not user.is_authenticated:
        login = reverse("accounts:login")
        return ActionResult(
            text=_("Sign in and ask again to see this for your own account."),
            links=[ActionLink(_("Sign in"), login)],
        )
    try:
        return handler(user, language)
    except Exception:  # an action must never break the answer itself
        logger.exception("bot action %s failed", intent.action)
        return None


def answer(
    text: str, language: str | None = None, user=None, conversation: BotConversation | None = None
) -> Answer:
    """Inference (model, encoders, account actions) runs first and outside any transaction; then one
    short transaction records the turn (and the conversation, and the hand-off)."""
    text = (text or "").strip()[:1000]
    language = language if language in i18n.CODES else detect_language(text)
    if user is not None and not user.is_authenticated:
        user = None
    with translation.override(language):
        result = _compose(text, language, user, conversation)
        with transaction.atomic():
            if conversation is None:
                conversation = BotConversation.objects.create(user=user)
            turn = BotTurn.objects.create(
                conversation=conversation,
                text=text,
                language=language,
                intent=result.intent or "",
                confidence=result.confidence,
                abstained=result.intent is None,
                hand_off=result.hand_off,
                hand_off_reason=result.hand_off_reason,
                model_version=_loaded.get("version") or "",
                reply=result.reply,
                article_url=result.article_url or "",
                article_title=(result.article_title or "")[:300],
            )
            if result.hand_off and not conversation.handed_off:
                conversation.handed_off = True
                conversation.summary = conversation_summary(conversation)
                conversation.save(update_fields=["handed_off", "summary"])
    result.conversation_id, result.turn_id = conversation.pk, turn.pk
    return result


def intent_guess(text: str):
    """The active model's reading of `text` without answering or recording a turn (the console's
    agent assist): `(prediction, abstains)`, or None when there is no model or no text."""
    if not clean(text):
        return None
    model, _version = active_model()
    if model is None:
        return None
    prediction = model.predict(text, embedder=_embedder)
    return prediction, bool(model.abstains(prediction))


def _compose(text: str, language: str, user, conversation) -> Answer:
    cleaned = normalize(text)
    if not clean(text):
        return Answer(
            _("Please type your question, for example “how do I reset my password?”"), None, 0.0, False
        )
    if HUMAN_REQUEST.search(cleaned):
        return Answer(str(HAND_OFF_TEXT["requested"]), "talk_to_human", 1.0, True, "requested")
    model, _version = active_model()
    if model is None:
        return Answer(str(HAND_OFF_TEXT["model_unavailable"]), None, 0.0, True, "model_unavailable")
    prediction = model.predict(text, embedder=_embedder)
    intents = catalog()
    intent = intents.get(prediction.intent)
    if ANGER.search(cleaned) or prediction.intent == "complaint":
        return Answer(str(HAND_OFF_TEXT["complaint"]), "complaint", prediction.confidence, True, "complaint")
    if model.abstains(prediction):
        previous = None if conversation is None else conversation.turns.order_by("-created_at", "-id").first()
        alternatives = []
        for name in prediction.labels[:2]:
            alt = intents.get(name)
            url, title = _article(alt)
            if alt is not None:
                alternatives.append(
                    {
                        "intent": name,
                        "answer": alt.answer_in(language),
                        "article_url": url,
                        "article_title": title,
                    }
                )
        if previous is not None and previous.abstained:
            return Answer(
                str(HAND_OFF_TEXT["repeated_failure"]),
                None,
                prediction.confidence,
                True,
                "repeated_failure",
                alternatives=alternatives,
            )
        return Answer(
            _("I'm not sure I understood. Is it one of these? If not, I can get a person for you."),
            None,
            prediction.confidence,
            False,
            alternatives=alternatives,
        )
    url, title = _article(intent)
    action = _action(intent, user, language) if intent else None
    reply = intent.answer_in(language) if intent else ""
    hand_off = bool(intent and intent.hand_off) or bool(action and action.hand_off)
    actions = (
        []
        if action is None
        else [{"text": action.text, "items": action.items, "links": [asdict(link) for link in action.links]}]
    )
    return Answer(
        reply,
        prediction.intent,
        prediction.confidence,
        hand_off,
        "sensitive" if hand_off else "",
        article_url=url,
        article_title=title,
        actions=actions,
    )


def warm_up() -> None:
    """Load the active model, the encoder and jieba before the first customer asks (started in the
    background by `okpay serve`)."""
    from django.db import connection

    try:
        model, _version = active_model()
        if model is not None:
            model.predict("预热 warm up", embedder=_embedder)
            _embedder.e5(["预热 warm up"])  # e5 is only asked when unsure: load it now, not then
            logger.info("answer bot warmed up")
    except Exception:  # a failed warm-up only means the first answer is slower
        logger.exception("answer bot warm-up failed")
    finally:
        connection.close()
