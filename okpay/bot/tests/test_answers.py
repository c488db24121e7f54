import json

import pytest
from django.test import Client

from okpay.bot.engine import answer
from okpay.bot.models import BotConversation, BotModelVersion, BotTrainingExample, BotTurn

pytestmark = pytest.mark.smoke


def test_answers_with_intent_article_and_stores_the_turn(tiny_bot):
    from okpay.helpcenter.shipped import content_load

    content_load()
    result = answer("怎么重置密码", None, None)
    assert result.intent == "reset_password" and not result.hand_off
    assert "忘记密码" in result.reply
    assert result.article_url == "/help/zh-hans/articles/reset-password/"
    turn = BotTurn.objects.get(pk=result.turn_id)
    assert (turn.intent, turn.language, turn.model_version) == ("reset_password", "zh-hans", "tiny")


@pytest.mark.parametrize("text", ["转人工", "我要人工客服", "I want a real person", "can I talk to an agent"])
def test_explicit_requests_hand_off_at_once(tiny_bot, text):
    result = answer(text, None, None)
    assert result.hand_off and result.hand_off_reason == "requested"


@pytest.mark.parametrize("text", ["你们这是什么垃圾服务", "this is a scam!!!", "我要投诉你们"])
def test_complaints_and_anger_hand_off(tiny_bot, text):
    result = answer(text, None, None)
    assert result.hand_off and result.hand_off_reason == "complaint"


def test_hand_off_intents_go_to_a_person_with_a_summary(tiny_bot, customer):
    conversation = BotConversation.objects.create(user=customer)
    answer("hello", "en", customer, conversation)
    result = answer("my phone was stolen", "en", customer, conversation)
    assert result.intent == "lost_or_stolen_phone" and result.hand_off
    conversation.refresh_from_db()
    assert conversation.handed_off
    assert "my phone was stolen" in conversation.summary and customer.email in conversation.summary


def test_two_low_confidence_turns_hand_off(tiny_bot):
    conversation = BotConversation.objects.create()
    first = answer("qwzx plorp", "en", None, conversation)
    assert first.intent is None and not first.hand_off and len(first.alternatives) == 2
    second = answer("blarg fnord", "en", None, conversation)
    assert second.hand_off and second.hand_off_reason == "repeated_failure"


def test_account_data_is_never_shown_to_visitors(tiny_bot, make_user):
    from okpay.wallet.actions import payment_create, topup_demo

    customer = make_user(email="dup@example.com")
    shop = make_user(email="shop@example.com", role="merchant", full_name="Tea Shop")
    topup_demo(user=customer, amount_minor=10_000, currency="CNY", key="t")
    for n in range(2):
        payment_create(
            customer=customer,
            merchant=shop,
            amount_minor=1500,
            currency="CNY",
            description="tea",
            key=f"p{n}",
        )
    visitor = answer("I was charged twice", "en", None)
    assert visitor.intent == "transaction_charged_twice"
    assert "Tea Shop" not in json.dumps(visitor.as_dict())
    assert visitor.actions[0]["links"][0]["url"] == "/accounts/login/"
    signed_in = answer("I was charged twice", "en", customer)
    assert "Tea Shop" in signed_in.actions[0]["items"][0]


def test_exchange_rate_answer_uses_current_rates(tiny_bot, customer):
    from okpay.wallet.fx import rates_refresh

    rates_refresh()
    result = answer("today's exchange rate", "en", customer)
    assert result.intent == "exchange_rate"
    assert any(item.startswith("1 CNY = ") for item in result.actions[0]["items"])


def test_empty_and_huge_input(tiny_bot):
    assert answer("   ", "en", None).intent is None
    assert answer("x" * 5000, "en", None).turn_id


def test_api_answers_visitors_and_keeps_conversations_private(tiny_bot, customer):
    client = Client()
    body = client.post(
        "/api/v1/bot/answer", json.dumps({"text": "hello"}), content_type="application/json"
    ).json()
    assert body["intent"] == "greeting" and body["conversation_id"]
    again = client.post(
        "/api/v1/bot/answer",
        json.dumps({"text": "hi", "conversation_id": body["conversation_id"]}),
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["conversation_id"] == body["conversation_id"]
    stranger = Client().post(
        "/api/v1/bot/answer",
        json.dumps({"text": "hi", "conversation_id": body["conversation_id"]}),
        content_type="application/json",
    )
    assert stranger.status_code == 404
    bad = client.post("/api/v1/bot/answer", json.dumps({"text": "x" * 2000}), content_type="application/json")
    assert bad.status_code == 422


def test_ask_box_on_the_help_center(tiny_bot, client):
    response = client.post("/bot/ask/", {"q": "忘记密码了"})
    assert response.status_code == 200
    assert "忘记密码" in response.content.decode()


def test_learning_loop(tiny_bot, agent, supervisor, signed_in, tmp_path, monkeypatch):
    result = answer("wie viel kostet das", "en", None)
    agent_client = signed_in(agent, Client())
    agent_client.post(f"/console/bot/turns/{result.turn_id}/correct/", {"intent": "exchange_rate"})
    turn = BotTurn.objects.get(pk=result.turn_id)
    assert (turn.corrected_intent, turn.correction_status) == ("exchange_rate", "proposed")
    assert agent_client.get("/console/bot/corrections/").status_code == 403
    boss = signed_in(supervisor, Client())
    boss.post(f"/console/bot/corrections/{turn.pk}/", {"decision": "accept"})
    assert BotTrainingExample.objects.get().intent == "exchange_rate"
    other = BotModelVersion.objects.create(version="other", path="/nope", is_active=False)
    boss.post(f"/console/bot/models/{other.pk}/activate/")
    assert BotModelVersion.objects.get(is_active=True).version == "other"


def test_bad_correction_is_refused(tiny_bot, agent, signed_in):
    result = answer("hello", "en", None)
    client = signed_in(agent, Client())
    client.post(f"/console/bot/turns/{result.turn_id}/correct/", {"intent": "not-an-intent"})
    assert BotTurn.objects.get(pk=result.turn_id).correction_status == ""


def test_bot_does_not_depend_on_help_search_semantics(tiny_bot, settings):
    settings.OKPAY_HELP_SEMANTIC = False  # turns embeddings off in help search only
    assert answer("how do I reset my password", "en", None).intent == "reset_password"


@pytest.mark.parametrize(
    ("text", "page", "expected"),
    [
        ("怎么提现到银行卡", "en", "zh-hans"),
        ("ATM 吞卡了", "en", "zh-hans"),
        ("how do I reset my password", "zh-hans", "en"),
        ("ATM", "zh-hans", "zh-hans"),
        ("ATM", "en", "en"),
    ],
)
def test_the_bot_answers_in_the_language_the_customer_wrote_in(text, page, expected):
    from okpay.bot.engine import reply_language

    assert reply_language(text, page) == expected


def test_the_bot_launcher_is_on_customer_pages_not_in_the_console(client, signed_in, customer, agent):
    assert 'id="launcher-q"' in client.get("/").content.decode()
    assert 'id="launcher-q"' not in client.get("/help/").content.decode()  # the page has its own box
    assert 'id="bot-q"' in client.get("/help/").content.decode()
    signed_in(customer)
    assert 'id="launcher-q"' in client.get("/account/").content.decode()
    console = signed_in(agent, Client())
    assert 'id="launcher-q"' not in console.get("/console/").content.decode()


def test_the_corner_chat_shows_the_conversation_again_on_the_next_page(tiny_bot, client):
    from okpay.helpcenter.shipped import content_load

    content_load()
    client.post("/bot/ask/", {"q": "怎么重置密码"})
    page = client.get("/").content.decode()
    assert "怎么重置密码" in page and "忘记密码" in page
    client.post("/bot/ask/", {"q": "转人工"})
    assert "/support/new/?from=bot" in client.get("/").content.decode()
    assert "怎么重置密码" not in Client().get("/").content.decode()  # another browser sees nothing
