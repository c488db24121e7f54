"""Payout providers behind one interface, chosen by configuration (OKPAY_PAYOUT_PROVIDER):

- `manual`: operators pay through the bank themselves. Requested withdrawals wait in the console's
  queue; an operator exports a batch (CSV), which moves them to processing, then marks each paid or
  failed with a code. How many real platforms run.
- `sandbox`: for demos and tests, labelled "sandbox" wherever a withdrawal is shown and refused by the
  production settings. It settles by itself: a requested withdrawal moves to processing at once, and
  is paid when the method's earliest arrival time has come — or fails with a documented code when its
  amount is the documented test amount (data/withdrawals.json "sandbox"). The worker's payout sweep
  (every minute) makes the steps that are due."""

from django.db import transaction
from django.utils import timezone

from . import policy
from .choices import FailureCode, WithdrawalStatus
from .models import Withdrawal


class Provider:
    name = ""

    def accepted(self, withdrawal: Withdrawal) -> Withdrawal:
        """The withdrawal is requested (after submission, or after a review approved it); returns it
        as it is now."""
        return withdrawal


class ManualProvider(Provider):
    name = "manual"


class SandboxProvider(Provider):
    name = "sandbox"

    def accepted(self, withdrawal: Withdrawal) -> Withdrawal:
        from .withdrawals import SYSTEM, withdrawal_transition

        processing = withdrawal_transition(
            withdrawal=withdrawal, to=WithdrawalStatus.PROCESSING, actor=SYSTEM, note="sandbox: sent"
        )
        due = policy.sandbox_due(processing.method, processing.created_at)
        processing.provider_due_at, processing.provider_reference = due, f"SBX-{processing.pk}"
        processing.save(update_fields=["provider_due_at", "provider_reference"])
        return processing


PROVIDERS: dict[str, Provider] = {p.name: p for p in (ManualProvider(), SandboxProvider())}


def provider_for(withdrawal: Withdrawal) -> Provider:
    return PROVIDERS[withdrawal.provider]


def sandbox_sweep(*, now=None) -> int:
    """Settle every sandbox withdrawal whose time has come: paid, or failed for the test amount."""
    from .withdrawals import SYSTEM, withdrawal_transition

    now = now or timezone.now()
    data = policy.rules()["sandbox"]
    due = Withdrawal.objects.filter(
        provider="sandbox", status=WithdrawalStatus.PROCESSING, provider_due_at__lte=now
    ).values_list("pk", flat=True)[:500]
    settled = 0
    for pk in due:
        with transaction.atomic():
            withdrawal = (
                Withdrawal.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=WithdrawalStatus.PROCESSING)
                .first()
            )
            if withdrawal is None:
                continue
            if withdrawal.amount_minor == data["fail_amount_minor"]:
                withdrawal_transition(
                    withdrawal=withdrawal,
                    to=WithdrawalStatus.FAILED,
                    actor=SYSTEM,
                    failure_code=FailureCode(data["fail_code"]),
                    note="sandbox: the test amount fails",
                )
            else:
                withdrawal_transition(
                    withdrawal=withdrawal, to=WithdrawalStatus.PAID, actor=SYSTEM, note="sandbox: paid"
                )
            settled += 1
    return settled
