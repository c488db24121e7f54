"""IMAP polling (`okpay mail imap`, and the worker's poll when OKPAY_IMAP_HOST is set): unseen mail in
the support mailbox goes through the one email intake (intake.py).

A message is read with BODY.PEEK (reading does not mark it) and flagged \\Seen only after the intake has
finished with it: stored, dropped on purpose (an auto-reply, a bounce) or refused as unreadable (then
also \\Flagged, for a person to look at). When storing fails — the database is down, a bug — it stays
unseen and the next poll takes it again; a message stored whose flag did not reach the server is
not stored twice (its Message-ID is known)."""

import logging
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxUnencrypted, MailMessage, MailMessageFlags

from .intake import email_intake

log = logging.getLogger("okpay.tickets.mail")
BATCH = 200  # messages taken in one pass; the rest wait for the next
TIMEOUT_SECONDS = 30


class ImapNotConfigured(Exception):
    pass


class _RawMailMessage(MailMessage):
    """imap-tools' message, keeping the bytes as the server sent them (the intake reads those)."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


@dataclass
class ImapReport:
    outcomes: dict[str, int] = field(default_factory=dict)  # created, added, skipped, refused, failed

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> str:
        taken = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))
        return f"okpay mail imap: {taken or 'no new mail'}"


def imap_configured() -> bool:
    return bool(settings.OKPAY_IMAP["host"])


def _mailbox() -> MailBox | MailBoxUnencrypted:
    conf = settings.OKPAY_IMAP
    if conf["ssl"]:
        box: MailBox | MailBoxUnencrypted = MailBox(
            conf["host"], conf["port"], timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    else:
        box = MailBoxUnencrypted(conf["host"], conf["port"], timeout=TIMEOUT_SECONDS)
    box.email_message_class = _RawMailMessage
    return box


def imap_poll() -> ImapReport:
    """One pass over the unseen mail of OKPAY_IMAP_FOLDER (at most BATCH messages)."""
    if not imap_configured():
        raise ImapNotConfigured("IMAP is not configured: set OKPAY_IMAP_HOST, _USER and _PASSWORD")
    conf = settings.OKPAY_IMAP
    report = ImapReport()
    user, password, folder = str(conf["user"]), str(conf["password"]), str(conf["folder"])
    with _mailbox().login(user, password, initial_folder=folder) as box:
        for message in box.fetch(AND(seen=False), mark_seen=False, limit=BATCH):
            uid = message.uid
            if uid is None:
                continue
            try:
                result = email_intake(message.raw)  # type: ignore[attr-defined]
            except Exception:
                log.exception("IMAP message %s not stored; left unseen for the next poll", uid)
                report.count("failed")
                continue
            flags = [MailMessageFlags.SEEN]
            if result.outcome == "refused":
                flags.append(MailMessageFlags.FLAGGED)
            box.flag(uid, flags, True)
            report.count(result.outcome)
    return report
