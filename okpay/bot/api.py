from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from okpay.core import i18n
from okpay.core.api import ApiError

from .engine import answer
from .models import BotConversation

router = Router(tags=["answer bot"])


class AnswerIn(Schema):
    text: str = Field(..., max_length=1000)
    language: str | None = Field(
        None, description=f"{i18n.ZH} or {i18n.EN}; detected from the text when missing"
    )
    conversation_id: int | None = None


class AnswerOut(Schema):
    reply: str
    intent: str | None
    confidence: float
    hand_off: bool
    hand_off_reason: str
    article_url: str | None
    article_title: str | None
    alternatives: list[dict]
    actions: list[dict]
    conversation_id: int | None
    turn_id: int | None
    account_actions: list[str]


@router.post("/bot/answer", response=AnswerOut, auth=None, summary="Ask the answer bot")
def bot_answer(request, payload: AnswerIn):
    from okpay.accounts.api_auth import TokenAuth

    token_user = TokenAuth()(request) if request.headers.get("Authorization") else None
    user = token_user or (request.user if request.user.is_authenticated else None)
    conversation = None
    if payload.conversation_id is not None:
        conversation = BotConversation.objects.filter(pk=payload.conversation_id, user=user).first()
        if user is None and payload.conversation_id not in request.session.get("bot_conversations", []):
            conversation = None  # visitors continue only conversations of their own browser
        if conversation is None:
            raise ApiError(404, "not_found", _("Not found."))
    result = answer(payload.text, payload.language, user, conversation)
    if user is None and hasattr(request, "session"):
        request.session["bot_conversations"] = [
            *request.session.get("bot_conversations", [])[-19:],
            result.conversation_id,
        ]
    return result.as_dict()
