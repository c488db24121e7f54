"""Agent assist (okpay/chat/assist.py): the answer bot's model reads the customer's last message
offline; its intent's help article and the best-overlapping saved reply are suggested."""

import pytest

from okpay.chat.actions import conversation_open
from okpay.chat.assist import macro_text, suggest, words
from okpay.chat.models import Conversation
from okpay.tickets.models import Macro

from .factories import say

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(db):
    from okpay.helpcenter.shipped import content_load

    content_load()


@pytest.fixture
def macros(db):
    return {
        "password": Macro.objects.create(
            title="重置密码",
            body_zh="{name}您好，请在登录页点击“忘记密码”，按邮件里的链接重置密码。",
            body_en="Hello {name}, tap “Forgot password” on the sign-in page and follow the email.",
        ),
        "refund": Macro.objects.create(
            title="退款时间",
            body_zh="退款一般在3个工作日内退回原账户。",
            body_en="Refunds take up to 3 working days.",
        ),
    }


def chat_with(customer, agent_on_duty, text, language="zh-hans") -> Conversation:
    """The customer's chat after `text` (no hand-off needed: the shipped contact hours would make
    it a question at night)."""
    conversation = conversation_open(user=customer, language=language)
    say(conversation, text, author=customer)
    return conversation


def test_suggests_the_intents_article_and_the_matching_saved_reply(
    tiny_bot, articles, macros, customer, agent_on_duty, client, agent
):
    chat = chat_with(customer, agent_on_duty, "怎么重置密码")
    suggestion = suggest(chat)
    assert suggestion.intent == "reset_password" and not suggestion.unsure
    assert suggestion.article_url == "/help/zh-hans/articles/reset-password/"
    assert suggestion.macro_id == macros["password"].pk
    assert suggestion.macro_text.startswith("王小明您好，请在登录页点击")
    assert "重置密码" in suggestion.shared_words
    # the console's endpoint answers the same
    client.force_login(agent)
    body = client.get(f"/console/chat/{chat.pk}/assist/").json()["suggestion"]
    assert body["intent"] == "reset_password"
    assert body["article"]["url"] == "/help/zh-hans/articles/reset-password/"
    assert body["macro"]["id"] == macros["password"].pk


def test_follows_the_customers_last_message_in_their_language(
    tiny_bot, articles, macros, customer_en, agent_on_duty
):
    chat = chat_with(customer_en, agent_on_duty, "hello", language="en")
    say(chat, "I forgot my password and cannot log in", author=customer_en)
    suggestion = suggest(chat)
    assert suggestion.message_text == "I forgot my password and cannot log in"
    assert suggestion.intent == "reset_password"
    assert suggestion.article_url == "/help/en/articles/reset-password/"
    assert suggestion.macro_id == macros["password"].pk
    assert suggestion.macro_text.startswith("Hello Emma, tap")


def test_no_shared_word_no_saved_reply(tiny_bot, articles, macros, customer, agent_on_duty):
    macros["password"].delete()
    chat = chat_with(customer, agent_on_duty, "怎么重置密码")
    suggestion = suggest(chat)
    assert suggestion.intent == "reset_password" and suggestion.article_url  # the article still
    assert suggestion.macro_id is None  # the refund reply shares no word: nothing rather than a guess


def test_nothing_before_the_customer_writes(customer):
    assert suggest(conversation_open(user=customer, language="zh-hans")) is None


def test_without_a_model_only_the_saved_reply(macros, customer, agent_on_duty):
    chat = chat_with(customer, agent_on_duty, "我想重置密码")
    suggestion = suggest(chat)
    assert suggestion.intent is None and suggestion.article_url is None
    assert suggestion.macro_id == macros["password"].pk


def test_words_and_macro_text(macros, customer):
    assert {"reset", "password"} <= words("How do I reset my password?")
    assert "how" not in words("How do I reset my password?")
    guest_chat = Conversation(language="en", guest_key="k")
    assert macro_text(macros["password"], guest_chat).startswith("Hello, tap")
