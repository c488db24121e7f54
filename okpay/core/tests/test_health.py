from datetime import timedelta

import pytest
from django.utils import timezone

from okpay.core.models import WorkerHeartbeat

pytestmark = pytest.mark.smoke


def beat(seconds_ago: int):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="h", pid=1, started_at=now, seen_at=now - timedelta(seconds=seconds_ago)
    )


def test_healthy_when_everything_answers(client, db):
    beat(2)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "worker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_503_when_no_worker_reports(client, db):
    beat(600)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_503_when_the_cache_is_down(client, db, monkeypatch):
    beat(1)
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_503_when_the_channel_layer_is_down(client, db, monkeypatch):
    beat(1)
    import okpay.core.health as health

    def no_layer():
        raise OSError("layer down")

    monkeypatch.setattr(health, "get_channel_layer", no_layer)
    assert client.get("/healthz").status_code == 503


def test_the_start_up_probe_is_answered_but_not_logged(client, db, caplog):
    """`okpay serve` polls /healthz?probe=startup until it may print its address: a 503 then is "not
    yet", not an error line (a load balancer's plain /healthz 503 still is)."""
    import logging

    from okpay.core.log_filters import STARTUP_PROBE, StartupProbeFilter

    beat(600)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(STARTUP_PROBE).status_code == 503
        assert not [r for r in caplog.records if r.name == "django.request"]
        assert client.get("/healthz").status_code == 503
        assert [r for r in caplog.records if r.name == "django.request"]
    access = '%s - "%s %s HTTP/%s" %d'
    probe = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, access, ("a", "GET", STARTUP_PROBE, "1.1", 503), None
    )
    other = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, access, ("a", "GET", "/healthz", "1.1", 503), None
    )
    assert not StartupProbeFilter().filter(probe) and StartupProbeFilter().filter(other)
