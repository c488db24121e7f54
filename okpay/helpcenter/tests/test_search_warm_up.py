"""The first help search after start is not a cold start (issue 16, item 16): the warm-up loads the
encoder that queries use (a query sharing no word with any article never reached it) and the site
reports unhealthy until the warm-ups have ended, so `okpay serve` prints its address only then."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from okpay.core import health, text
from okpay.core.models import WorkerHeartbeat
from okpay.helpcenter import search
from okpay.helpcenter.shipped import content_load

pytestmark = pytest.mark.smoke


@pytest.fixture
def fresh_process(settings):
    """This process as a new web process: no index, no encoder loaded, no warm-up run."""
    settings.OKPAY_HELP_SEMANTIC = True
    search.index_forget()
    saved = dict(text._encoders)
    text._encoders.clear()
    yield
    health._warm_up["state"] = "none"
    search.index_forget()
    text._encoders.clear()
    text._encoders.update(saved)


def test_warm_up_loads_the_query_encoder_and_the_indexes(db, fresh_process):
    content_load()
    search.warm_up()
    assert set(text._encoders) == {1}  # the one the index, queries and the bot share; no second instance
    started = time.perf_counter()
    hits = search.index_for("zh-hans").search("提现多久到账")
    assert hits and hits[0].cosine > 0  # the semantic half answered, from the warm encoder
    assert set(text._encoders) == {1}
    assert time.perf_counter() - started < 1.5  # no model load inside the first search


def test_an_index_rebuild_encodes_only_what_changed(db, fresh_process, monkeypatch):
    content_load()
    search.index_for("en")
    encoded: list[int] = []
    real = search.embed

    def counting(texts, *, batch=False):
        encoded.append(len(texts))
        return real(texts, batch=batch)

    monkeypatch.setattr(search, "embed", counting)
    search.index_forget()
    index = search.index_for("en")
    assert encoded == [] and index.embeddings is not None and len(index.embeddings) == len(index.documents)


def test_site_is_unhealthy_until_the_warm_ups_end(client, db, fresh_process):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w", hostname="h", pid=1, started_at=now, seen_at=now)
    release = threading.Event()
    health.warm_up_start([lambda: release.wait(10)])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["warm_up"] == {"ok": False, "state": "running"}
    release.set()
    deadline = time.monotonic() + 5
    while health._warm_up["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.02)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["warm_up"] == {"ok": True, "state": "done"}


def test_a_failing_warm_up_does_not_keep_the_site_unhealthy(client, db, fresh_process):
    WorkerHeartbeat.objects.create(
        worker_id="w",
        hostname="h",
        pid=1,
        started_at=timezone.now(),
        seen_at=timezone.now() - timedelta(seconds=1),
    )

    def broken():
        raise RuntimeError("no model")

    health.warm_up_start([broken])
    deadline = time.monotonic() + 5
    while health._warm_up["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.get("/healthz").status_code == 200
