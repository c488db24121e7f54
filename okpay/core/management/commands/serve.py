import argparse
import contextlib
import copy
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import uvicorn
import uvicorn.config
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from okpay.core.log_filters import STARTUP_PROBE

REDACT_FILTER = "okpay.accounts.log_filters.ResetTokenRedactFilter"
PROBE_FILTER = "okpay.core.log_filters.StartupProbeFilter"
WORKER_STOP_SECONDS = 30  # the worker gives a running task 20 s (okpay.core.worker.STOP_GRACE_SECONDS)
READY_WAIT_SECONDS = 180  # then the URL is printed anyway, with what /healthz still reports


def uvicorn_log_config() -> dict:
    """uvicorn's own logging setup, with every handler (the access log above all) passing records
    through the filter that hides password-reset tokens in request paths."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_reset_tokens"] = {"()": REDACT_FILTER}
    config["filters"]["startup_probe"] = {"()": PROBE_FILTER}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact_reset_tokens", "startup_probe"]
    return config


class Command(BaseCommand):
    help = (
        "Serve the site with uvicorn (ASGI: HTTP + websockets). In the embedded default it also runs "
        "the task worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("OKPAY_WEB_WORKERS", "1")))
        parser.add_argument(
            "--embedded-worker",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="run the task worker beside the web server (default: on unless DATABASE_URL is set)",
        )

    def handle(self, *args, host, port, workers, embedded_worker, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                f"--workers {workers} needs REDIS_URL: with several processes the cache, rate limits and the "
                "websocket channel layer must be shared through Redis (e.g. "
                "REDIS_URL=redis://127.0.0.1:6379/0). "
                "Use --workers 1 for the embedded default."
            )
        for signum in (signal.SIGTERM, signal.SIGHUP):
            # uvicorn shuts down gracefully on SIGTERM, then raises it again: this handler turns it
            # (and SIGHUP, and a signal during start-up) into an exit through the `finally` below
            signal.signal(signum, _exit_on_signal)
        worker = None
        try:
            call_command("check", deploy=not settings.DEBUG and not settings.DEMO_MODE, fail_level="ERROR")
            if embedded_worker is None:
                embedded_worker = not settings.DATABASE_URL
            if embedded_worker:
                worker = self.worker_start()
            threading.Thread(
                target=self.announce_when_ready, args=(host, port), name="okpay-ready", daemon=True
            ).start()
            os.environ["OKPAY_WARM_BOT"] = "1"
            uvicorn.run(
                "config.asgi:application",
                host=host,
                port=port,
                workers=workers,
                lifespan="off",
                proxy_headers=True,
                forwarded_allow_ips=os.environ.get("OKPAY_FORWARDED_ALLOW_IPS", "127.0.0.1"),
                log_level=os.environ.get("OKPAY_UVICORN_LOG_LEVEL", "info"),
                log_config=uvicorn_log_config(),
                timeout_graceful_shutdown=10,
                ws_per_message_deflate=settings.OKPAY_WS_COMPRESSION,
            )
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                self.worker_stop(worker)

    def announce_when_ready(self, host: str, port: int) -> None:
        """Print the address (and the demo accounts) once `/healthz` answers 200: the web process has
        loaded the app and warmed the answer bot and the search, and a worker has reported. Before
        that the address would lead a newcomer to a bot that hands everything over and a 503."""
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a comparison)
        names = [name.lstrip(".") for name in settings.ALLOWED_HOSTS if name.lstrip(".") not in ("", "*")]
        probe = urllib.request.Request(
            f"http://{'[' + local + ']' if ':' in local else local}:{port}{STARTUP_PROBE}",
            # a name the site answers to, and "already https" as a proxy in front would say (so that
            # production's HTTPS redirect does not answer the probe)
            headers={"Host": names[0] if names else local, "X-Forwarded-Proto": "https"},
        )
        started = time.monotonic()
        status = "no answer"
        while time.monotonic() - started < READY_WAIT_SECONDS:
            try:
                with urllib.request.urlopen(probe, timeout=5) as response:  # noqa: S310 (http, built here)
                    if response.status == 200:
                        break
            except urllib.error.HTTPError as error:
                status = f"{error.code}: {error.read(300).decode(errors='replace')}"
            except OSError:
                pass
            time.sleep(0.5)
        else:
            self.stderr.write(f"Not healthy after {READY_WAIT_SECONDS} s ({status}); serving anyway.")
        if settings.DEMO_MODE:
            from okpay.core.demo import demo_accounts_text

            self.stdout.write(self.style.SUCCESS(demo_accounts_text()))
            self.stdout.write(f"Demo outbox: http://{host}:{port}/demo/outbox/")
        self.stdout.write(
            self.style.SUCCESS(
                f"OKPay Service Center on http://{host}:{port}/ (ready in {time.monotonic() - started:.0f} s)"
            )
        )

    def worker_start(self) -> subprocess.Popen:
        """`okpay worker` (one child per queue) in a process group of its own: the terminal's Ctrl+C
        reaches only this process, which stops the worker once, and the whole group (workers, a
        training) can be ended together. The worker also stops by itself if this process dies."""
        worker = subprocess.Popen(
            [sys.executable, "-m", "okpay.cli", "worker", "--parent-pid", str(os.getpid())],
            env=os.environ.copy(),
            process_group=0,
        )
        self.stdout.write(f"Task worker started (pid {worker.pid}).")
        return worker

    def worker_stop(self, worker: subprocess.Popen) -> None:
        """SIGTERM to the worker (it stops its children: a running mail finishes, a training is cut
        short and queued again), then SIGKILL to whatever is left in its process group. Another
        signal meanwhile kills the group at once."""

        def hurry(signum, frame):
            _kill_group(worker.pid, signal.SIGKILL)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, hurry)
        if worker.poll() is None:
            self.stdout.write("Stopping the task worker…")
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.stderr.write("The task worker did not stop in time; killing it.")
        _kill_group(worker.pid, signal.SIGKILL)
        worker.wait()
        self.stdout.write("Task worker stopped.")


def _exit_on_signal(signum, frame):
    raise SystemExit(0)


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
