import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Email into tickets: `okpay mail intake [FILE ...]` (raw messages; standard input when no file)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        intake = sub.add_parser("intake", help="read raw email messages from files or standard input")
        intake.add_argument("files", nargs="*", type=Path)

    def handle(self, *args, action, files, **options):
        from okpay.tickets.intake import email_intake

        sources = files or [None]
        for path in sources:
            if path is not None and not path.is_file():
                raise CommandError(f"no such file: {path}")
            raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
            result = email_intake(raw)
            number = result.ticket.number if result.ticket else "-"
            self.stdout.write(f"{path or 'stdin'}: {result.outcome} {number} {result.reason}".rstrip())
