from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from okpay.core.demo import demo_accounts_text, demo_load


class Command(BaseCommand):
    help = "Load the demo data (idempotent; demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only when the database has no users yet")
        parser.add_argument(
            "--no-accounts",
            action="store_true",
            help="do not list the demo accounts (`okpay serve` lists them when it starts)",
        )

    def handle(self, *args, if_empty=False, no_accounts=False, **options):
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Database already has data; demo data not loaded again.")
            if not no_accounts:
                self.stdout.write(demo_accounts_text())
            return
        _catalogs_compiled(self)
        try:
            with transaction.atomic():
                summaries = demo_load()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for line in summaries:
            self.stdout.write(f"- {line}")
        if not no_accounts:
            self.stdout.write(self.style.SUCCESS(demo_accounts_text()))


def _catalogs_compiled(command) -> None:
    """The demo sends its emails (in Chinese to Chinese-speaking customers) while it loads, so the
    compiled message catalogs must exist first: compile them when a .po is newer than its .mo (or
    the .mo is missing), as on a fresh clone."""
    from django.conf import settings
    from django.core.management import call_command

    stale = [
        po
        for directory in settings.LOCALE_PATHS
        for po in Path(directory).glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        command.stdout.write("- compiling the message catalogs first (the demo's emails are translated)")
        call_command("compilemessages", verbosity=0, locale=sorted({po.parts[-3] for po in stale}))
        from django.utils.translation import trans_real

        trans_real._translations = {}  # type: ignore[attr-defined]  # as Django's setting_changed receiver
