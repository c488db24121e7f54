"""Two real `okpay serve` processes on PostgreSQL + Redis (docs/chat.md, "Scale-out"): the customer's
widget in Chromium talks to process A, the agent's websocket to process B, so every message crosses
Redis. They chat; A is killed (SIGKILL) while the agent goes on writing through B and the customer
types; A is started again on the same port; the widget resumes from its last seq (by HTTP polling
first — the restart takes longer than its three quick reconnects —, then on the websocket again with
`hello {last_seq}`) and shows every message exactly once, in seq order; the agent's socket got every
message once, and the database holds each message once.

The servers are the product's own start path (`python -m okpay.cli serve --no-embedded-worker`) with
the test settings and DATABASE_URL pointing at the test database, so they see what the test commits
(hence a transactional test). Skipped without PostgreSQL and Redis (CI sets both)."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="two server processes share a conversation only through PostgreSQL and Redis: "
        "set DATABASE_URL (postgres://…) and REDIS_URL",
    ),
]


@pytest.fixture(autouse=True)
def bot():
    """No scripted bot: nothing here asks the bot (the servers would use the real engine anyway)."""
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The test database (test_…), as the servers must reach it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


class Servers:
    """`okpay serve` processes, each in a process group of its own (killed whole)."""

    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",  # the same cache and channel-layer prefixes
            "DATABASE_URL": _database_url(),
            "OKPAY_VAR_DIR": str(var_dir),
            "OKPAY_UVICORN_LOG_LEVEL": "warning",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for Playwright in this process only
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.logs: list = []

    def start(self, name: str, port: int | None = None) -> None:
        port = port or self.ports.get(name) or _free_port()
        self.ports[name] = port
        log = (self.var_dir / f"serve-{name}.log").open("a")
        self.logs.append(log)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "okpay.cli", "serve", "--port", str(port), "--no-embedded-worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            process = self.processes[name]
            assert process.poll() is None, f"server {name} exited: {self.log_text(name)}"
            try:
                with urllib.request.urlopen(self.url(name) + "/healthz", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (503: no task worker, which these servers do not run)
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server {name} did not start: {self.log_text(name)}"
            time.sleep(0.2)

    def kill(self, name: str) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log_text(self, name: str) -> str:
        path = self.var_dir / f"serve-{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.processes):
            if self.processes[name].poll() is None:
                self.kill(name)
        for log in self.logs:
            log.close()


@pytest.fixture
def servers(transactional_db, tmp_path):
    """Static files collected for the servers (DEBUG is off: WhiteNoise serves STATIC_ROOT), then two
    servers, A and B; every process is killed at the end, whatever happened."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(STATIC_ROOT=tmp_path / "static"):
        call_command("collectstatic", interactive=False, verbosity=0)
    running = Servers(tmp_path)
    try:
        running.start("A")
        running.start("B")
        running.wait_ready("A")
        running.wait_ready("B")
        yield running
    finally:
        running.stop_all()


def _session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class AgentSocket:
    """The agent's websocket to server B (the documented protocol), read by a thread."""

    def __init__(self, url: str, cookie: str, conversation_id: str):
        from django.conf import settings
        from websockets.sync.client import connect

        self.frames: list[dict] = []
        self.lock = threading.Lock()
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(
            connect(
                url.replace("http://", "ws://") + "/ws/chat/",
                origin=url,
                additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
                open_timeout=10,
            )
        )
        self.ws.send(json.dumps({"type": "hello", "conversation": conversation_id, "last_seq": 0}))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait(lambda f: f["type"] == "hello")

    def _read(self):
        with contextlib.suppress(Exception):
            for raw in self.ws:
                with self.lock:
                    self.frames.append(json.loads(raw))

    def wait(self, predicate, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for frame in self.frames:
                    if predicate(frame):
                        return frame
            time.sleep(0.05)
        raise AssertionError(f"the agent never got the frame; frames: {self.frames[-10:]}")

    def send(self, client_id: str, text: str) -> int:
        self.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        ack = self.wait(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
        return ack["seq"]

    def received(self, text: str) -> dict:
        return self.wait(lambda f: f["type"] == "message" and f["message"]["text"] == text)

    def messages(self) -> list[dict]:
        with self.lock:
            return [f["message"] for f in self.frames if f["type"] == "message"]

    def close(self):
        with contextlib.suppress(Exception):
            self.stack.close()
        self.reader.join(timeout=5)


def _in_thread(function, **kwargs):
    """A chat action outside Playwright's event loop (its broadcast uses async_to_sync)."""
    from django.db import connections

    def run():
        try:
            return function(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=30)


SHOWN = """panel => Array.from(panel.querySelectorAll('.chat-log > li.chat-msg')).map(li => ({
    seq: li.dataset.seq ? Number(li.dataset.seq) : null,
    sender: (li.className.match(/chat-(customer|agent|bot|system)/) || [])[1] || '',
    text: (li.querySelector('.chat-text') || li).textContent.trim(),
}))"""


def test_customer_on_one_process_agent_on_another_survives_a_killed_process(
    servers, page, customer, make_user
):
    from okpay.chat.actions import conversation_open, handoff, presence_set
    from okpay.chat.models import Conversation, Message

    agent = make_user(email="li.agent@okpay.example", role="agent", full_name="李客服")
    _in_thread(presence_set, agent=agent, availability="online", capacity=3, languages=["zh-hans"], groups=[])
    conversation = _in_thread(conversation_open, user=customer, language="zh-hans")
    _in_thread(handoff, conversation=conversation, actor=customer)  # routed to the agent on duty at once
    conversation.refresh_from_db()
    assert (conversation.status, conversation.agent_id) == ("active", agent.pk)

    # the customer's widget on A, the agent's socket on B
    page.context.add_cookies(
        [{"name": "sessionid", "value": _session_cookie(customer), "url": servers.url("A")}]
    )
    page.goto(servers.url("A") + "/account/")
    page.locator(".bot-launcher > summary").click()
    panel = page.locator("#chat-panel")
    expect(panel).to_have_attribute("data-connection", "live")
    agent_socket = AgentSocket(servers.url("B"), _session_cookie(agent), str(conversation.pk))
    try:
        box = panel.locator("#chat-text")
        texts = {"customer": [], "agent": []}
        for n in (1, 2):
            text = f"客户消息 {n}"
            box.fill(text)
            box.press("Enter")
            agent_socket.received(text)  # A → Redis → B
            texts["customer"].append(text)
            text = f"客服回复 {n}"
            agent_socket.send(f"agent-{n}", text)
            expect(panel.locator(".chat-agent .chat-text").last).to_have_text(text)  # B → Redis → A
            texts["agent"].append(text)

        # A dies; the agent writes on through B, the customer types into the broken connection
        servers.kill("A")
        expect(panel).not_to_have_attribute("data-connection", "live")
        for n in (3, 4, 5):
            text = f"客服回复 {n}（A 停机时）"
            agent_socket.send(f"agent-{n}", text)
            texts["agent"].append(text)
        offline = "A 停机时客户打的字"
        box.fill(offline)
        box.press("Enter")
        texts["customer"].append(offline)
        expect(panel.locator(".chat-pending")).to_have_count(1)

        servers.start("A")  # the same port
        servers.wait_ready("A")
        expect(panel.locator(".chat-agent .chat-text").last).to_have_text(texts["agent"][-1], timeout=20_000)
        expect(panel.locator(".chat-pending")).to_have_count(0, timeout=20_000)  # its message went out
        agent_socket.received(offline)

        # after the outage, a last exchange (over whichever way the widget resumed)
        text = "客服回复 6"
        agent_socket.send("agent-6", text)
        texts["agent"].append(text)
        expect(panel.locator(".chat-agent .chat-text").last).to_have_text(text)
        text = "客户消息 7"
        box.fill(text)
        box.press("Enter")
        agent_socket.received(text)
        texts["customer"].append(text)
        expect(panel.locator(".chat-customer[data-seq]")).to_have_count(len(texts["customer"]))

        # a restart (≈ 5 s) outlasts the widget's three quick reconnects, so it resumed by polling over
        # HTTP; it tries the websocket again 30 s later and says hello with its last seq
        expect(panel).to_have_attribute("data-connection", "live", timeout=45_000)
        text = "客服回复 8（重新连上之后）"
        agent_socket.send("agent-8", text)
        texts["agent"].append(text)
        expect(panel.locator(".chat-agent .chat-text").last).to_have_text(text)
        text = "客户消息 9"
        box.fill(text)
        box.press("Enter")
        agent_socket.received(text)
        texts["customer"].append(text)
        expect(panel.locator(".chat-customer[data-seq]")).to_have_count(len(texts["customer"]))

        stored = list(
            Message.objects.filter(conversation=conversation)
            .exclude(sender="note")
            .order_by("seq")
            .values_list("seq", "sender", "text")
        )
        for sender in ("customer", "agent"):
            assert [text for _seq, who, text in stored if who == sender] == texts[sender]  # each once
        shown = panel.evaluate(SHOWN)
        assert [m["seq"] for m in shown] == [seq for seq, _sender, _text in stored]  # every one, in order
        assert [(m["sender"], m["text"]) for m in shown if m["sender"] in ("customer", "agent")] == [
            (who, text) for _seq, who, text in stored if who in ("customer", "agent")
        ]
        seen_by_agent = [m["seq"] for m in agent_socket.messages()]
        assert seen_by_agent == sorted(set(seen_by_agent)) == [seq for seq, _sender, _text in stored]
        assert Conversation.objects.get(pk=conversation.pk).status == "active"
    finally:
        agent_socket.close()
