import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from okpay.accounts.models import User
from okpay.core.demo import DEMO_EMAILS, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[3]


def run(args, **env):
    full_env = {**os.environ, **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "okpay.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.smoke
def test_demo_is_idempotent_and_creates_the_six_accounts(db, capsys):
    call_command("demo")
    call_command("demo")
    assert set(User.objects.values_list("email", flat=True)) == DEMO_EMAILS
    agent = User.objects.get(email="agent@example.com")
    assert agent.role == "agent" and agent.check_password(DEMO_PASSWORD) and agent.is_email_verified
    assert User.objects.get(email="customer.en@example.com").language == "en"
    assert "okpay-demo-2026" in capsys.readouterr().out


@pytest.mark.smoke
def test_demo_lists_the_accounts_once_in_make_run(db, capsys):
    """`make run` loads the demo with --no-accounts: `okpay serve` lists them beside the URL."""
    call_command("demo", "--if-empty", "--no-accounts")
    call_command("demo", "--if-empty", "--no-accounts")
    out = capsys.readouterr().out
    assert User.objects.filter(email="customer@example.com").exists()
    assert "okpay-demo-2026" not in out and "customer@example.com" not in out


def test_demo_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo")
    assert User.objects.count() == 0


def test_serve_with_several_workers_requires_redis():
    result = run(
        ["serve", "--workers", "3"], REDIS_URL="", DATABASE_URL="", OKPAY_VAR_DIR="/tmp/okpay-cli-test"
    )
    assert result.returncode != 0
    assert "needs REDIS_URL" in result.stderr


def test_production_refuses_default_secret():
    result = run(
        ["check"], DJANGO_SETTINGS_MODULE="config.settings.prod", OKPAY_SECRET_KEY="", OKPAY_DEMO_MODE="0"
    )
    assert result.returncode != 0
    assert "OKPAY_SECRET_KEY" in result.stderr


def test_production_refuses_demo_mode():
    result = run(
        ["check"],
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        OKPAY_SECRET_KEY="k" * 60,
        OKPAY_DEMO_MODE="1",
    )
    assert result.returncode != 0 and "OKPAY_DEMO_MODE" in result.stderr


def test_production_refuses_demo_users(db, settings):
    from okpay.core.checks import demo_users_absent

    User.objects.create_user(email="admin@example.com", password=DEMO_PASSWORD, role="admin")
    settings.DEMO_MODE = False
    errors = demo_users_absent(None)
    assert [e.id for e in errors] == ["okpay.E001"]
    settings.DEMO_MODE = True
    assert demo_users_absent(None) == []


def test_deploy_check_is_clean_with_production_environment(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "OKPAY_SECRET_KEY": "k3Y-" + "abcdefghij0123456789" * 3,
        "OKPAY_ALLOWED_HOSTS": "support.okpay.example",
        "OKPAY_SITE_URL": "https://support.okpay.example",
        "OKPAY_VAR_DIR": str(tmp_path),
        "OKPAY_DEMO_MODE": "0",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # nothing but notices (okpay.I001: the holiday data's last covered year is near its end)
    issues = [line for line in result.stdout.splitlines() if line.startswith(("?: (", "okpay", "django"))]
    assert "no issues" in result.stdout or all("(okpay.I001)" in line for line in issues), result.stdout
