"""The built-in SMTP receiver (`okpay mail smtpd`, aiosmtpd): takes mail for the support address and hands
each message to the one email intake (intake.py).

- RCPT TO: only the intake addresses (OKPAY_SUPPORT_EMAIL, OKPAY_INTAKE_ADDRESSES) and their
  plus-addresses (support+Q-XXXXXXX@…); any other recipient is refused (550).
- SIZE is advertised; a larger message (OKPAY_MAIL_MAX_BYTES) is refused (552), whether announced in
  MAIL FROM or found while reading DATA.
- DATA: the intake runs on a thread pool (database work is synchronous), in one transaction; 250 when
  the mail is taken — a new question, a reply, or dropped on purpose (an auto-reply, a bounce: refusing
  those would only make more mail) — 554 when it cannot be read as written (the reason is logged), 451
  when storing failed, so the sending server tries again later.

It speaks plain SMTP without TLS or authentication: run it on the loopback or a private network behind
the mail server that receives the domain's mail (docs/mail.md)."""

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from . import mailthread
from .intake import IntakeResult, email_intake

log = logging.getLogger("okpay.tickets.mail")
THREADS = 4  # intakes at once (each holds a database connection)


def _intake(raw: bytes, recipients: list[str], envelope_sender: str, peer: str | None) -> IntakeResult:
    close_old_connections()  # a thread pool's connection may have gone stale between mails
    try:
        return email_intake(raw, recipients=recipients, envelope_sender=envelope_sender, peer=peer)
    finally:
        close_old_connections()


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")[:200]


class IntakeHandler:
    """aiosmtpd's handler: the recipient check, then the intake for each message."""

    def __init__(self, threads: int = THREADS):
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="okpay-smtpd")

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        ours, _number = mailthread.address_is_ours(address)
        if not ours:
            log.info("recipient refused: %s", address)
            return f"550 5.1.1 <{_ascii(address)}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        sender = "" if sender.strip() in ("", "<>") else sender
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self.executor, _intake, raw, [a.lower() for a in envelope.rcpt_tos], sender, peer
            )
        except Exception:
            log.exception("mail from %s not stored (temporary failure)", sender or "<>")
            return "451 4.3.0 Not stored, please try again later"
        if result.outcome == "refused":
            return f"554 5.6.0 Message refused: {_ascii(result.reason)}"
        number = f" {result.ticket.number}" if result.ticket else ""
        return f"250 2.0.0 OK {result.outcome}{number}"

    def close(self) -> None:
        """Close each pool thread's database connection, then the pool (after the controller stops)."""
        workers = self.executor._max_workers
        barrier = threading.Barrier(workers)

        def closing() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)  # one closing() per thread: each waits until all threads have one
            connections.close_all()

        for future in [self.executor.submit(closing) for _ in range(workers)]:
            future.result()
        self.executor.shutdown(wait=True)


def smtpd_controller(
    *, host: str | None = None, port: int | None = None, threads: int = THREADS
) -> Controller:
    """An aiosmtpd Controller (start() / stop()) on host:port (OKPAY_SMTPD_HOST / _PORT by default)."""
    return Controller(
        IntakeHandler(threads),
        hostname=host or settings.OKPAY_SMTPD_HOST,
        port=port or settings.OKPAY_SMTPD_PORT,
        data_size_limit=settings.OKPAY_MAIL_MAX_BYTES,
        server_hostname=mailthread.support_address()[1] or None,
        ident="OKPay intake",
    )
