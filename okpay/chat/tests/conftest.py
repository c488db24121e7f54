"""Chat test fixtures: a scripted answer bot (no model needed), agents on duty, conversations."""

import sys
import types

import pytest

from okpay.bot.engine import Answer

try:  # channels.testing imports daphne for its live-server test case only; we use WebsocketCommunicator
    import daphne.testing  # noqa: F401
except ImportError:  # the product serves with uvicorn, so daphne is not a dependency
    _stub = types.ModuleType("daphne.testing")
    _stub.DaphneProcess = object
    sys.modules.setdefault("daphne", types.ModuleType("daphne"))
    sys.modules["daphne.testing"] = _stub


class BotScript:
    """What the scripted bot answers: `intents[text]` → the intent it recognises in that text."""

    def __init__(self):
        self.intents: dict[str, str] = {}
        self.calls = 0

    def answer(self, text, language=None, user=None, conversation=None):
        from okpay.bot.models import BotConversation, BotTurn

        self.calls += 1
        intent = self.intents.get(text)
        conversation = conversation or BotConversation.objects.create(user=user)
        turn = BotTurn.objects.create(
            conversation=conversation, text=text[:1000], language=language or "zh-hans", intent=intent or ""
        )
        return Answer(
            reply=f"bot: {text}",
            intent=intent,
            confidence=0.9 if intent else 0.1,
            hand_off=intent == "talk_to_human",
            article_url="/help/a/" if intent else None,
            article_title="An article" if intent else None,
            conversation_id=conversation.pk,
            turn_id=turn.pk,
        )


@pytest.fixture(autouse=True)
def bot(monkeypatch):
    script = BotScript()
    monkeypatch.setattr("okpay.bot.engine.answer", script.answer)
    return script


@pytest.fixture
def agent_on_duty(make_user):
    """agent_on_duty(email, languages=("zh-hans",), groups=(), capacity=3, role="agent") → an online agent."""
    from okpay.chat.actions import presence_set

    def make(email, *, languages=("zh-hans",), groups=(), capacity=3, role="agent"):
        user = make_user(email=email, role=role)
        presence_set(
            agent=user,
            availability="online",
            capacity=capacity,
            languages=list(languages),
            groups=list(groups),
        )
        return user

    return make
