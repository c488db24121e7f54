"""Shared fixtures: users per role, signed-in clients, and a Playwright Chromium for browser tests."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


def pytest_configure(config):
    """Compile the message catalogs when a .po is newer than its .mo (the .mo files are not in git), so
    a bare `pytest` sees the same Chinese pages as `make test`; once, in the controlling process."""
    if hasattr(config, "workerinput"):
        return
    root = Path(__file__).resolve().parent
    stale = [
        po
        for po in root.glob("locale/*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        import subprocess
        import sys

        subprocess.run(
            [sys.executable, "manage.py", "compilemessages", "-v", "0", "--ignore", ".venv/*"],
            cwd=root,
            check=True,
        )
        _translations_forget()


def _translations_forget() -> None:
    """Drop catalogs Django may have loaded before they were compiled (as its autoreloader does)."""
    import gettext

    from asgiref.local import Local
    from django.utils.translation import trans_real

    gettext._translations = {}  # type: ignore[attr-defined]
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    from okpay.accounts.tests.factories import user_create

    return user_create


@pytest.fixture
def customer(make_user):
    return make_user(email="wang@example.com", full_name="王小明", language="zh-hans")


@pytest.fixture
def customer_en(make_user):
    return make_user(email="emma@example.com", full_name="Emma", language="en", time_zone="Europe/London")


@pytest.fixture
def agent(make_user):
    return make_user(email="agent1@example.com", role="agent")


@pytest.fixture
def supervisor(make_user):
    return make_user(email="super1@example.com", role="supervisor")


@pytest.fixture
def admin_user(make_user):
    return make_user(email="root@example.com", role="admin")


@pytest.fixture
def signed_in(client):
    """signed_in(user) → the test client, signed in through the real login form."""
    from okpay.accounts.tests.factories import PASSWORD

    def sign_in(user, c=None):
        c = c or client
        response = c.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return c

    return sign_in


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which async tests (websocket consumers) in later modules cannot share."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Chromium not installed: browser tests skipped (run `make test` as root to install it)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name") saves test-artifacts/<test>/<nn>-step-name.png."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name):
        counter["n"] += 1
        page.screenshot(path=str(folder / f"{counter['n']:02d}-{name}.png"), full_page=True)

    return take


@pytest.fixture
def committed(db, django_capture_on_commit_callbacks):
    """`with committed(): client.post(...)` runs the on-commit work (tasks, emails) of that request,
    as the real commit would."""

    def ctx():
        return django_capture_on_commit_callbacks(execute=True)

    return ctx


# --- answer bot: a tiny model for engine, chat and ticket tests ---------------------------------

BOT_FIXTURES = Path(__file__).resolve().parent / "okpay" / "bot" / "tests" / "fixtures"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, django_db_setup, django_db_blocker):
    """A model trained once per test session on the tiny fixture (seconds, not the full minute)."""
    from okpay.bot import training

    with django_db_blocker.unblock():
        model = training.train([BOT_FIXTURES / "tiny_train.csv"])
        model.threshold = 0.3
        directory = tmp_path_factory.mktemp("bot-model")
        training.save(model, directory)
    return directory


@pytest.fixture
def tiny_bot(db, tiny_model_dir):
    from okpay.bot.engine import forget_model
    from okpay.bot.models import BotModelVersion

    forget_model()
    BotModelVersion.objects.create(version="tiny", path=str(tiny_model_dir / "model.joblib"), is_active=True)
    yield
    forget_model()


@pytest.fixture(scope="session", autouse=True)
def _other_connections_closed_at_the_end(django_db_setup, django_db_blocker):
    """The chat socket's database work runs on the event loop's thread pool, whose threads keep their
    connections (CONN_MAX_AGE) — in production that is the point. At the end of a test session those
    threads are idle but may still hold connections to the test database, which PostgreSQL then refuses
    to drop; they are closed here first."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
