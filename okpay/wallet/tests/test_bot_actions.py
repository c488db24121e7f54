"""The wallet's answers for the bot, from the customer's own account (hooks.BOT_ACTIONS): balances,
payments, international transfers, top-ups, limits — with real amounts, the customer's dates and links to
the exact pages; and for a customer with none of that kind."""

import zoneinfo

import pytest
from django.utils import timezone, translation

from okpay.core import hooks
from okpay.wallet import bot_actions
from okpay.wallet.actions import payment_create, topup_demo
from okpay.wallet.fx import quote_create, rates_refresh
from okpay.wallet.international.actions import international_review_decide, international_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates():
    rates_refresh()


def ask(key, user, language="en"):
    """As the engine calls an action: in the question's language and the customer's time zone."""
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
        return hooks.bot_action(key)(user, language)


def send(user, amount_minor, key, account="GB33BUKB20201555555555"):
    quote = quote_create(
        user=user,
        from_currency="CNY",
        to_currency="GBP",
        source_amount_minor=amount_minor,
        recipient_country="GB",
    )
    return international_submit(
        user=user,
        quote_id=quote.pk,
        recipient_name="Chen Jing",
        recipient_country="GB",
        recipient_account=account,
        recipient_address="1 King's Parade, Cambridge",
        sender_address="88 Caoxi Road, Shanghai",
        key=key,
    )


@pytest.fixture
def funded(customer_en):
    type(customer_en).objects.filter(pk=customer_en.pk).update(verification_level=2)
    customer_en.refresh_from_db()
    topup_demo(user=customer_en, amount_minor=2_000_000, currency="CNY", key="seed")
    return customer_en


def test_every_wallet_action_is_registered():
    for key in (
        "balances",
        "recent_payments",
        "international_status",
        "topup_status",
        "limits",
        "exchange_rate",
    ):
        assert hooks.bot_action(key) is getattr(bot_actions, key), key


def test_balances_show_available_and_held(funded):
    send(funded, 800_000, "held")
    result = ask("balances", funded)
    from okpay.wallet.selectors import balances_for

    account = next(a for a in balances_for(user=funded) if a.currency == "CNY")
    line = result.items[0]
    assert line.startswith("CNY: ") and "available" in line and "on hold" in line
    assert f"{account.available_balance / 100:,.2f} available" in line
    assert f"{account.pending_out / 100:,.2f} on hold" in line
    assert "on hold" in result.text and result.links[0].url == "/account/"


def test_balances_of_an_empty_account(customer):
    result = ask("balances", customer, "zh-hans")
    assert result.items == [] and result.links[0].url == "/account/topup/"


def test_transfers_each_with_state_next_step_and_its_own_page(funded, make_user):
    boss = make_user(email="boss@example.com", role="supervisor")
    pending = send(funded, 50_000, "small", account="GB94BARC10201530093459")
    review = send(funded, 800_000, "large")
    rejected = send(funded, 450_000, "rej", account="GB29NWBK60161331926819")
    international_review_decide(reviewer=boss, transfer_id=rejected.pk, approve=False, note="no")
    rejected.refresh_from_db()
    assert (pending.status, review.status, rejected.status) == ("pending", "under_review", "rejected")
    result = ask("international_status", funded)
    assert "2 still running" in result.text
    by_number = {item.split(" · ")[0]: item for item in result.items}
    assert "you can cancel it until" in by_number[f"INT-{pending.pk}"]
    assert "reviews it by" in by_number[f"INT-{review.pk}"]
    assert "did not approve" in by_number[f"INT-{rejected.pk}"]
    assert "¥500.00" in by_number[f"INT-{pending.pk}"] and "£" in by_number[f"INT-{pending.pk}"]
    urls = {link.url for link in result.links}
    assert f"/account/international/{pending.pk}/" in urls and f"/account/international/{review.pk}/" in urls
    cancel = next(link for link in result.links if link.url == f"/account/international/{pending.pk}/")
    london = timezone.localtime(pending.cancel_until, zoneinfo.ZoneInfo("Europe/London"))
    assert (
        cancel.label.startswith("Cancel") and f"{london:%H}:{london:%M}" in cancel.label
    )  # 24-hour English times


def test_after_the_cancel_window_the_link_only_shows_the_transfer(funded):
    from okpay.wallet.models import InternationalTransfer

    transfer = send(funded, 50_000, "late", account="GB94BARC10201530093459")
    InternationalTransfer.objects.filter(pk=transfer.pk).update(cancel_until=timezone.now())
    result = ask("international_status", funded)
    assert result.links[0].label == f"See INT-{transfer.pk}"
    assert "being paid out" in result.items[0]


def test_transfers_of_a_customer_without_any(customer):
    result = ask("international_status", customer, "zh-hans")
    assert result.items == [] and result.links[0].url == "/account/international/"


def test_payments_with_state_and_links(funded, make_user):
    shop = make_user(email="tea@example.com", role="merchant", full_name="Tea Shop")
    payment_create(
        customer=funded, merchant=shop, amount_minor=1500, currency="CNY", description="tea", key="p"
    )
    result = ask("recent_payments", funded)
    assert "Tea Shop" in result.items[0] and "¥15.00" in result.items[0] and "Completed" in result.items[0]
    assert result.links[0].url.startswith("/account/transactions/")


def test_no_payments(customer):
    assert ask("recent_payments", customer).items == []


def test_top_ups_and_none(funded, customer):
    result = ask("topup_status", funded)
    assert "¥20,000.00" in result.items[0] and result.links[0].url.startswith("/account/transactions/")
    assert ask("topup_status", customer).links[0].url == "/account/topup/"


def test_limits_per_level(funded, customer):
    send(funded, 800_000, "large")
    result = ask("limits", funded)
    assert "L2" in result.text
    assert result.items[0] == "Per transfer: €10,000.00"
    assert "left of €20,000.00" in result.items[1] and not result.items[1].startswith(
        "Last 24 hours: €20,000.00"
    )
    level0 = ask("limits", customer, "zh-hans")
    assert "L0" in level0.text and len(level0.items) == 1


def test_outside_demo_mode_no_answer_offers_a_top_up_page(settings, funded, customer):
    """Issue 16 item 18: only the demo has a top-up page (wallet:topup is a 404 outside it), so an answer
    offers "Top up (demo)" in the demo and no top-up button elsewhere."""
    assert [link.label for link in ask("balances", customer).links] == ["Top up (demo)"]
    settings.DEMO_MODE = False
    assert ask("balances", customer).links == []
    assert ask("topup_status", customer).links == []
    assert all("/account/topup/" not in link.url for link in ask("topup_status", funded).links)


def test_limits_promise_no_verification_that_cannot_be_done(funded, customer, make_user):
    """No page takes ID documents and no one can change a level: the answer says so instead of 'verify'."""
    level0 = ask("limits", customer)
    assert "start at L1" in level0.text and "isn't available yet" in level0.text
    assert "verify" not in level0.text.lower()
    level1 = make_user(email="level1@example.com", language="en")
    level1.verification_level = 1
    level1.save(update_fields=["verification_level"])
    assert "isn't available yet" in ask("limits", level1).text
    assert "available yet" not in ask("limits", funded).text  # L2: nothing above it
