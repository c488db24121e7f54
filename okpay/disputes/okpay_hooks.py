"""What disputes plug into core's extension points: the transaction page's links, audit labels, the
deadline sweep's schedule."""

from okpay.core import hooks

from .audit_labels import AUDIT_LABELS

hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)


def _transaction_links(row, user):
    from .views import payment_dispute_links

    return payment_dispute_links(row, user)


hooks.register(hooks.TRANSACTION_LINKS, _transaction_links)


def _sweep_schedule():
    from .tasks import disputes_sweep_schedule

    return disputes_sweep_schedule()


hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("disputes sweep", _sweep_schedule))
