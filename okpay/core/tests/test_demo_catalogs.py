"""`okpay demo` sends translated emails while it loads, so on a fresh clone (no compiled catalogs yet)
it compiles them first — the demo's emails to Chinese-speaking customers are in Chinese."""

import io
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import OutputWrapper

from okpay.core.management.commands.demo import Command, _catalogs_compiled


def _copy_catalogs(tmp_path) -> Path:
    source = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po"
    target = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(source, target / "django.po")
    return target


def test_missing_catalogs_are_compiled_before_the_demo(tmp_path, settings):
    target = _copy_catalogs(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    out = io.StringIO()
    _catalogs_compiled(Command(stdout=OutputWrapper(out)))
    assert (target / "django.mo").stat().st_size > 100_000
    assert "compiling the message catalogs" in out.getvalue()


def test_compiled_catalogs_are_left_alone(tmp_path, settings):
    target = _copy_catalogs(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    _catalogs_compiled(Command(stdout=OutputWrapper(io.StringIO())))
    compiled_at = (target / "django.mo").stat().st_mtime_ns
    out = io.StringIO()
    _catalogs_compiled(Command(stdout=OutputWrapper(out)))
    assert (target / "django.mo").stat().st_mtime_ns == compiled_at
    assert out.getvalue() == ""
