"""A newcomer's first `make run` (issue 16, item 1), as real processes on a fresh SQLite installation:
migrate, the demo, then `okpay serve`. The address is printed only when the product is ready, so at
that moment `/healthz` answers 200 and the answer bot answers from the shipped model in both languages,
at 390 px and 1280 px, instead of handing every question to a person until a training ends."""

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """`make run`'s steps (scripts/run.sh) on an empty installation; yields the base URL once `serve`
    has printed it, with the seconds that took and everything it printed."""
    var_dir = tmp_path_factory.mktemp("okpay-first-run")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "OKPAY_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "OKPAY_WARM_BOT"):
        env.pop(name, None)
    port = _free_port()
    env.update(OKPAY_DEBUG="0", OKPAY_BOT_TRAIN_ON_DEMO="1", OKPAY_SITE_URL=f"http://127.0.0.1:{port}")
    env["OKPAY_UVICORN_LOG_LEVEL"] = "warning"
    okpay = [sys.executable, "-m", "okpay.cli"]
    for step in (
        ["migrate", "--noinput", "-v", "0"],
        ["demo", "--if-empty", "--no-accounts"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        subprocess.run([*okpay, *step], cwd=ROOT, env=env, check=True, timeout=600, capture_output=True)
    serve = subprocess.Popen(
        [*okpay, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    printed: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in serve.stdout], daemon=True).start()
    started = time.monotonic()
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, 300 - (time.monotonic() - started)))
            except queue.Empty:
                raise AssertionError(
                    "`okpay serve` printed no address in 300 s:\n" + "".join(printed)
                ) from None
            printed.append(line)
            if "OKPay Service Center on http://" in line:
                break
        yield {"base": f"http://127.0.0.1:{port}", "printed": printed, "seconds": time.monotonic() - started}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()


def test_healthy_as_soon_as_the_address_is_printed(first_run):
    with urllib.request.urlopen(first_run["base"] + "/healthz", timeout=10) as response:
        assert response.status == 200
        report = json.loads(response.read())
    assert report["status"] == "ok" and report["checks"]["worker"]["ok"]
    output = "".join(first_run["printed"])
    assert output.count("customer@example.com") == 1  # the demo accounts, once, beside the address
    assert "SyntaxWarning" not in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("width", "locale", "question", "answer"),
    [
        (390, "zh-CN", "忘记密码了怎么办", "忘记密码"),
        (1280, "en-US", "I forgot my password, how do I reset it?", "Forgot password"),
    ],
)
def test_the_bot_answers_at_once_from_the_shipped_model(
    first_run, chromium, screenshot, width, locale, question, answer
):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(first_run["base"] + "/help/")
    box = page.locator("#bot-q")
    expect(box).to_be_visible()
    box.fill(question)
    box.press("Enter")
    reply = page.locator("#bot-replies .bot-answer").last
    expect(reply).to_contain_text(answer, ignore_case=True)
    expect(reply.locator('a[href*="reset-password"]').first).to_be_visible()  # the article, not a hand-off
    screenshot(page, f"first-answer-{width}")
    context.close()
