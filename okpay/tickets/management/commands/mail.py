import logging
import signal
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

EX_DATAERR = 65  # sysexits.h: an MTA's pipe transport bounces the message with the reason printed


class Command(BaseCommand):
    help = (
        "Email into questions (docs/mail.md): `okpay mail smtpd` (SMTP receiver), `okpay mail imap` "
        "(poll a mailbox) or `okpay mail intake [FILE ...]` (raw messages; standard input when no file)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        intake = sub.add_parser("intake", help="read raw email messages from files or standard input")
        intake.add_argument("files", nargs="*", type=Path)
        smtpd = sub.add_parser("smtpd", help="receive mail for the support address over SMTP")
        smtpd.add_argument("--host", default=None, help="address to listen on (OKPAY_SMTPD_HOST)")
        smtpd.add_argument("--port", type=int, default=None, help="port (OKPAY_SMTPD_PORT)")
        imap = sub.add_parser("imap", help="take unseen mail from the IMAP mailbox (OKPAY_IMAP_*)")
        imap.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="poll every SECONDS")

    def handle(self, *args, action, **options):
        if action == "smtpd":
            return self._smtpd(options["host"], options["port"], options["verbosity"])
        if action == "imap":
            return self._imap(options["loop"])
        return self._intake(options["files"])

    def _intake(self, files):
        from okpay.tickets.intake import email_intake

        refused = False
        for path in files or [None]:
            if path is not None and not path.is_file():
                raise CommandError(f"no such file: {path}")
            raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
            result = email_intake(raw)
            refused = refused or result.outcome == "refused"
            number = result.ticket.number if result.ticket else "-"
            self.stdout.write(f"{path or 'stdin'}: {result.outcome} {number} {result.reason}".rstrip())
        if refused and not files:
            sys.exit(EX_DATAERR)

    def _smtpd(self, host, port, verbosity):
        from okpay.tickets import mailthread
        from okpay.tickets.smtpd import smtpd_controller

        # aiosmtpd logs every command of every session at INFO; -v 2 shows them
        logging.getLogger("mail.log").setLevel(logging.INFO if verbosity > 1 else logging.WARNING)
        controller = smtpd_controller(host=host, port=port)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        self.stdout.write(
            f"okpay mail smtpd: listening on {controller.hostname}:{controller.port} for "
            f"{', '.join(mailthread.intake_addresses())} and their +Q-number addresses "
            f"(at most {settings.OKPAY_MAIL_MAX_BYTES} bytes a message)"
        )
        try:
            stop.wait()
        finally:
            controller.stop()
            controller.handler.close()
            self.stdout.write("okpay mail smtpd: stopped")

    def _imap(self, every):
        from okpay.tickets.imap import ImapNotConfigured, imap_poll

        while True:
            try:
                report = imap_poll()
            except ImapNotConfigured as error:
                raise CommandError(str(error)) from error
            self.stdout.write(report.summary())
            if not every:
                return
            threading.Event().wait(every)
