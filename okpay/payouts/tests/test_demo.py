"""The demo customers have payout destinations and withdrawals in every state, once."""

import pytest

pytestmark = pytest.mark.django_db


def test_demo_withdrawals_in_every_state_idempotent_and_balanced(settings):
    from django.core.management import call_command

    from okpay.payouts.models import PayoutDestination, Withdrawal
    from okpay.wallet.ledger import ledger_verify

    settings.OKPAY_PAYOUT_PROVIDER = "sandbox"
    call_command("demo")
    counts = (PayoutDestination.objects.count(), Withdrawal.objects.count())
    call_command("demo")
    assert (PayoutDestination.objects.count(), Withdrawal.objects.count()) == counts == (5, 7)
    assert set(Withdrawal.objects.values_list("status", flat=True)) == {
        "paid",
        "failed",
        "canceled",
        "under_review",
        "processing",
        "rejected",
    }
    assert not PayoutDestination.objects.exclude(card_last4="").filter(account__gt="").exists()
    assert ledger_verify() == []
