"""What core itself plugs into its extension points (okpay.core.hooks)."""

from . import hooks
from .tasks import housekeeping_schedule, idempotency_prune_schedule

hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("idempotency prune", idempotency_prune_schedule))
hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("housekeeping", housekeeping_schedule))
