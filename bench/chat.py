"""Live chat under load: two `okpay serve` processes on PostgreSQL + Redis, 1,000 websockets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/okpay_bench_chat REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/chat.py [--connections 1000] [--duration 60] [--kill] [--bot-chats 100]

The database in DATABASE_URL is dropped and re-created (and dropped again at the end). The script:

1. migrates, loads the shipped help content, makes connections/2 customers and enough agents
   (capacity OKPAY_CHAT_MAX_CAPACITY each, online), and through the chat actions opens one
   conversation per customer and hands it off: each is active with an agent. Sessions are written
   the way a sign-in writes them.
2. The answer bot: the model shipped in the repository (okpay/bot/data/model/, what a fresh install
   answers with; `--bot-model PATH` uses another model file).
3. Starts two servers, the product's start path: `okpay serve --no-embedded-worker` with REDIS_URL
   (channels_redis pub/sub layer), on two ports.
4. Steady phase: an asyncio client (the `websockets` package) opens every connection — conversation i's
   customer on one process and its agent on the other, alternating, so every message crosses Redis —,
   each side sends a message every `--interval` s (5) for `--duration` s. End-to-end latency is the time
   from the send to the frame at the other side; ack latency the time to the sender's ack. Memory
   per connection: the servers' resident memory after all connections said hello minus before,
   divided by the connections. Meanwhile `--bot-chats` new conversations (with the bot) each send one
   question from the shipped validation sets: the first bot reply's latency is the send → the bot's
   message frame.
5. With `--kill`, a second phase of the same length: halfway through one server is SIGKILLed and
   started again on the same port at once. Every client does what docs/chat.md asks of one: resend
   unacknowledged messages with the same client id (after 8 s without an ack, as the widget, and after
   each reconnect), reconnect, `hello` with the last seq it holds. The resume time is from the kill to
   the last affected client's hello answered by the restarted process.

After each phase the client waits until every message is acknowledged and at the other side (at most
120 s), then every client says `hello` again with its last seq; lost = acknowledged but still not at
the other side after that (60 s more). The database is checked: each acknowledged message once.

Everything it started is stopped on exit, Ctrl+C or an error (servers by process group).
"""

import argparse
import asyncio
import contextlib
import csv
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BOT_DATA = ROOT / "okpay" / "bot" / "data"
ACK_RESEND_SECONDS = 8  # the widget's ACK_TIMEOUT_MS


# --- database, servers, processes ---------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def pids_named(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    found.append(int(entry))
    return found


class Servers:
    """`okpay serve` processes, each the leader of its own process group."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def start(self, name: str) -> None:
        port = self.ports.setdefault(name, free_port())
        log = (self.log_dir / f"serve-{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "okpay.cli", "serve", "--port", str(port), "--no-embedded-worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def answering(self, name: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # 503: no task worker here (or still warming up), but the server answers
        except OSError:
            return False

    def warmed(self, name: str) -> bool:
        """The answer bot and the help index loaded (/healthz says so beside the missing worker)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=2):
                return True
        except urllib.error.HTTPError as error:
            with contextlib.suppress(ValueError):
                return json.loads(error.read()).get("checks", {}).get("warm_up", {}).get("ok", True)
            return False
        except OSError:
            return False

    def wait_ready(self, name: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.answering(name):
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                log = (self.log_dir / f"serve-{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"server {name} did not start:\n{log}")
            time.sleep(0.1)

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def kill(self, name: str, signum=signal.SIGKILL) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)

    def stop_all(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                self.kill(name, signal.SIGTERM)
            if process.poll() is None:
                self.kill(name, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # anything left in its group


# --- setup through the product's code ------------------------------------------------------------


def django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # this process only writes rows; nobody listens during the setup
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["OKPAY_DEBUG"] = "0"
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    import warnings

    warnings.filterwarnings("ignore", category=SyntaxWarning)
    import django

    django.setup()


def bot_model(args, env: dict) -> str:
    """The active bot model: --bot-model, or the model shipped in the repository (what a fresh
    install answers with, okpay/bot/data/model/)."""
    from okpay.bot.models import BotModelVersion
    from okpay.bot.shipped import SHIPPED_DIR

    if args.bot_model:
        path, how = Path(args.bot_model), f"existing model file {args.bot_model}"
    else:
        path, how = SHIPPED_DIR / "model.joblib", f"the shipped model ({SHIPPED_DIR})"
    BotModelVersion.objects.update(is_active=False)
    BotModelVersion.objects.create(version="bench", path=str(path), is_active=True)
    return how


def bot_questions() -> list[tuple[str, str]]:
    """(text, language) from the shipped validation sets, Chinese and English."""
    questions = []
    with (BOT_DATA / "valid_okpay.csv").open() as f:
        questions += [(row["text"], row["language"]) for row in csv.DictReader(f)]
    with (BOT_DATA / "valid_zh_a.csv").open() as f:
        questions += [(row["text"], "zh-hans") for row in csv.DictReader(f)]
    return questions


def session_key(user) -> str:
    """The session row a sign-in writes (the websocket's auth middleware reads it)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def make_data(args, questions) -> dict:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from okpay.accounts.models import User
    from okpay.chat.actions import conversation_open, handoff, presence_set
    from okpay.helpcenter.models import ContactChannel

    ContactChannel.objects.filter(kind="chat").update(opens_at=None, closes_at=None)  # 24/7 for the run
    pairs = args.connections // 2
    capacity = settings.OKPAY_CHAT_MAX_CAPACITY
    password = make_password("bench-password-not-used")
    bot_chats = args.bot_chats + 4  # + 2 per server to warm it up
    customers = User.objects.bulk_create(
        [
            User(email=f"c{i}@bench.example", full_name=f"客户 {i}", language="zh-hans", password=password)
            for i in range(pairs + bot_chats)
        ]
    )
    agents = User.objects.bulk_create(
        [
            User(email=f"a{i}@bench.example", full_name=f"客服 {i}", role="agent", password=password)
            for i in range(math.ceil(pairs / capacity))
        ]
    )
    for agent in agents:
        presence_set(
            agent=agent, availability="online", capacity=capacity, languages=["zh-hans", "en"], groups=[]
        )
    started = time.perf_counter()
    chats = []
    for customer in customers[:pairs]:
        conversation = conversation_open(user=customer, language="zh-hans")
        result = handoff(conversation=conversation, actor=customer)
        assert result.status == "active", result
        conversation.refresh_from_db()
        chats.append((str(conversation.pk), customer, conversation.agent))
    handoff_seconds = time.perf_counter() - started
    agent_cookies = {agent.pk: session_key(agent) for agent in agents}
    random.shuffle(questions)
    bots = []
    for customer, (text, language) in zip(customers[pairs:], questions, strict=False):
        conversation = conversation_open(user=customer, language=language)
        bots.append((str(conversation.pk), session_key(customer), text))
    return {
        "chats": [(pk, session_key(customer), agent_cookies[agent.pk]) for pk, customer, agent in chats],
        "bots": bots,
        "agents": len(agents),
        "handoff_seconds": handoff_seconds,
    }


# --- the load client -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms, "
        f"p99 {percentile(values, 99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.sent: dict[str, dict] = {}  # client id → {t, conv, role, seq, ack_t, delayed}
        self.delivered: dict[str, float] = {}  # client id → when the other side got it
        self.e2e: list[float] = []
        self.e2e_delayed: list[float] = []  # sent while the sender was disconnected
        self.ack: list[float] = []
        self.duplicate_acks = 0
        self.retransmits = 0
        self.backlog = 0  # not yet acknowledged when the phase's sending ended
        self.drain_seconds = 0.0
        self.missing_before_resync = 0
        self.errors: dict[str, int] = {}
        self.started = self.ended = 0.0


class Client:
    """One websocket: a customer or an agent following one conversation (docs/chat.md, 'the client's
    side of no message lost')."""

    def __init__(self, bench, index: int, conversation: str, role: str, server: str, cookie: str):
        self.bench, self.index, self.conversation, self.role = bench, index, conversation, role
        self.server, self.cookie = server, cookie
        self.sender = "customer" if role == "customer" else "agent"
        self.last_seq = 0
        self.ws = None
        self.pending: dict[str, tuple[str, float]] = {}  # client id → (text, last attempt)
        self.hellos: list[float] = []
        self.opened: list[float] = []  # websocket handshakes completed
        self.duplicates = 0
        self.counter = 0

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        bench = self.bench
        delay = 0.5
        while not bench.closing:
            url = f"ws://127.0.0.1:{bench.ports[self.server]}/ws/chat/"
            try:
                async with connect(
                    url,
                    origin=f"http://127.0.0.1:{bench.ports[self.server]}",
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=20,
                    ping_interval=None,
                    close_timeout=2,
                ) as ws:
                    self.opened.append(time.monotonic())
                    await ws.send(
                        json.dumps(
                            {"type": "hello", "conversation": self.conversation, "last_seq": self.last_seq}
                        )
                    )
                    async for raw in ws:
                        frame = json.loads(raw)
                        kind = frame.get("type")
                        if kind == "hello":
                            self.ws = ws
                            self.hellos.append(time.monotonic())
                            delay = 0.5
                            for client_id in list(self.pending):
                                self.pending[client_id] = (self.pending[client_id][0], 0.0)
                                self.transmit_soon(client_id)
                        elif kind == "message":
                            self.received(frame["message"])
                        elif kind == "ack":
                            self.acked(frame)
                        elif kind == "error":
                            phase = bench.phase
                            phase.errors[frame.get("code")] = phase.errors.get(frame.get("code"), 0) + 1
            except asyncio.CancelledError:
                raise
            except Exception:  # refused, reset, closed: reconnect below
                pass
            self.ws = None
            if bench.closing:
                return
            await asyncio.sleep(delay + random.random() * 0.5)
            delay = min(delay * 2, 2.0)

    async def transmit(self, client_id: str) -> None:
        if client_id not in self.pending:
            return  # acked meanwhile
        text, last = self.pending[client_id]
        ws = self.ws
        if ws is None:
            return
        if last:
            record = self.bench.find(client_id)
            if record is not None:
                record[0].retransmits += 1
        self.pending[client_id] = (text, time.monotonic())
        with contextlib.suppress(Exception):  # a closed socket: sent again after the next hello
            await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))

    def transmit_soon(self, client_id: str) -> None:
        """Send without holding up the caller (a server that reads slowly pushes back on the socket)."""
        task = asyncio.create_task(self.transmit(client_id))
        self.bench.background.add(task)
        task.add_done_callback(self.bench.background.discard)

    def send_new(self) -> None:
        phase = self.bench.phase
        self.counter += 1
        client_id = f"{phase.name[0]}{self.role[0]}{self.index}-{self.counter}"
        text = f"{'客户' if self.role == 'customer' else '客服'} {self.index} 的第 {self.counter} 条消息"
        phase.sent[client_id] = {
            "t": time.monotonic(),
            "conv": self.index,
            "role": self.role,
            "seq": None,
            "delayed": self.ws is None,
        }
        self.pending[client_id] = (text, 0.0)
        self.transmit_soon(client_id)

    def resend_stale(self) -> None:
        """No ack within ACK_RESEND_SECONDS: the same client id again (what the widget does)."""
        now = time.monotonic()
        for client_id, (_text, last) in list(self.pending.items()):
            if self.ws is not None and last and now - last > ACK_RESEND_SECONDS:
                self.transmit_soon(client_id)

    def acked(self, frame: dict) -> None:
        client_id = frame["client_id"]
        self.pending.pop(client_id, None)
        record = self.bench.find(client_id)
        if record is None:
            return
        phase, sent = record
        if frame.get("duplicate"):
            phase.duplicate_acks += 1
        if sent["seq"] is None:
            sent["seq"] = frame["seq"]
            sent["ack_t"] = time.monotonic()
            if not sent["delayed"]:
                phase.ack.append(time.monotonic() - sent["t"])

    def received(self, message: dict) -> None:
        seq = message["seq"]
        if seq <= self.last_seq:
            self.duplicates += 1  # the server promises each once
            return
        self.last_seq = seq
        client_id = message.get("client_id") or ""
        if message["sender"] == "bot" or message["sender"] == self.sender or not client_id:
            return
        record = self.bench.find(client_id)
        if record is None:
            return
        phase, sent = record
        if client_id in phase.delivered:
            return
        now = time.monotonic()
        phase.delivered[client_id] = now
        (phase.e2e_delayed if sent["delayed"] else phase.e2e).append(now - sent["t"])


class Bench:
    def __init__(self, args, data, servers: Servers):
        self.args, self.data, self.servers = args, data, servers
        self.ports = servers.ports
        self.closing = False
        self.phase = Phase("warm")
        self.phases: list[Phase] = []
        self.clients: list[Client] = []
        self.bot_latency: list[float] = []
        self.bot_ack: list[float] = []
        self.bot_failures = 0
        self.loop_lag: list[float] = []
        self.cpu_used: dict[str, float] = {}
        self.background: set[asyncio.Task] = set()

    def find(self, client_id: str):
        for phase in self.phases:
            if client_id in phase.sent:
                return phase, phase.sent[client_id]
        return None

    async def lag_monitor(self) -> None:
        while not self.closing:
            started = time.monotonic()
            await asyncio.sleep(0.1)
            self.loop_lag.append(time.monotonic() - started - 0.1)

    async def bot_chat(self, conversation: str, cookie: str, text: str, server: str, record: bool) -> None:
        from websockets.asyncio.client import connect

        port = self.ports[server]
        try:
            async with connect(
                f"ws://127.0.0.1:{port}/ws/chat/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": f"sessionid={cookie}"},
                open_timeout=30,
                ping_interval=None,
            ) as ws:
                await ws.send(json.dumps({"type": "hello", "conversation": conversation, "last_seq": 0}))
                async with asyncio.timeout(60):
                    async for raw in ws:
                        if json.loads(raw)["type"] == "hello":
                            break
                    started = time.monotonic()
                    await ws.send(json.dumps({"type": "message", "client_id": "q-1", "text": text}))
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] == "ack" and record:
                            self.bot_ack.append(time.monotonic() - started)
                        if frame["type"] == "message" and frame["message"]["sender"] == "bot":
                            if record:
                                self.bot_latency.append(time.monotonic() - started)
                            return
        except Exception:
            if record:
                self.bot_failures += 1

    async def connect_all(self) -> float:
        chats = self.data["chats"]
        for i, (conversation, customer_cookie, agent_cookie) in enumerate(chats):
            near, far = ("A", "B") if i % 2 == 0 else ("B", "A")
            self.clients.append(Client(self, i, conversation, "customer", near, customer_cookie))
            self.clients.append(Client(self, i, conversation, "agent", far, agent_cookie))
        started = time.monotonic()
        self.tasks = []
        for start in range(0, len(self.clients), 50):  # 50 at a time, as users would not all arrive at once
            batch = self.clients[start : start + 50]
            self.tasks += [asyncio.create_task(client.run()) for client in batch]
            while any(not client.hellos for client in batch):
                await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def run_phase(self, name: str, kill: str | None = None) -> dict:
        args = self.args
        phase = Phase(name)
        self.phases.append(phase)
        self.phase = phase
        result: dict = {}
        cpu_before = self.cpu()
        phase.started = time.monotonic()
        end = phase.started + args.duration
        senders = [asyncio.create_task(self.sender(client, end)) for client in self.clients]
        bots = []
        if name == "steady" and args.bot_chats:
            bots = [asyncio.create_task(self.bots_spread(end))]
        if kill:
            await asyncio.sleep(args.duration / 2)
            result = await self.kill_and_restart(kill)
        await asyncio.gather(*senders)
        phase.ended = time.monotonic()
        result["cpu"] = self.cpu_delta(cpu_before, phase.ended - phase.started)
        result["load"] = os.getloadavg()[0]
        await asyncio.gather(*bots)
        await self.drain(phase, timeout=120)
        await self.resync(phase, timeout=60)
        if kill:
            affected = [c for c in self.clients if c.server == kill]
            resumed = [next((t for t in c.hellos if t > result["killed_at"]), None) for c in affected]
            done = [t - result["killed_at"] for t in resumed if t is not None]
            result["resumed"] = len(done)
            result["affected"] = len(affected)
            result["resume_p50"] = percentile(done, 50)
            result["resume_max"] = max(done) if done else float("nan")
            opened = [next((t for t in c.opened if t > result["killed_at"]), None) for c in affected]
            opened_after = [t - result["killed_at"] for t in opened if t is not None]
            result["opened_p50"] = percentile(opened_after, 50)
            result["opened_max"] = max(opened_after) if opened_after else float("nan")
        return result

    async def sender(self, client: Client, end: float) -> None:
        interval = self.args.interval
        next_at = time.monotonic() + random.uniform(0, interval)
        while next_at < end:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            client.send_new()
            client.resend_stale()
            next_at += interval

    async def bots_spread(self, end: float) -> None:
        bots = self.data["bots"][4:]
        every = (end - time.monotonic() - 5) / max(1, len(bots))
        tasks = []
        for k, (conversation, cookie, text) in enumerate(bots):
            tasks.append(asyncio.create_task(self.bot_chat(conversation, cookie, text, "AB"[k % 2], True)))
            await asyncio.sleep(every)
        await asyncio.gather(*tasks)

    async def kill_and_restart(self, name: str) -> dict:
        loop = asyncio.get_running_loop()
        killed_at = time.monotonic()
        await loop.run_in_executor(None, self.servers.kill, name)
        self.servers.start(name)
        await loop.run_in_executor(None, self.servers.wait_ready, name)
        restart_seconds = time.monotonic() - killed_at
        while not await loop.run_in_executor(None, self.servers.warmed, name):
            await asyncio.sleep(0.2)
        return {
            "killed_at": killed_at,
            "restart_seconds": restart_seconds,
            "warm_seconds": time.monotonic() - killed_at,
        }

    async def drain(self, phase: Phase, timeout: float) -> None:
        """Until every sent message is acknowledged and at the other side (or the timeout)."""
        started = time.monotonic()
        phase.backlog = sum(1 for s in phase.sent.values() if s["seq"] is None)
        while time.monotonic() < started + timeout:
            for client in self.clients:
                client.resend_stale()
            unacked = [k for k, s in phase.sent.items() if s["seq"] is None]
            undelivered = [
                k for k, s in phase.sent.items() if s["seq"] is not None and k not in phase.delivered
            ]
            if not unacked and not undelivered:
                break
            await asyncio.sleep(0.5)
        phase.drain_seconds = time.monotonic() - started

    async def resync(self, phase: Phase, timeout: float) -> None:
        """Every client says hello again with the last seq it holds (what a client does after any doubt):
        whatever it still misses is replayed; only what is missing after that is lost."""
        missing = [k for k, s in phase.sent.items() if s["seq"] is not None and k not in phase.delivered]
        phase.missing_before_resync = len(missing)
        if not missing:
            return
        for client in self.clients:
            if client.ws is not None:
                hello = {"type": "hello", "conversation": client.conversation, "last_seq": client.last_seq}
                with contextlib.suppress(Exception):
                    await client.ws.send(json.dumps(hello))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(k not in phase.delivered for k in missing):
            await asyncio.sleep(0.5)

    def cpu_sample(self) -> dict:
        return {
            **{("servers", pid): cpu_seconds(pid) for pid in (self.servers.pid("A"), self.servers.pid("B"))},
            **{("postgres", pid): cpu_seconds(pid) for pid in pids_named("postgres")},
            **{("redis", pid): cpu_seconds(pid) for pid in pids_named("redis-server")},
            ("client", 0): sum(os.times()[:2]),
        }

    async def cpu_monitor(self) -> None:
        """CPU seconds per component, summed over sampling intervals (a killed server's share up to its
        last sample counts; processes that come and go, e.g. PostgreSQL backends, too)."""
        last = self.cpu_sample()
        while not self.closing:
            await asyncio.sleep(0.5)
            now = self.cpu_sample()
            for (component, pid), seconds in now.items():
                self.cpu_used[component] = self.cpu_used.get(component, 0.0) + max(
                    0.0, seconds - last.get((component, pid), 0.0)
                )
            last = now

    def cpu(self) -> dict:
        return dict(self.cpu_used)

    def cpu_delta(self, before: dict, seconds: float) -> dict:
        after = self.cpu()
        return {key: (after.get(key, 0.0) - before.get(key, 0.0)) / seconds for key in after}


def report_phase(phase: Phase, result: dict, args) -> None:
    seconds = phase.ended - phase.started
    acked = [k for k, s in phase.sent.items() if s["seq"] is not None]
    lost = [k for k in acked if k not in phase.delivered]
    in_window = sum(1 for s in phase.sent.values() if s.get("ack_t", math.inf) <= phase.ended)
    delivered_in_window = sum(1 for t in phase.delivered.values() if t <= phase.ended)
    print(f"\n== {phase.name} phase: {seconds:.0f} s ==")
    print(
        f"messages sent {len(phase.sent)} ({len(phase.sent) / seconds:.0f}/s offered), "
        f"stored (acked) {in_window / seconds:.1f}/s and delivered to the other side "
        f"{delivered_in_window / seconds:.1f}/s during the phase; "
        f"{phase.backlog} not yet acked when it ended, all settled {phase.drain_seconds:.1f} s later"
    )
    print(f"end-to-end latency (send → other side): {ms(phase.e2e)}")
    print(f"ack latency (send → ack): {ms(phase.ack)}")
    if phase.e2e_delayed:
        print(f"messages written while their sender was disconnected: end-to-end {ms(phase.e2e_delayed)}")
    print(
        f"lost (acked, never at the other side, even after a final hello from every client): {len(lost)}; "
        f"never acked: {len(phase.sent) - len(acked)} (of {len(phase.sent)}); "
        f"missing until that final hello: {phase.missing_before_resync}"
    )
    if phase.retransmits or phase.duplicate_acks:
        print(
            f"sent again (no ack in {ACK_RESEND_SECONDS} s, or after a reconnect): {phase.retransmits}; "
            f"answered as duplicates (same client id, nothing stored twice): {phase.duplicate_acks}"
        )
    if phase.errors:
        print(f"error frames: {phase.errors}")
    cpu = result["cpu"]
    print(
        "CPU (cores busy): servers {servers:.2f}, PostgreSQL {postgres:.2f}, Redis {redis:.2f}, "
        "this client {client:.2f}; machine load average {load:.1f}".format(
            load=result["load"], **{"servers": 0, "postgres": 0, "redis": 0, "client": 0, **cpu}
        )
    )
    if "restart_seconds" in result:
        print(
            f"killed server restarted and answering after {result['restart_seconds']:.1f} s "
            f"(bot and help index warmed after {result['warm_seconds']:.1f} s); "
            f"clients resumed (hello answered by the new process) {result['resumed']}/{result['affected']}: "
            f"p50 {result['resume_p50']:.1f} s, all {result['resume_max']:.1f} s after the kill "
            f"(websocket handshakes done: p50 {result['opened_p50']:.1f} s, all {result['opened_max']:.1f} s)"
        )


async def run(args, data, servers: Servers) -> list:
    bench = Bench(args, data, servers)
    lag = asyncio.create_task(bench.lag_monitor())
    monitor = asyncio.create_task(bench.cpu_monitor())
    try:
        # warm both servers' bot (model, encoders, jieba) before anything is measured
        for k, (conversation, cookie, text) in enumerate(data["bots"][:4]):
            await bench.bot_chat(conversation, cookie, text, "AB"[k % 2], False)
        await asyncio.sleep(2)
        before = {n: rss_kb(servers.pid(n)) for n in ("A", "B")}
        connect_seconds = await bench.connect_all()
        await asyncio.sleep(3)
        after = {n: rss_kb(servers.pid(n)) for n in ("A", "B")}
        connections = len(bench.clients)
        per = (sum(after.values()) - sum(before.values())) / connections
        print(f"\n{connections} connections open and following their conversation in {connect_seconds:.1f} s")
        print(
            f"server memory (RSS): A {before['A'] / 1024:.0f} → {after['A'] / 1024:.0f} MB, "
            f"B {before['B'] / 1024:.0f} → {after['B'] / 1024:.0f} MB: {per:.0f} KB per connection"
        )
        bench.loop_lag.clear()
        steady = await bench.run_phase("steady")
        report_phase(bench.phase, steady, args)
        print(f"first bot reply (customer message → bot message, under the load): {ms(bench.bot_latency)}")
        print(f"  its ack: {ms(bench.bot_ack)}; failed or timed out: {bench.bot_failures}")
        print(f"client event-loop lag: p99 {percentile(bench.loop_lag, 99) * 1000:.0f} ms")
        rss_end = {n: rss_kb(servers.pid(n)) for n in ("A", "B")}
        print(f"server RSS after the phase: A {rss_end['A'] / 1024:.0f} MB, B {rss_end['B'] / 1024:.0f} MB")
        if args.kill:
            killed = await bench.run_phase("kill", kill="A")
            report_phase(bench.phase, killed, args)
            duplicates = sum(c.duplicates for c in bench.clients)
            print(f"message frames received twice by a client: {duplicates}")
        return [(p.name, p.sent) for p in bench.phases]
    finally:
        bench.closing = True
        lag.cancel()
        monitor.cancel()
        for client in bench.clients:
            if client.ws is not None:
                with contextlib.suppress(Exception):
                    await client.ws.close()
        for task in getattr(bench, "tasks", []):
            task.cancel()
        await asyncio.gather(*getattr(bench, "tasks", []), return_exceptions=True)


def check_database(phases) -> None:
    """Each acknowledged message is stored exactly once."""
    from django.db.models import Count

    from okpay.chat.models import Message

    for name, sent in phases:
        ids = [k for k, s in sent.items() if s["seq"] is not None]
        counts = dict(
            Message.objects.filter(client_id__in=ids)
            .values_list("client_id")
            .annotate(n=Count("id"))
            .values_list("client_id", "n")
        )
        missing = sum(1 for k in ids if k not in counts)
        twice = sum(1 for n in counts.values() if n > 1)
        print(
            f"database, {name} phase: {len(ids)} acknowledged messages, "
            f"missing {missing}, stored twice {twice}"
        )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--connections", type=int, default=1000, help="websockets (half customers, half agents)"
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument("--interval", type=float, default=5, help="seconds between one side's messages")
    parser.add_argument("--kill", action="store_true", help="add a phase with one server SIGKILLed halfway")
    parser.add_argument("--bot-chats", type=int, default=100, help="new conversations asking the bot")
    parser.add_argument("--bot-model", help="another model file (model.joblib) instead of the shipped one")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit("set DATABASE_URL (PostgreSQL; that database is dropped and re-created) and REDIS_URL")
    if args.connections < 2 or args.connections % 2:
        sys.exit("--connections: an even number (a customer and an agent per conversation)")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _interrupt)  # stop everything as on Ctrl+C
    log_dir = Path(tempfile.mkdtemp(prefix="okpay-bench-chat-"))
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "OKPAY_DEBUG": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "OKPAY_LOG_LEVEL": "WARNING",
        "OKPAY_UVICORN_LOG_LEVEL": "warning",
        "PYTHONWARNINGS": "ignore::SyntaxWarning",
    }
    servers = Servers(server_env, log_dir)
    started = time.perf_counter()
    ensure_database(database_url)
    try:
        django_setup(database_url)
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        from okpay.helpcenter.shipped import content_load

        content_load()
        how = bot_model(args, {**server_env, "REDIS_URL": ""})
        data = make_data(args, bot_questions())
        connections.close_all()
        print(
            f"setup {time.perf_counter() - started:.0f} s: {len(data['chats'])} conversations with "
            f"{data['agents']} agents (hand-offs through the chat actions: {data['handoff_seconds']:.1f} s), "
            f"{len(data['bots']) - 4} bot conversations; bot model: {how}"
        )
        servers.start("A")
        servers.start("B")
        servers.wait_ready("A")
        servers.wait_ready("B")
        print(
            f"servers: okpay serve --no-embedded-worker on ports {servers.ports['A']} (A) and "
            f"{servers.ports['B']} (B), REDIS_URL {redis_url}; logs in {log_dir}"
        )
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        phases = runner(run(args, data, servers))
        check_database(phases)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
    finally:
        servers.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_database:
            drop_database(database_url)


if __name__ == "__main__":
    main()
