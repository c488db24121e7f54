"""The bot's dispute answers come from the signed-in customer's own payments and disputes: the likely
double charge with merchant, amount and both times; payments not recognised with "report"; refunds;
the state and next deadline of each dispute, in the customer's language and time zone; and never a
visitor's or another customer's data."""

import json
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from okpay.bot.catalog import catalog
from okpay.core import hooks
from okpay.disputes import actions, bot_actions
from okpay.wallet.actions import payment_create, refund_create, topup_demo
from okpay.wallet.models import Payment

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shop(make_user):
    return make_user(email="shop@example.com", role="merchant", full_name="Tea Shop")


@pytest.fixture
def books(make_user):
    return make_user(email="books@example.com", role="merchant", full_name="Book Corner")


def pay(customer, merchant, amount_minor, *, hours_ago: float, key: str) -> Payment:
    topup_demo(user=customer, amount_minor=amount_minor, currency="CNY", key=f"seed-{key}")
    payment = payment_create(
        customer=customer,
        merchant=merchant,
        amount_minor=amount_minor,
        currency="CNY",
        description="tea",
        key=key,
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    payment.refresh_from_db()
    return payment


def local(moment, zone, language: str) -> str:
    with translation.override(language):
        return date_format(moment.astimezone(zone), "DATETIME_FORMAT")


def test_the_actions_are_registered_and_the_intents_name_them():
    keys = {
        "dispute_charged_twice": bot_actions.charged_twice,
        "dispute_unrecognised_payment": bot_actions.unrecognised_payment,
        "dispute_refund_missing": bot_actions.refund_missing,
        "dispute_start": bot_actions.dispute_start,
        "dispute_status": bot_actions.dispute_status,
    }
    for key, handler in keys.items():
        assert hooks.bot_action(key) is handler, key
    intents = catalog()
    assert intents["transaction_charged_twice"].action == "dispute_charged_twice"
    assert intents["card_payment_not_recognised"].action == "dispute_unrecognised_payment"
    assert intents["Refund_not_showing_up"].action == "dispute_refund_missing"
    assert intents["dispute_status"].action == "dispute_status"
    assert intents["open_dispute"].action == intents["contact_merchant"].action == "dispute_start"
    # an account takeover or a compromised card is not a payment question
    assert intents["compromised_card"].action == "lost_card"
    assert intents["lost_or_stolen_phone"].action == "lost_device"
    # every dispute action an intent names exists
    named = {i.action for i in intents.values() if i.action and i.action.startswith("dispute_")}
    assert named == set(keys)


def test_charged_twice_names_the_pair_with_merchant_amount_and_both_times(customer_en, shop, books):
    pay(customer_en, books, 9_900, hours_ago=30, key="b")
    first = pay(customer_en, shop, 1_500, hours_ago=5, key="t1")
    second = pay(customer_en, shop, 1_500, hours_ago=4.5, key="t2")
    result = bot_actions.charged_twice(customer_en, "en")
    assert result.text.startswith("This looks like a double charge: the same amount to the same merchant")
    assert "within 3 business days" in result.text
    assert result.items == [
        f"Tea Shop · CN¥15.00 · paid at {local(first.created_at, LONDON, 'en')} "
        f"and again at {local(second.created_at, LONDON, 'en')}"
    ]
    assert [(link.label, link.url) for link in result.links] == [
        ("Contact the merchant", f"/account/disputes/contact/{second.pk}/")
    ]


def test_charged_twice_in_chinese_uses_the_customers_language_and_time_zone(customer, shop):
    first = pay(customer, shop, 1_500, hours_ago=3, key="t1")
    second = pay(customer, shop, 1_500, hours_ago=1, key="t2")
    result = bot_actions.charged_twice(customer, "zh-hans")
    first_time, second_time = (
        local(first.created_at, SHANGHAI, "zh-hans"),
        local(second.created_at, SHANGHAI, "zh-hans"),
    )
    assert "年" in first_time  # the Chinese date format
    assert result.items == [
        # the words from the zh_Hans catalog; the amount and the dates in the Chinese format
        f"Tea Shop · ¥15.00 · 于 {first_time} 付款，又于 {second_time} 再次付款"
    ]
    assert result.links[0].url == f"/account/disputes/contact/{second.pk}/"


def test_payments_a_day_apart_or_refunded_are_no_double_charge(customer_en, shop):
    pay(customer_en, shop, 1_500, hours_ago=60, key="t1")
    pay(customer_en, shop, 1_500, hours_ago=30, key="t2")  # 30 h later
    pay(customer_en, shop, 2_000, hours_ago=2, key="t3")
    fourth = pay(customer_en, shop, 2_000, hours_ago=1, key="t4")
    refund_create(merchant=shop, payment=fourth, amount_minor=2_000, reason="duplicate", key="r")
    result = bot_actions.charged_twice(customer_en, "en")
    assert result.text == (
        "I found no two payments of the same amount to the same merchant within 24 hours. "
        "Your latest payments:"
    )
    assert len(result.items) == 4
    assert result.items[0].endswith("· CN¥20.00 refunded") and result.items[1].startswith(
        "Tea Shop · CN¥20.00 · "
    )
    assert [link.url for link in result.links] == ["/account/transactions/"]


def test_charged_twice_without_payments_explains(customer_en):
    result = bot_actions.charged_twice(customer_en, "en")
    assert result.text == "You have made no payments to merchants in the last 180 days."
    assert result.items == []


def test_charged_twice_links_the_dispute_already_opened(customer_en, shop):
    pay(customer_en, shop, 1_500, hours_ago=2, key="t1")
    second = pay(customer_en, shop, 1_500, hours_ago=1, key="t2")
    dispute = actions.dispute_contact_start(customer=customer_en, payment_id=second.pk, body="twice")
    result = bot_actions.charged_twice(customer_en, "en")
    assert [(link.label, link.url) for link in result.links] == [
        (f"See your dispute {dispute.number}", f"/account/disputes/{dispute.number}/")
    ]


def test_a_visitor_gets_the_explanation_and_a_sign_in_offer(tiny_bot, customer, shop):
    from okpay.bot.engine import answer

    pay(customer, shop, 1_500, hours_ago=2, key="t1")
    pay(customer, shop, 1_500, hours_ago=1, key="t2")
    visitor = answer("I was charged twice", "en", None)
    assert visitor.intent == "transaction_charged_twice"
    assert "Contact the merchant" in visitor.reply and "3 business days" in visitor.reply
    assert visitor.actions == [
        {
            "text": "Sign in and ask again to see this for your own account.",
            "items": [],
            "links": [{"label": "Sign in", "url": "/accounts/login/", "method": "get"}],
        }
    ]
    assert "Tea Shop" not in json.dumps(visitor.as_dict())
    signed_in = answer("I was charged twice", "en", customer)
    assert signed_in.actions[0]["items"][0].startswith("Tea Shop · ")
    assert signed_in.actions[0]["links"][0]["url"].startswith("/account/disputes/contact/")


def test_unrecognised_payment_lists_new_merchants_first_with_report(customer_en, shop, books):
    pay(customer_en, shop, 1_000, hours_ago=24 * 40, key="old")  # Tea Shop was paid before
    usual = pay(customer_en, shop, 1_200, hours_ago=1, key="usual")
    strange = pay(customer_en, books, 8_800, hours_ago=3, key="strange")
    result = bot_actions.unrecognised_payment(customer_en, "en")
    assert result.text.startswith(
        "Your payments of the last 30 days, first those to merchants you had not paid before:"
    )
    assert "the dispute opens at once, we treat it as urgent" in result.text
    assert [item.split(" · ")[:2] for item in result.items] == [
        ["Book Corner", "CN¥88.00"],
        ["Tea Shop", "CN¥12.00"],
    ]
    assert [link.url for link in result.links] == [
        f"/account/disputes/open/{strange.pk}/?reason=unauthorized",
        f"/account/disputes/open/{usual.pk}/?reason=unauthorized",
        "/account/transactions/",
    ]
    assert (
        result.links[0].label
        == f"Report an unauthorised payment: Book Corner, {local(strange.created_at, LONDON, 'en')}"
    )


def test_refund_missing_shows_refunds_and_asks_the_merchant(customer_en, shop):
    refunded = pay(customer_en, shop, 3_000, hours_ago=5, key="r")
    refund_create(merchant=shop, payment=refunded, amount_minor=1_000, reason="partial", key="r1")
    open_one = pay(customer_en, shop, 2_000, hours_ago=2, key="o")
    result = bot_actions.refund_missing(customer_en, "en")
    assert result.text.startswith("Refunds go back to your OKPay balance in the payment's currency")
    assert result.items[0].endswith("· CN¥10.00 refunded") and "CN¥30.00" in result.items[0]
    assert [link.url for link in result.links] == [
        f"/account/disputes/contact/{open_one.pk}/",
        "/account/transactions/",
    ]


def test_dispute_start_offers_the_next_step_per_payment(customer_en, shop):
    first = pay(customer_en, shop, 1_000, hours_ago=5, key="a")
    second = pay(customer_en, shop, 2_000, hours_ago=2, key="b")
    dispute = actions.dispute_contact_start(customer=customer_en, payment_id=first.pk, body="no item")
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=dispute.pk, body="shipped")
    result = bot_actions.dispute_start(customer_en, "en")
    assert [link.url for link in result.links] == [
        f"/account/disputes/contact/{second.pk}/",
        f"/account/disputes/open/{first.pk}/",  # the merchant refused: the dispute may be opened
        "/account/disputes/",
    ]


def test_status_without_disputes(customer_en):
    result = bot_actions.dispute_status(customer_en, "en")
    assert result.text.startswith("You have no disputes.")
    assert result.items == [] and [link.url for link in result.links] == ["/account/transactions/"]


def test_status_of_one_dispute_with_its_next_deadline_in_english(customer_en, shop):
    payment = pay(customer_en, shop, 1_500, hours_ago=1, key="a")
    dispute = actions.dispute_contact_start(customer=customer_en, payment_id=payment.pk, body="where is it")
    result = bot_actions.dispute_status(customer_en, "en")
    assert result.text == "Your dispute:"
    assert result.items == [
        f"{dispute.number} · Tea Shop · CN¥15.00 · Talking to the merchant · next deadline: "
        f"Merchant's answer to the customer, {local(dispute.merchant_answer_due_at, LONDON, 'en')}"
    ]
    assert [(link.label, link.url) for link in result.links] == [
        (dispute.number, f"/account/disputes/{dispute.number}/")
    ]


def test_status_in_chinese_dates_the_deadline_in_the_customers_zone(customer, shop):
    payment = pay(customer, shop, 1_500, hours_ago=1, key="a")
    dispute = actions.dispute_contact_start(customer=customer, payment_id=payment.pk, body="还没收到")
    result = bot_actions.dispute_status(customer, "zh-hans")
    deadline = local(dispute.merchant_answer_due_at, SHANGHAI, "zh-hans")
    assert "年" in deadline
    assert result.items[0].startswith(f"{dispute.number} · Tea Shop · ¥15.00 · ")
    assert result.items[0].endswith(deadline)


def test_status_of_several_disputes_running_first_and_never_another_customers(customer_en, shop, make_user):
    done = pay(customer_en, shop, 1_000, hours_ago=5, key="a")
    running = pay(customer_en, shop, 2_000, hours_ago=4, key="b")
    opened = pay(customer_en, shop, 3_000, hours_ago=3, key="c")
    withdrawn = actions.dispute_contact_start(customer=customer_en, payment_id=done.pk, body="x")
    actions.dispute_withdraw(customer=customer_en, dispute_id=withdrawn.pk, reason="solved")
    talking = actions.dispute_contact_start(customer=customer_en, payment_id=running.pk, body="y")
    first = actions.dispute_contact_start(customer=customer_en, payment_id=opened.pk, body="z")
    actions.dispute_merchant_refuse(merchant=shop, dispute_id=first.pk, body="no")
    open_dispute = actions.dispute_open(
        customer=customer_en, payment_id=opened.pk, reason="not_received", amount_minor=3_000, description="z"
    )
    stranger = make_user(email="stranger@example.com")
    theirs = actions.dispute_contact_start(
        customer=stranger, payment_id=pay(stranger, shop, 1_500, hours_ago=1, key="s").pk, body="mine"
    )
    result = bot_actions.dispute_status(customer_en, "en")
    assert result.text == "Your disputes (2 still open):"
    assert len(result.items) == 3
    assert result.items[-1] == f"{withdrawn.number} · Tea Shop · CN¥10.00 · Withdrawn"
    assert {item.split(" · ")[0] for item in result.items[:2]} == {talking.number, open_dispute.number}
    open_line = next(item for item in result.items if item.startswith(open_dispute.number))
    assert open_line == (
        f"{open_dispute.number} · Tea Shop · CN¥30.00 · Waiting for the merchant's response · next deadline: "
        f"Merchant's response, {local(open_dispute.response_due_at, LONDON, 'en')}"
    )
    assert result.links[-1].url == "/account/disputes/"
    assert theirs.number not in json.dumps([result.text, result.items, [link.url for link in result.links]])
    assert bot_actions.dispute_status(stranger, "en").items[0].startswith(theirs.number)
