"""Issue 17: the bot answers "my …" questions from the signed-in customer's own account (and a customer
with none of that kind, and a visitor), puts account security first, answers small talk without a
complaint hand-off, says only what happened, and shows the question a hand-off became."""

import csv
import json
import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone

from okpay.bot.engine import answer
from okpay.bot.models import BotConversation
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.fx import quote_create, rates_refresh
from okpay.wallet.international.actions import international_review_decide, international_submit

pytestmark = pytest.mark.smoke


@pytest.fixture
def rates(db):
    rates_refresh()


def _transfer(user, amount_minor, key, *, country="GB", account="GB33BUKB20201555555555"):
    quote = quote_create(
        user=user,
        from_currency="CNY",
        to_currency="GBP" if country == "GB" else "USD",
        source_amount_minor=amount_minor,
        recipient_country=country,
    )
    return international_submit(
        user=user,
        quote_id=quote.pk,
        recipient_name="Chen Jing",
        recipient_country=country,
        recipient_account=account,
        recipient_address="1 King's Parade, Cambridge",
        sender_address="上海市徐汇区漕溪北路 88 号",
        key=key,
    )


@pytest.fixture
def rich(rates, customer, customer_en, make_user):
    """Both customers with money, payments and international transfers processing, in review and
    rejected."""
    shop = make_user(email="shop@example.com", role="merchant", full_name="青藤书店 Ivy Books")
    boss = make_user(email="boss@example.com", role="supervisor")
    for user in (customer, customer_en):
        type(user).objects.filter(pk=user.pk).update(verification_level=2)
        user.refresh_from_db()
        topup_demo(user=user, amount_minor=2_000_000, currency="CNY", key=f"t{user.pk}")
        payment_create(
            customer=user,
            merchant=shop,
            amount_minor=5600,
            currency="CNY",
            description="书",
            key=f"p{user.pk}",
        )
        _transfer(user, 80_000, f"small{user.pk}", country="US", account="US64SVBKUS6S3300958879")
        _transfer(user, 800_000, f"large{user.pk}")
        rejected = _transfer(user, 450_000, f"rej{user.pk}", account="GB94BARC10201530093459")
        international_review_decide(reviewer=boss, transfer_id=rejected.pk, approve=False, note="no")
    return customer, customer_en


def _links(result) -> list[dict]:
    return [link for action in result.actions for link in action["links"]]


def _text(result) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False)


# --- "my …" intents, signed in, from real data -------------------------------------------------------


def test_international_transfers_from_the_customers_own_transfers_in_chinese(tiny_bot, rich):
    customer, _english = rich
    result = answer("我的国际转账到哪了", None, customer)
    assert result.intent == "international_transfer_status" and result.account_actions == [
        "international_status"
    ]
    items = result.actions[0]["items"]
    assert len(items) == 3
    assert any("处理中" in item for item in items)
    assert any("合规审核中" in item for item in items)
    assert any("已拒绝" in item for item in items)
    assert all("¥" in item for item in items)
    urls = [link["url"] for link in _links(result)]
    assert all(url.startswith("/account/international/") for url in urls)
    # the cancel window is open for the ones still running: their links say so (in Chinese)
    assert any(link["label"].startswith("取消") or "Cancel" in link["label"] for link in _links(result))


def test_international_transfers_in_english_with_dates_in_the_customers_time_zone(tiny_bot, rich):
    _customer, english = rich
    result = answer("where is my international transfer", "en", english)
    assert result.intent == "international_transfer_status"
    items = result.actions[0]["items"]
    assert any("Under compliance review" in item and "reviews it by" in item for item in items)
    transfer = english.international_transfers.get(status="under_review")
    london = timezone.localtime(transfer.review_deadline, timezone=zoneinfo.ZoneInfo("Europe/London"))
    shanghai = timezone.localtime(transfer.review_deadline, timezone=zoneinfo.ZoneInfo("Asia/Shanghai"))
    text = " ".join(items)
    assert london.strftime("%-I:%M") in text or london.strftime("%H:%M") in text
    assert shanghai.strftime("%-I:%M") not in text and shanghai.strftime("%H:%M") not in text


def test_international_transfers_for_a_customer_without_any(tiny_bot, customer):
    result = answer("我的国际转账到哪了", None, customer)
    assert result.account_actions == ["international_status"]
    assert result.actions[0]["items"] == []
    assert _links(result)[0]["url"] == "/account/international/"


def test_balances_available_and_held_per_currency(tiny_bot, rich):
    customer, english = rich
    zh = answer("我的余额是多少", None, customer)
    assert zh.intent == "balance" and zh.account_actions == ["balances"]
    line = zh.actions[0]["items"][0]
    assert line.startswith("CNY") and "¥" in line
    held = sum(
        t.quote.total_debit_minor
        for t in english.international_transfers.filter(status__in=["under_review", "pending"])
    )
    en = answer("what is my balance", "en", english)
    assert "on hold" in en.actions[0]["items"][0]
    assert f"{held / 100:,.2f}" in en.actions[0]["items"][0]


def test_balance_of_a_customer_with_no_money(tiny_bot, customer_en):
    result = answer("what is my balance", "en", customer_en)
    assert result.account_actions == ["balances"] and "Your balance is 0" in result.actions[0]["text"]


def test_payments_with_their_state_and_a_link_to_each(tiny_bot, rich, customer_en):
    customer, _english = rich
    result = answer("我的付款成功了吗", None, customer)
    assert result.intent == "payment_status" and result.account_actions == ["recent_payments"]
    assert "青藤书店" in result.actions[0]["items"][0] and "¥56.00" in result.actions[0]["items"][0]
    assert _links(result)[0]["url"].startswith("/account/transactions/")


def test_payments_of_a_customer_with_none(tiny_bot, customer_en):
    result = answer("did my payment go through", "en", customer_en)
    assert "no payments" in result.actions[0]["text"]


def test_top_ups_and_a_customer_with_none(tiny_bot, rich, make_user):
    english = rich[1]
    result = answer("where is my top-up", "en", english)
    assert result.intent == "pending_top_up" and result.account_actions == ["topup_status"]
    assert "¥20,000.00" in result.actions[0]["items"][0]
    none = answer("我的充值到账了吗", None, make_user(email="new@example.com"))
    assert none.actions[0]["links"][0]["url"] == "/account/topup/"


def test_limits_and_verification_level(tiny_bot, rich, make_user):
    customer, _english = rich
    customer_en = make_user(email="level0@example.com", language="en")
    result = answer("我的额度是多少", None, customer)
    assert result.intent == "account_limits" and result.account_actions == ["limits"]
    assert "L2" in result.actions[0]["text"]
    assert any("€" in item for item in result.actions[0]["items"])
    level0 = answer("what are my limits", "en", customer_en)
    assert "L0" in level0.actions[0]["text"] and "L1" in level0.actions[0]["text"]


# --- visitors: the same intents explain and offer to sign in ------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的余额是多少", "balance"),
        ("what is my balance", "balance"),
        ("我的国际转账到哪了", "international_transfer_status"),
        ("where is my international transfer", "international_transfer_status"),
        ("我的额度是多少", "account_limits"),
        ("did my payment go through", "payment_status"),
    ],
)
def test_visitors_get_the_general_answer_and_a_sign_in(tiny_bot, text, intent):
    result = answer(text, None, None)
    assert result.intent == intent and result.reply and result.account_actions == []
    assert _links(result) == [
        {"label": _links(result)[0]["label"], "url": "/accounts/login/", "method": "get"}
    ]


def test_visitors_with_a_security_problem_are_offered_the_password_reset(tiny_bot):
    result = answer("我的账户被盗了", None, None)
    assert result.intent == "account_takeover" and result.hand_off
    assert [link["url"] for link in _links(result)] == ["/accounts/password/reset/", "/accounts/login/"]


# --- account security first ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的账户被盗了", "account_takeover"),
        ("my account was hacked", "account_takeover"),
        ("有人登录了我的账号还改了密码", "account_takeover"),
        ("我的银行卡和账号都被盗了", "account_takeover"),
        ("my card was stolen and someone logged into my account", "account_takeover"),
        ("我的手机丢了", "lost_or_stolen_phone"),
        ("my phone was stolen, I want a real person", "lost_or_stolen_phone"),
        ("我的银行卡丢了", "lost_or_stolen_card"),
        ("有一笔付款不是我付的", "card_payment_not_recognised"),
        ("账户被盗了我要报警", "account_takeover"),
        ("ＭＹ ＡＣＣＯＵＮＴ ＷＡＳ ＨＡＣＫＥＤ", "account_takeover"),  # full-width: NFKC first
        ("卡号被盗用了", "compromised_card"),
    ],
)
def test_security_intents_outrank_every_other_reading(tiny_bot, customer, text, intent):
    result = answer(text, None, customer)
    assert result.intent == intent
    assert result.hand_off and result.hand_off_reason == "security"


def test_takeover_offers_buttons_that_act(tiny_bot, customer):
    result = answer("我的账户被盗了", None, customer)
    links = _links(result)
    assert links[0]["url"] == "/accounts/security/sessions/end-others/" and links[0]["method"] == "post"
    assert "/accounts/password/change/" in [link["url"] for link in links]
    assert "/accounts/2fa/setup/" in [link["url"] for link in links]


def test_unrecognised_payment_lists_payments_then_protects_the_account(tiny_bot, rich):
    customer, _english = rich
    result = answer("I don't recognise a payment on my account", "en", customer)
    assert result.intent == "card_payment_not_recognised"
    assert result.account_actions == ["dispute_unrecognised_payment", "secure_account"]
    assert "Ivy Books" in result.actions[0]["items"][0]
    assert result.actions[1]["links"][0]["method"] == "post"


def test_the_sign_out_button_signs_out_every_other_session(tiny_bot, customer, signed_in):
    from okpay.accounts.models import UserSession

    other = signed_in(customer, Client())
    mine = signed_in(customer, Client())
    assert UserSession.objects.filter(user=customer).count() == 2
    result = answer("my account was hacked", "en", customer)
    button = _links(result)[0]
    response = mine.post(button["url"])
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    assert UserSession.objects.filter(user=customer).count() == 1
    assert other.get("/account/").status_code == 302  # the other browser is signed out


# --- small talk, insults, complaints -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("今天天气怎么样", "small_talk"),
        ("what's the weather tomorrow", "small_talk"),
        ("给我讲个笑话", "small_talk"),
        ("你是机器人吗", "small_talk"),
        ("你好笨", "insult"),
        ("you are a stupid bot", "insult"),
    ],
)
def test_small_talk_and_insults_are_answered_briefly_never_handed_off(tiny_bot, customer, text, intent):
    result = answer(text, None, customer)
    assert result.intent == intent and not result.hand_off
    assert "OKPay" in result.reply or "“" in result.reply


def test_the_small_talk_answer_points_to_the_top_topics_in_chinese(tiny_bot):
    result = answer("今天天气怎么样", None, None)
    assert result.intent == "small_talk" and not result.hand_off


@pytest.mark.parametrize(
    "text", ["你们服务太差了，我要投诉", "this is the worst service, I want to complain"]
)
def test_complaints_still_hand_off(tiny_bot, text):
    result = answer(text, None, None)
    assert result.hand_off and result.hand_off_reason == "complaint"


# --- honesty -------------------------------------------------------------------------------------------


def test_hand_off_texts_never_claim_a_transfer_and_name_only_controls_on_screen(tiny_bot, customer):
    from okpay.bot.catalog import catalog

    for intent in catalog().values():
        for language in ("zh-hans", "en"):
            text = intent.answer_in(language)
            assert "正在为你转接" not in text and "connecting you" not in text, intent.name
            assert "Send this conversation" not in text, intent.name
    for text, language in (("qwzx plorp", "en"), ("转人工", "zh-hans"), ("I want a real person", "en")):
        result = answer(text, language, None)
        assert "Send this conversation to an agent" not in result.reply
        assert "connecting" not in result.reply and "正在为您转接" not in result.reply


def test_the_unsure_reply_names_no_button(tiny_bot):
    result = answer("qwzx plorp", "en", None)
    assert result.intent is None and not result.hand_off
    assert "button" not in result.reply and "Send this conversation" not in result.reply


def test_after_a_hand_off_the_conversation_shows_the_created_question(tiny_bot, customer, signed_in, client):
    signed_in(customer)
    client.post("/bot/ask/", {"q": "我的余额是多少"})
    reply = client.post("/bot/ask/", {"q": "转人工"}).content.decode()
    assert "/support/new/?from=bot" in reply
    form = client.get("/support/new/?from=bot").content.decode()
    assert 'value="我的余额是多少"' in form  # the subject is the question handed off, not "转人工"
    response = client.post(
        "/support/new/",
        {"from": "bot", "topic": "account", "subject": "我的余额是多少", "body": "请帮我看看余额，谢谢。"},
    )
    assert response.status_code == 302
    number = response["Location"].rstrip("/").split("/")[-1]
    page = client.get("/").content.decode()
    assert number in page and f"/support/tickets/{number}/" in page
    assert "Send this conversation as a question" not in page  # not offered a second time


def test_the_subject_is_the_handed_off_message(tiny_bot, customer):
    from okpay.bot.selectors import first_question

    conversation = BotConversation.objects.create(user=customer)
    answer("hello", "en", customer, conversation)
    answer("what is my balance", "en", customer, conversation)
    answer("my account was hacked", "en", customer, conversation)
    assert first_question(conversation) == "my account was hacked"
    other = BotConversation.objects.create(user=customer)
    answer("where is my international transfer", "en", customer, other)
    answer("转人工", None, customer, other)
    assert first_question(other) == "where is my international transfer"


# --- the scenario contract ------------------------------------------------------------------------------


def test_the_scenario_set_is_large_labelled_and_in_both_languages():
    from okpay.bot.catalog import catalog
    from okpay.bot.scenarios import NEVER_HANDED_OFF, read_scenarios

    rows = read_scenarios()
    assert len(rows) >= 200
    assert {row.language for row in rows} == {"zh-hans", "en"}
    known = set(catalog()) | NEVER_HANDED_OFF
    assert {row.intent for row in rows} <= known
    assert sum(1 for row in rows if row.action) >= 150


def test_the_scenario_eval_runs_against_a_model_and_rolls_everything_back(
    tiny_bot, tiny_model_dir, rich, tmp_path
):
    from okpay.bot import scenarios
    from okpay.bot.models import BotModelVersion, BotTurn

    path = tmp_path / "s.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "language", "intent", "action"])
        writer.writerow(
            ["我的国际转账到哪了", "zh-hans", "international_transfer_status", "international_status"]
        )
        writer.writerow(["what is my balance", "en", "balance", "balances"])
        writer.writerow(["我的账户被盗了", "zh-hans", "account_takeover", "account_takeover"])
        writer.writerow(["今天天气怎么样", "zh-hans", "small_talk", ""])
    before = BotTurn.objects.count()
    report, summary = scenarios.run(path, model=tiny_model_dir, user=rich[0])
    assert (
        summary["n"] == 4
        and summary["answered_from_account"] == 1.0
        and summary["small_talk_handed_off"] == 0
    )
    assert "international_transfer_status" in report
    assert BotTurn.objects.count() == before
    assert BotModelVersion.objects.get(is_active=True).version == "tiny"


def test_the_scenario_summary_counts_misses():
    from okpay.bot.engine import Answer
    from okpay.bot.scenarios import Scenario, summarise

    results = [
        (
            Scenario("a", "en", "balance", "balances"),
            Answer("", "balance", 1.0, False, account_actions=["balances"]),
        ),
        (Scenario("b", "en", "balance", "balances"), Answer("", "balance", 1.0, False)),
        (Scenario("c", "en", "small_talk", ""), Answer("", "complaint", 1.0, True)),
    ]
    report, summary = summarise(results)
    assert summary["answered_from_account"] == 0.5 and summary["small_talk_handed_off"] == 1
    assert "misses (2)" in report
