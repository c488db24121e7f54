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
        try:
            with transaction.atomic():
                summaries = demo_load()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        for line in summaries:
            self.stdout.write(f"- {line}")
        if not no_accounts:
            self.stdout.write(self.style.SUCCESS(demo_accounts_text()))
