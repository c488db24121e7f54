"""Bootstraps Django for a benchmark script: a throwaway SQLite database under a temp folder."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(*, load_content: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("OKPAY_VAR_DIR", tempfile.mkdtemp(prefix="okpay-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("OKPAY_LOG_LEVEL", "WARNING")
    import warnings

    warnings.filterwarnings("ignore", category=SyntaxWarning)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if load_content:
        from okpay.helpcenter.shipped import content_load

        content_load()
