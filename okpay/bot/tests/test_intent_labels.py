"""Issue 16, item 4: people read an intent's label, never its name. Every intent of the catalog has a
short label in both languages (Chinese in the product's 您 style, no ASCII but product names); the
console's bot log, its corrections page and a chat's page show labels, and the "correct intent" list
offers labels sorted as the reader's language sorts, its values still the names."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from okpay.bot.catalog import DATA, OTHER_LABELS, catalog, humanised, intent_choices, intent_label
from okpay.bot.choices import CorrectionStatus, correction_status_label
from okpay.bot.models import BotConversation, BotTrainingExample, BotTurn
from okpay.core import collation

ROWS = json.loads((DATA / "intents.json").read_text(encoding="utf-8"))
# Names the Chinese labels may keep in Latin letters: products, card schemes and terms people use as is.
LATIN_IN_CHINESE = ("Apple Pay", "Google Pay", "OKPay", "Mastercard", "Visa", "ATM", "PIN")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b", re.IGNORECASE)


def without_allowed_latin(text: str) -> str:
    for name in LATIN_IN_CHINESE:
        text = text.replace(name, "")
    return text


@pytest.mark.parametrize("row", ROWS, ids=[row["name"] for row in ROWS])
def test_every_intent_has_a_label_in_both_languages(row):
    label = row.get("label") or {}
    assert set(label) == {"zh-hans", "en"}
    zh, en = label["zh-hans"].strip(), label["en"].strip()
    assert zh and en and zh == label["zh-hans"] and en == label["en"]
    assert "_" not in zh + en
    assert en[0].isupper() and not en.endswith((".", "?", "!")), en  # sentence case, not a sentence
    assert len(en) <= 60 and len(zh) <= 24
    assert not re.search(r"[A-Za-z]", without_allowed_latin(zh)), zh
    assert "你" not in zh
    assert not re.search(r"[,.;:!?()]", zh), zh  # Chinese punctuation in Chinese text


def test_labels_are_distinct_so_an_agent_can_tell_intents_apart():
    for language in ("zh-hans", "en"):
        labels = [row["label"][language] for row in ROWS]
        assert len(set(labels)) == len(labels) == len(catalog()) == 95


def test_intent_label_follows_the_language_and_knows_every_name_a_turn_records():
    assert intent_label("Refund_not_showing_up", "en") == "Refund not showing up"
    assert intent_label("Refund_not_showing_up", "zh-hans") == "退款未到账"
    assert intent_label("activate_my_card", "zh") == "激活银行卡"  # any spelling of the language
    with translation.override("en"):
        assert intent_label("apple_pay_or_google_pay") == "Apple Pay or Google Pay"
    with translation.override("zh-hans"):
        assert intent_label("apple_pay_or_google_pay") == "Apple Pay 或 Google Pay"
    for name, labels in OTHER_LABELS.items():  # out-of-scope and the engine's small talk and insults
        assert name not in catalog()
        for language in ("zh-hans", "en"):
            label = intent_label(name, language)
            assert label == labels[language] and label != humanised(name) and "_" not in label
            assert "你" not in label
    assert intent_label("", "en") == "" and intent_label(None) == ""


def test_an_unknown_name_reads_as_words():
    # an intent deleted since an old turn was recorded, as the BANKING77 names are spelled
    assert intent_label("Old_deleted_intent?", "zh-hans") == "Old deleted intent"
    assert intent_label("reverted_card_payment?", "en") == "Card payment reversed"  # a real one
    assert humanised("__") == ""


def test_the_choices_are_labels_sorted_as_the_language_sorts_then_out_of_scope():
    for language in ("zh-hans", "en"):
        choices = intent_choices(language)
        names = [name for name, _label in choices]
        assert names[-1] == "out_of_scope" and sorted(names[:-1]) == sorted(catalog())
        labels = [label for _name, label in choices[:-1]]
        assert labels == sorted(labels, key=lambda label: collation.sort_key(label, language))
        assert all(label == intent_label(name, language) for name, label in choices)
    zh = [label for _name, label in intent_choices("zh-hans")]
    # pinyin order: 绑定 (bǎng) before 充值 (chōng) before 重置 (chóng) before 转账 (zhuǎn)
    assert zh.index("绑定银行卡") < zh.index("充值失败") < zh.index("重置密码") < zh.index("转账失败")
    en = [label for _name, label in intent_choices("en")]
    assert en.index("Account limits") < en.index("Balance") < en.index("Transfer failed")


def test_correction_states_read_as_words():
    with translation.override("en"):
        assert [correction_status_label(s) for s in ("proposed", "accepted", "rejected")] == [
            "Proposed",
            "Accepted",
            "Rejected",
        ]
        assert correction_status_label("") == ""
    assert set(CorrectionStatus.values) == {"proposed", "accepted", "rejected"}


# --- the pages -----------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a person reads: element content without tags, attribute values, scripts or styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


class _Options(HTMLParser):
    def __init__(self, select_id):
        super().__init__(convert_charrefs=True)
        self.select_id, self.inside, self.options, self.current = select_id, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select" and attrs.get("id") == self.select_id:
            self.inside = True
        elif tag == "option" and self.inside:
            self.current = [attrs.get("value"), ""]

    def handle_data(self, data):
        if self.current is not None:
            self.current[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.current is not None:
            self.options.append(tuple(self.current))
            self.current = None
        elif tag == "select":
            self.inside = False


def options(html: str, select_id: str) -> list[tuple[str, str]]:
    parser = _Options(select_id)
    parser.feed(html)
    return parser.options


def test_the_visible_text_helper_ignores_tags_and_attributes():
    html = '<p title="out_of_scope" data-x="a_b">Hello <code>top_up_failed</code></p><script>a_b()</script>'
    assert visible_text(html) == "Hello top_up_failed"
    assert SNAKE.findall(visible_text(html)) == ["top_up_failed"]
    assert SNAKE.findall("Refund_not_showing_up") == ["Refund_not_showing_up"]


@pytest.fixture
def turns(db, agent):
    """A doubtful BANKING77 turn, one with a proposed correction, small talk and an intent deleted
    since; and an accepted training example."""
    conversation = BotConversation.objects.create()
    doubtful = BotTurn.objects.create(
        conversation=conversation,
        text="my refund is not showing up",
        language="en",
        intent="Refund_not_showing_up",
        confidence=0.31,
        abstained=True,
    )
    corrected = BotTurn.objects.create(
        conversation=conversation,
        text="怎么激活我的卡",
        language="zh-hans",
        intent="card_arrival",
        confidence=0.4,
        hand_off=True,
        corrected_intent="activate_my_card",
        corrected_by=agent,
        correction_status=CorrectionStatus.PROPOSED,
    )
    BotTurn.objects.create(
        conversation=conversation, text="你好呀", language="zh-hans", intent="small_talk", abstained=True
    )
    BotTurn.objects.create(
        conversation=conversation, text="old", language="en", intent="old_deleted_intent", hand_off=True
    )
    BotTrainingExample.objects.create(text="我的卡在哪", intent="card_delivery_estimate", language="zh-hans")
    return {"doubtful": doubtful, "corrected": corrected}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bot_log_shows_labels_not_codes(client, supervisor, turns, language):
    supervisor.language = language
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)
    response = client.get("/console/bot/")
    assert response.status_code == 200
    html = response.content.decode()
    text = visible_text(html)
    assert SNAKE.findall(text) == []
    with translation.override(language):
        for expected in (
            intent_label("Refund_not_showing_up"),
            intent_label("card_arrival"),
            intent_label("activate_my_card"),
            intent_label("small_talk"),
            "Old deleted intent",
            str(CorrectionStatus.PROPOSED.label),
        ):
            assert expected in text, expected
    assert ("退款未到账" if language == "zh-hans" else "Refund not showing up") in text
    # the list of the doubtful turn: values are the names, texts the labels in the reader's order
    listed = options(html, f"intent-{turns['doubtful'].pk}")
    assert listed[0] == ("", "—")
    assert listed[1:] == intent_choices(language)
    assert {value for value, _text in listed[1:]} == set(catalog()) | {"out_of_scope"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_corrections_page_shows_labels_not_codes(client, supervisor, turns, language):
    supervisor.language = language
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)
    html = client.get("/console/bot/corrections/").content.decode()
    text = visible_text(html)
    assert SNAKE.findall(text) == []
    for name in ("card_arrival", "activate_my_card", "card_delivery_estimate"):
        assert intent_label(name, language) in text


def test_a_correction_still_posts_the_name(client, agent, turns):
    client.force_login(agent)
    turn = turns["doubtful"]
    client.post(f"/console/bot/turns/{turn.pk}/correct/", {"intent": "out_of_scope"})
    turn.refresh_from_db()
    assert (turn.corrected_intent, turn.correction_status) == ("out_of_scope", "proposed")
    client.post(f"/console/bot/turns/{turn.pk}/correct/", {"intent": "退款未到账"})  # a label is no name
    turn.refresh_from_db()
    assert turn.corrected_intent == "out_of_scope"


def test_a_chat_shows_the_bot_answers_intent_as_its_label(client, supervisor, customer, tiny_bot):
    from okpay.chat.actions import conversation_open, message_post
    from okpay.chat.presenters import message_data

    chat = conversation_open(user=customer, language="zh-hans")
    message_post(conversation=chat, sender="customer", author=customer, client_id="c-1", text="我的手机丢了")
    bot_message = chat.messages.get(sender="bot")
    assert bot_message.intent == "lost_or_stolen_phone"  # the engine's security rule, no model needed
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)
    html = client.get(f"/console/chat/{chat.pk}/").content.decode()
    text = visible_text(html)
    assert "Phone lost or stolen" in text and "lost_or_stolen_phone" not in text
    assert SNAKE.findall(" ".join(label for _name, label in options(html, f"intent-{bot_message.seq}"))) == []
    assert options(html, f"intent-{bot_message.seq}") == intent_choices("en")
    # the live stream and the API carry the label in the reader's language beside the name
    for language, label in (("zh-hans", "手机丢失或被盗"), ("en", "Phone lost or stolen")):
        data = message_data(bot_message, language=language, for_customer=False)
        assert (data["intent"], data["intent_label"]) == ("lost_or_stolen_phone", label)
