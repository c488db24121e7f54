from datetime import timedelta

from django.tasks import task
from django.utils import timezone


@task()
def international_settle_task(*, transfer_id: int) -> bool:
    from .international.actions import international_settle

    return international_settle(transfer_id=transfer_id)


@task()
def international_review_expire_task(*, transfer_id: int) -> bool:
    from .international.actions import international_review_expire

    return international_review_expire(transfer_id=transfer_id)


@task()
def fx_refresh_task(*, url: str = "") -> str:
    """Fetch the day's ECB rates (queued at worker start; reschedules itself after each publication)."""
    from .fx import ECB_URL, rates_refresh

    try:
        rate_set = rates_refresh(url=url or ECB_URL)
    finally:
        fx_refresh_schedule()  # tomorrow's, whether or not today's fetch worked
    return str(rate_set)


def next_publication_time(now=None):
    """Next 16:30 Central European time on a weekday (ECB publishes ~16:00 CET on working days)."""
    import zoneinfo
    from datetime import datetime, time

    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    local = (now or timezone.now()).astimezone(zone)
    candidate = datetime.combine(local.date(), time(16, 30), tzinfo=zone)
    while candidate <= local or candidate.weekday() >= 5:
        candidate = datetime.combine(candidate.date() + timedelta(days=1), time(16, 30), tzinfo=zone)
    return candidate


def fx_refresh_schedule() -> bool:
    """Make sure one future rate refresh is queued (at worker start, through hooks.WORKER_SCHEDULES,
    and after each refresh). Returns True if it queued one."""
    from okpay.core.worker import periodic_ensure

    return periodic_ensure(fx_refresh_task, next_publication_time())


WALLET_SWEEP_EVERY = timedelta(minutes=5)


@task()
def wallet_sweep_task() -> dict:
    """Every 5 minutes: due deadlines the scheduled tasks missed, and expired holds (nothing else
    voids those)."""
    from .international.actions import wallet_sweep

    try:
        return wallet_sweep()
    finally:
        wallet_sweep_schedule()


def wallet_sweep_schedule() -> bool:
    from okpay.core.worker import periodic_ensure

    return periodic_ensure(wallet_sweep_task, timezone.now() + WALLET_SWEEP_EVERY)
