"""The payouts' periodic job: the sandbox provider's due steps (manual payouts are the operators')."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

SWEEP_EVERY = timedelta(minutes=1)


@task()
def payout_sweep_task() -> dict:
    """Every minute: settle the sandbox withdrawals that are due, then queue the next run."""
    from .providers import sandbox_sweep

    try:
        return {"sandbox_settled": sandbox_sweep()}
    finally:
        payout_sweep_schedule()


def payout_sweep_schedule() -> str | None:
    from okpay.core.worker import periodic_ensure

    if periodic_ensure(payout_sweep_task, timezone.now() + SWEEP_EVERY):
        return "queued the next payout sweep (sandbox withdrawals that are due)"
    return None
