"""`answer(text, language, user, conversation)`: the bot's one entry point, in-process (chat, help
center box) and behind POST /api/v1/bot/answer."""

import logging
import re
import threading
import time
import zoneinfo
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
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

# Account security comes first: these outrank every other reading of the message (a hacked account is
# not a stolen bank card, "my phone was stolen, I want a person" is a lost phone). Checked on the NFKC,
# lower-cased text, in this order; the first match names the intent.
SECURITY_RULES = [
    (
        "account_takeover",
        re.compile(
            r"(账户|账号|帐户|帐号|okpay).{0,3}(被|让人|给人)\s*(盗|黑|入侵|攻击|控制|盗用)|盗号|被盗号|"
            r"(有人|别人|陌生人|陌生设备|黑客).{0,6}(登录|登陆|登入|盗用|控制)(了)?(我的)?(账户|账号|帐号|帐户)|"
            r"(密码|手机号|邮箱).{0,4}(被|让)(人|别人)?(改|修改|盗)|"
            r"account.{0,20}(hacked|compromised|taken over|breached|stolen)|hacked|hacker|account takeover|"
            r"(someone|somebody|stranger).{0,20}(logged in|signed in|log in|sign in|changed my|took over|"
            r"using my account|accessing my account|in my account)"
        ),
    ),
    (
        "lost_or_stolen_phone",
        re.compile(
            r"手机.{0,4}(丢|被偷|被盗|被抢|掉了|不见|遗失)|(丢|偷|盗|抢)了?.{0,3}手机|"
            r"(phone|mobile).{0,12}(lost|stolen|missing)|(lost|stole|stolen).{0,12}(phone|mobile)"
        ),
    ),
    (
        "compromised_card",
        re.compile(
            r"卡.{0,4}(被盗刷|被人刷|被盗用)|盗刷|card.{0,20}(compromised|skimmed|cloned|used by someone)"
        ),
    ),
    (
        "lost_or_stolen_card",
        re.compile(
            r"(银行卡|借记卡|信用卡|卡片|卡).{0,3}(丢|被偷|被盗|被抢|掉了|不见|遗失)|(丢|偷|抢)了.{0,3}(银行卡|卡)|"
            r"(card).{0,12}(lost|stolen|missing)|(lost|stole|stolen).{0,12}card"
        ),
    ),
    (
        "card_payment_not_recognised",
        re.compile(
            r"不是我.{0,4}(付|买|花|消费|操作|扣)|(陌生|不明|不认识|莫名其妙|莫名|可疑)(的)?.{0,4}(交易|扣款|付款|消费|支出)|"
            r"没(买|付|消费)过.{0,6}(却|但|怎么).{0,4}扣|"
            r"(didn'?t|did not|never) (make|authori[sz]e|buy)|don'?t recogni[sz]e|unauthori[sz]ed|"
            r"not my (payment|transaction|charge)|unknown (payment|charge|transaction)"
        ),
    ),
]
HUMAN_REQUEST = re.compile(
    r"转人工|人工客服|人工服务|找人工|要人工|真人|客服人员|接人工|^人工$|real person|human|\bagent\b|"
    r"representative|operator|talk to (a|some)one|speak to (a|some)one|customer service rep"
)
ANGER = re.compile(
    r"投诉|举报|垃圾|骗子|太差|气死|差评|无语|坑人|报警|起诉|律师|scam|fraud|terrible|worst|ridiculous|"
    r"useless|angry|furious|lawyer|sue you|!!!|！！！"
)
# An insult at the bot itself ("你好笨", "stupid bot") is not a complaint about the service: a calm short
# reply and the way back to help; a complaint (the ANGER words about the service, money) hands off.
INSULT = re.compile(
    r"(你|机器人|智能客服|ai).{0,4}(真|好|太|很|这么|是个?)?(笨|蠢|傻|弱智|白痴|智障|废物|没用)|"
    r"(笨蛋|傻瓜|蠢货|白痴|智障|傻x|傻逼|sb)|"
    r"(you|bot|robot|assistant).{0,12}(stupid|dumb|idiot|moron|useless|suck)|"
    r"^(stupid|dumb|idiot|moron)( bot)?$|(stupid|dumb|useless) (bot|robot|machine)"
)
COMPLAINT_TOPIC = re.compile(r"投诉|举报|退款|钱|扣|服务|客服|refund|money|charge|complain|service|support")
# Small talk and off-topic questions: a short friendly answer and the way back to the top topics.
SMALL_TALK = re.compile(
    r"天气|下雨|下雪|气温|温度多少|笑话|段子|脑筋急转弯|你是谁|你叫什么|你几岁|你是机器人吗|你是真人吗|"
    r"无聊|陪我聊|聊聊天|唱首歌|weather|rain(ing)? (today|tomorrow)|temperature|joke|who are you|"
    r"what'?s your name|how old are you|are you a (bot|robot)|are you human|i'?m bored|sing (me )?a song"
)
HAND_OFF_TEXT = {
    "requested": gettext_lazy(
        "Of course. A person from our team will take it from here: choose below how to reach them."
    ),
    "complaint": gettext_lazy(
        "I'm sorry about this. A person from our team will handle it properly: choose below how to "
        "reach them."
    ),
    "repeated_failure": gettext_lazy(
        "I still can't find the answer, so a person from our team should take this: choose below how "
        "to reach them."
    ),
    "model_unavailable": gettext_lazy(
        "I can't answer right now, so a person from our team should take this: choose below how to "
        "reach them."
    ),
}
TOP_TOPICS = gettext_lazy(
    "your balance, payments and refunds, international transfers, withdrawals, disputes and account security"
)
SMALL_TALK_TEXT = gettext_lazy("I can only help with OKPay. Ask me about %(topics)s.")
INSULT_TEXT = gettext_lazy(
    "I'm sorry I haven't been helpful. Tell me in a few words what you need, for example %(topics)s, or "
    "write “talk to a person”."
)
UNSURE_TEXT = gettext_lazy(
    "I'm not sure I understood. Is it one of these? If not, say it in other words, or write “talk to a "
    "person”."
)


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
    # the account actions that answered from the customer's own data (empty for a visitor, or when an
    # action failed): what `okpay bot eval --scenarios` counts as "answered from account data"
    account_actions: list[str] = field(default_factory=list)

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


def _zone(user):
    try:
        return zoneinfo.ZoneInfo(user.time_zone) if getattr(user, "time_zone", "") else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _guest_action(intent) -> ActionResult:
    """What a visitor gets instead of account data: honest about why, and the way in. For account
    security the way in may be lost, so the password reset (which signs out every device) comes first."""
    login = reverse("accounts:login")
    if intent.security:
        return ActionResult(
            text=_(
                "Signed in, I can show your sessions and sign out every other one. If you cannot sign in, "
                "reset your password: the reset signs out every device."
            ),
            links=[
                ActionLink(_("Reset password"), reverse("accounts:password_reset")),
                ActionLink(_("Sign in"), login),
            ],
        )
    return ActionResult(
        text=_("Sign in and ask again to see this for your own account."),
        links=[ActionLink(_("Sign in"), login)],
    )


def _actions(intent, user, language) -> tuple[list[ActionResult], list[str]]:
    """The intent's account actions (hooks.BOT_ACTIONS), run in the customer's language and time zone
    so that dates read as their own; for a visitor one explanation instead. Returns the results and the
    keys of the actions that answered from the account."""
    handlers = [(key, handler) for key in intent.actions if (handler := bot_action(key)) is not None]
    if not handlers:
        return [], []
    if user is None or not user.is_authenticated:
        return [_guest_action(intent)], []
    results, answered = [], []
    for key, handler in handlers:
        try:
            with translation.override(language), timezone.override(_zone(user)):
                result = handler(user, language)
        except Exception:  # an action must never break the answer itself
            logger.exception("bot action %s failed", key)
            continue
        if result is not None:
            results.append(result)
            answered.append(key)
    return results, answered


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


def _security_intent(cleaned: str) -> str | None:
    for name, pattern in SECURITY_RULES:
        if pattern.search(cleaned):
            return name
    return None


def _steer(intent: str, template, confidence: float = 1.0) -> Answer:
    """Small talk, off-topic and insults: a short answer and the top topics; never a hand-off."""
    return Answer(str(template) % {"topics": TOP_TOPICS}, intent, confidence, False)


def _compose(text: str, language: str, user, conversation) -> Answer:
    """The order decides: account security (rules) → small talk and insults (rules) → an explicit request
    for a person → the model; a complaint hands off only when the message is one (its words, or the
    model sure of it), never because the model was unsure of an off-topic message."""
    cleaned = normalize(text)
    if not clean(text):
        return Answer(
            _("Please type your question, for example “how do I reset my password?”"), None, 0.0, False
        )
    intents = catalog()
    security = _security_intent(cleaned)
    if security is not None and security in intents:
        return _answer_intent(intents[security], 1.0, user, language)
    if INSULT.search(cleaned) and not COMPLAINT_TOPIC.search(cleaned):
        return _steer("insult", INSULT_TEXT)
    if SMALL_TALK.search(cleaned):
        return _steer("small_talk", SMALL_TALK_TEXT)
    if HUMAN_REQUEST.search(cleaned):
        return Answer(str(HAND_OFF_TEXT["requested"]), "talk_to_human", 1.0, True, "requested")
    if ANGER.search(cleaned):
        return Answer(str(HAND_OFF_TEXT["complaint"]), "complaint", 1.0, True, "complaint")
    model, _version = active_model()
    if model is None:
        return Answer(str(HAND_OFF_TEXT["model_unavailable"]), None, 0.0, True, "model_unavailable")
    prediction = model.predict(text, embedder=_embedder)
    abstains = model.abstains(prediction)
    if not abstains and prediction.intent == "complaint":
        return Answer(str(HAND_OFF_TEXT["complaint"]), "complaint", prediction.confidence, True, "complaint")
    if abstains and prediction.out_of_scope_score > max(prediction.confidence, 0.5):
        return _steer("small_talk", SMALL_TALK_TEXT, prediction.out_of_scope_score)
    if abstains:
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
        return Answer(str(UNSURE_TEXT), None, prediction.confidence, False, alternatives=alternatives)
    intent = intents.get(prediction.intent)
    if intent is None:
        return Answer(str(UNSURE_TEXT), None, prediction.confidence, False)
    return _answer_intent(intent, prediction.confidence, user, language)


def _answer_intent(intent, confidence: float, user, language: str) -> Answer:
    url, title = _article(intent)
    results, answered = _actions(intent, user, language)
    hand_off = intent.hand_off or any(result.hand_off for result in results)
    reason = "security" if hand_off and intent.security else ("sensitive" if hand_off else "")
    return Answer(
        intent.answer_in(language),
        intent.name,
        confidence,
        hand_off,
        reason,
        article_url=url,
        article_title=title,
        actions=[
            {"text": r.text, "items": r.items, "links": [asdict(link) for link in r.links]} for r in results
        ],
        account_actions=answered,
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
