"""The console's customer 360 shows the customer's withdrawals and payout destinations (a
hooks.CUSTOMER_PANELS block from payouts), masked."""

import pytest

from okpay.payouts.models import PayoutDestination
from okpay.payouts.withdrawals import withdrawal_submit
from okpay.wallet.actions import topup_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates(settings):
    from okpay.wallet.fx import rates_refresh

    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    rates_refresh()


def test_the_customer_360_shows_withdrawals_and_destinations(client, customer, agent):
    from django.utils import timezone

    topup_demo(user=customer, amount_minor=100_000, currency="CNY", key="seed")
    destination = PayoutDestination.objects.create(
        user=customer,
        kind="ewallet",
        provider="alipay",
        account="+8613800138000",
        usable_for_large_after=timezone.now(),
    )
    withdrawal = withdrawal_submit(
        user=customer,
        destination_id=destination.pk,
        amount_minor=10_000,
        currency="CNY",
        speed="standard",
        key="a",
    )
    client.force_login(agent)
    page = client.get(f"/console/customers/{customer.pk}/").content.decode()
    assert "资金转出和收款方式" in page and withdrawal.reference in page
    assert f"/console/withdrawals/{withdrawal.pk}/" in page and "•••• 8000" in page
    assert "13800138000" not in page
