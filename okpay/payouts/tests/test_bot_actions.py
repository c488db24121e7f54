"""The bot answers "where is my withdrawal" from the customer's own withdrawals."""

import pytest

from okpay.core import hooks
from okpay.payouts.bot_actions import withdrawal_status
from okpay.payouts.models import PayoutDestination
from okpay.payouts.withdrawals import withdrawal_submit, withdrawal_transition
from okpay.wallet.actions import topup_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(settings):
    from okpay.wallet.fx import rates_refresh

    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    rates_refresh()


def test_the_bot_action_is_registered():
    assert hooks.bot_action("withdrawal_status") is withdrawal_status


def test_no_withdrawals(customer):
    from django.utils import translation

    with translation.override("zh-hans"):  # the engine answers in the language of the question
        assert withdrawal_status(customer, "zh-hans").text == "您还没有资金转出记录。"


def test_open_withdrawals_with_state_next_step_and_links(customer, make_user):
    from django.utils import timezone

    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    destination = PayoutDestination.objects.create(
        user=customer,
        kind="ewallet",
        provider="alipay",
        account="+8613800138000",
        usable_for_large_after=timezone.now(),
    )
    first = withdrawal_submit(
        user=customer,
        destination_id=destination.pk,
        amount_minor=10_000,
        currency="CNY",
        speed="standard",
        key="a",
    )
    second = withdrawal_submit(
        user=customer,
        destination_id=destination.pk,
        amount_minor=5_000,
        currency="CNY",
        speed="standard",
        key="b",
    )
    operator = make_user(email="ops@okpay.example", role="supervisor")
    withdrawal_transition(withdrawal=second, to="processing", actor=operator)
    from django.utils import translation

    with translation.override("en"):  # the engine answers in the language of the question
        result = withdrawal_status(customer, "en")
    assert result.text == "Your withdrawals:"
    assert len(result.items) == 2 and all("•••• 8000" in item for item in result.items)
    assert any(
        item.startswith(f"{first.reference} · ") and "you can still cancel it" in item
        for item in result.items
    )
    assert any(item.startswith(f"{second.reference} · ") and "on its way" in item for item in result.items)
    assert [link.label for link in result.links] == [second.reference, first.reference, "Withdraw"]
    assert result.links[0].url == f"/account/withdraw/{second.pk}/"


def test_how_do_i_withdraw_links_to_the_flow(customer):
    from django.utils import timezone, translation

    from okpay.payouts.bot_actions import withdraw_start

    assert hooks.bot_action("withdraw_start") is withdraw_start
    with translation.override("en"):
        first = withdraw_start(customer, "en")
        assert [link.url for link in first.links] == ["/account/withdraw/destinations/new/"]
        PayoutDestination.objects.create(
            user=customer,
            kind="ewallet",
            provider="alipay",
            account="+8613800138000",
            usable_for_large_after=timezone.now(),
        )
        ready = withdraw_start(customer, "en")
    assert "1 destinations" in ready.text or "1" in ready.text
    assert ready.links[0].url == "/account/withdraw/"
