"""Readiness of each backing service, for /healthz and `okpay check`."""

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return {"ok": ok, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


async def _channel_roundtrip() -> bool:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    payload = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "payload": payload})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    return message.get("payload") == payload


def check_channel_layer() -> dict:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        return {"ok": async_to_sync(_channel_roundtrip)(), "backend": backend}
    except Exception as error:
        return {"ok": False, "backend": backend, "error": type(error).__name__}


def check_worker() -> dict:
    from .models import WorkerHeartbeat

    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    if latest is None:
        return {"ok": False, "error": "no worker has reported"}
    fresh_after = timezone.now() - timedelta(seconds=settings.WORKER_STALE_AFTER_SECONDS)
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=fresh_after).count()
    return {"ok": alive > 0, "workers": alive, "last_seen": latest.seen_at.isoformat()}


_warm_up = {"state": "none"}  # in this process: none (no warm-up here), running, done


def warm_up_start(steps: Iterable[Callable[[], None]]) -> None:
    """Run a web process's warm-ups (hooks.WARM_UPS: the search indexes and encoders, the bot's model)
    in the background; until they end /healthz answers 503 (`warm_up`), so whoever waits for a healthy
    site (`okpay serve` before printing its address, a load balancer) sends no visitor to a cold process."""
    steps = list(steps)
    _warm_up["state"] = "running"

    def run() -> None:
        try:
            for step in steps:
                try:
                    step()
                except Exception:  # a failed warm-up only means a slower first request
                    logger.exception("warm-up %s failed", getattr(step, "__qualname__", step))
        finally:
            _warm_up["state"] = "done"

    threading.Thread(target=run, name="warm-up", daemon=True).start()


def check_warm_up() -> dict:
    return {"ok": _warm_up["state"] != "running", "state": _warm_up["state"]}


def health_report() -> dict:
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "channel_layer": check_channel_layer(),
        "worker": check_worker(),
    }
    if _warm_up["state"] != "none":
        checks["warm_up"] = check_warm_up()
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "unavailable", "checks": checks}
