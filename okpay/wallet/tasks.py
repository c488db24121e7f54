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

    rate_set = rates_refresh(url=url or ECB_URL)
    return str(rate_set)
