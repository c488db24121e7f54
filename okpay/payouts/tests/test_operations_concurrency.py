"""The payout batch under concurrency on PostgreSQL (16 threads): eight customers' cancels racing eight
operators' exports of the same requested withdrawals. Each withdrawal ends either cancelled (money
back) or in exactly one batch (processing), never both, never twice."""

import pytest
from django.utils import timezone

from okpay.core.errors import DomainError
from okpay.core.models import AuditEvent
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.payouts.models import PayoutDestination, Withdrawal
from okpay.payouts.operations import withdrawal_batch_export
from okpay.payouts.withdrawals import withdrawal_cancel, withdrawal_submit
from okpay.wallet.actions import topup_demo
from okpay.wallet.ledger import ledger_verify, wallet_account

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings):
    skip_unless_postgres()
    settings.OKPAY_PAYOUT_PROVIDER = "manual"
    from okpay.wallet.fx import rates_refresh

    rates_refresh()


def test_cancels_racing_batch_exports_move_each_withdrawal_once(make_user):
    customers, withdrawals = [], []
    for i in range(8):
        user = make_user(email=f"race{i}@example.com", verification_level=1)
        topup_demo(user=user, amount_minor=100_000, currency="CNY", key="seed")
        destination = PayoutDestination.objects.create(
            user=user,
            kind="ewallet",
            provider="alipay",
            account=f"1380013800{i}",
            usable_for_large_after=timezone.now(),
        )
        customers.append(user)
        withdrawals.append(
            withdrawal_submit(
                user=user,
                destination_id=destination.pk,
                amount_minor=10_000,
                currency="CNY",
                speed="standard",
                key="r",
            )
        )
    operators = [make_user(email=f"ops{i}@okpay.example", role="supervisor") for i in range(8)]

    def act(i):
        try:
            if i % 2:
                withdrawal_cancel(user=customers[i // 2], withdrawal_id=withdrawals[i // 2].pk)
                return "canceled"
            return [w.pk for w in withdrawal_batch_export(operator=operators[i // 2]).withdrawals]
        except DomainError as error:
            return error.code

    results = in_threads(16, act)
    exported = [pk for result in results if isinstance(result, list) for pk in result]
    assert len(exported) == len(set(exported))  # no withdrawal in two batches
    statuses = dict(Withdrawal.objects.values_list("pk", "status"))
    assert {pk for pk, status in statuses.items() if status == "processing"} == set(exported)
    assert {pk for pk, status in statuses.items() if status == "canceled"} == {
        w.pk for w in withdrawals if w.pk not in exported
    }
    assert sum(1 for result in results if result == "canceled") == 8 - len(exported)
    batches = AuditEvent.objects.filter(action="withdrawal.batch_exported")
    assert sorted(pk for event in batches for pk in event.data["withdrawals"]) == sorted(exported)
    for user, withdrawal in zip(customers, withdrawals, strict=True):
        account = wallet_account(user, "CNY")
        held = withdrawal.total_minor if withdrawal.pk in exported else 0
        assert account.available_balance == 100_000 - held
    assert ledger_verify() == []
