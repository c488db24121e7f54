from django.tasks import task


@task()
def international_settle_task(*, transfer_id: int) -> bool:
    from .international import international_settle

    return international_settle(transfer_id=transfer_id)


@task()
def international_review_expire_task(*, transfer_id: int) -> bool:
    from .international import international_review_expire

    return international_review_expire(transfer_id=transfer_id)


@task()
def fx_refresh_task(*, url: str = "") -> str:
    """Fetch the day's ECB rates (scheduled by `okpay fx schedule`; reschedules itself daily)."""
    from .fx import ECB_URL, rates_refresh

    try:
        rate_set = rates_refresh(url=url or ECB_URL)
    finally:
        fx_refresh_schedule()  # tomorrow's, whether or not today's fetch worked
    return str(rate_set)


def next_publication_time(now=None):
    """Next 16:30 Central European time on a weekday (ECB publishes ~16:00 CET on working days)."""
    import zoneinfo
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    local = (now or timezone.now()).astimezone(zone)
    candidate = datetime.combine(local.date(), time(16, 30), tzinfo=zone)
    while candidate <= local or candidate.weekday() >= 5:
        candidate = datetime.combine(candidate.date() + timedelta(days=1), time(16, 30), tzinfo=zone)
    return candidate


def fx_refresh_schedule() -> bool:
    """Make sure one future rate refresh is queued (called when a worker starts). Returns True if
    it queued one."""
    from django.tasks import task_backends

    backend = task_backends[fx_refresh_task.backend]
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    path = f"{fx_refresh_task.func.__module__}.{fx_refresh_task.func.__qualname__}"
    if DBTaskResult.objects.filter(task_path=path, status="READY").exists():
        return False
    fx_refresh_task.using(run_after=next_publication_time()).enqueue()
    return True
