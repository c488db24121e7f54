"""The demo has disputes in every state with evidence, once, and the ledger balances."""

import pytest

pytestmark = pytest.mark.django_db


def test_demo_disputes_in_every_state_idempotent_and_balanced():
    from django.core.management import call_command

    from okpay.disputes.models import Dispute, Evidence
    from okpay.wallet.ledger import ledger_verify

    call_command("demo")
    counts = (Dispute.objects.count(), Evidence.objects.count())
    call_command("demo")
    assert (Dispute.objects.count(), Evidence.objects.count()) == counts
    assert set(Dispute.objects.values_list("status", flat=True)) == {
        "merchant_contact",
        "open",
        "merchant_responded",
        "under_review",
        "resolved_partial",
        "resolved_customer",
        "appealed",
        "final",
        "withdrawn",
    }
    assert Dispute.objects.filter(is_urgent=True).count() == 1
    assert counts[1] >= 8
    assert ledger_verify() == []
