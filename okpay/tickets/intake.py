"""Email into questions: the one intake behind the three ways mail arrives (docs/mail.md) — the built-in
SMTP receiver (`okpay mail smtpd`, smtpd.py), IMAP polling (`okpay mail imap`, imap.py) and an MTA's pipe
(`okpay mail intake`, e.g. Postfix `support: "|okpay mail intake"`).

- A reply joins its question when it names it — by In-Reply-To / References (a Message-ID stored on
  the question's messages, or one of ours, mailthread.py), by the plus-address it was sent to
  (support+Q-XXXXXXX@…), or by the number in its subject — and comes from the address that asked, and
  the question is not closed. Anything else becomes a new question: a mail from someone else never
  lands in another person's question.
- Email senders are not verified, so a new question from email is never attached to an account: it
  is followed through the signed link mailed to that address, exactly like a visitor's question.
- The quoted history and signature are cut (replies.py); files are kept under the upload rules.
- Auto-replies, bounces, mailing lists and our own mail coming back are dropped and never answered (no
  mail loops); a mail already taken (same Message-ID) is not taken twice; at most 10 messages an
  hour are taken from one sender. A message that cannot be read as written is refused
  (MalformedMail, logged) and nothing of it is stored: a question and its message and files are
  written in one transaction."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from okpay.core import i18n
from okpay.core.audit import AuditContext, audit_context
from okpay.core.ratelimit import rate_limited
from okpay.core.text import CJK, normalize
from okpay.core.uploads import KINDS, upload_check

from . import actions, mailthread
from .choices import TicketChannel, TicketStatus, TicketTopic
from .errors import TicketError
from .forms import ATTACHMENT_KINDS, ATTACHMENT_MAX_COUNT, attachment_max_bytes
from .mailparse import MalformedMail, ParsedMail, mail_parse
from .merge import merge_destination
from .models import Ticket, TicketMessage
from .replies import MAX_BODY, reply_text

__all__ = ["MAX_BODY", "IntakeResult", "email_intake", "reply_text"]

log = logging.getLogger("okpay.tickets.mail")
REFERENCES_READ = 50  # ids of a References header looked up, latest first


@dataclass
class IntakeResult:
    outcome: str  # created | added | skipped (taken, nothing to store) | refused (malformed)
    ticket: Ticket | None = None
    reason: str = ""  # for "added": how the question was found; otherwise why nothing was added


def _uploads(files: list[tuple[str, bytes, str]]) -> list[SimpleUploadedFile]:
    uploads: list[SimpleUploadedFile] = []
    for name, data, content_type in files:
        if len(uploads) >= ATTACHMENT_MAX_COUNT:
            break
        upload = SimpleUploadedFile(name[:200], data, content_type=content_type)
        try:
            kind = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())
        except ValidationError:
            continue  # not a file type we keep; the text of the message still arrives
        # an attribute of ours on the upload, read by actions._attachments_save
        upload.okpay_content_type = KINDS[kind].content_type  # type: ignore[attr-defined]
        uploads.append(upload)
    return uploads


def _question_named(mail: ParsedMail, recipients: list[str]) -> tuple[Ticket | None, str]:
    """The question this mail names, and how: its In-Reply-To / References (latest first), the
    plus-address it was sent to, or the number in its subject. (None, "") when it names none."""
    ids = list(dict.fromkeys([*reversed(mail.in_reply_to), *reversed(mail.references)]))[:REFERENCES_READ]
    if ids:
        stored = dict(TicketMessage.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
        for message_id in ids:
            if message_id in stored:
                return Ticket.objects.get(pk=stored[message_id]), "references"
            number = mailthread.number_in_message_id(message_id)
            ticket = Ticket.objects.filter(number=number).first() if number else None
            if ticket is not None:
                return ticket, "references"
    for address in recipients:
        _ours, number = mailthread.address_is_ours(address)
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is not None:
            return ticket, "plus-address"
    match = mailthread.NUMBER.search(mail.subject)
    ticket = Ticket.objects.filter(number=match.group(0)).first() if match else None
    return (ticket, "subject") if ticket is not None else (None, "")


def _store(mail: ParsedMail, recipients: list[str], body: str, files) -> IntakeResult:
    """One transaction: the reply added to its question, or a new question, with its files."""
    with transaction.atomic():
        ticket, found_by = _question_named(mail, recipients)
        if ticket is not None and ticket.merged_into_id is not None:  # its conversation continues there
            ticket = merge_destination(ticket)
        if (
            ticket is not None
            and ticket.requester_email.lower() == mail.sender
            and ticket.status != TicketStatus.CLOSED
        ):
            try:
                with transaction.atomic():
                    actions.ticket_customer_reply(
                        ticket=ticket, actor=None, body=body, files=files, message_id=mail.message_id
                    )
                return IntakeResult("added", ticket, found_by)
            except TicketError:
                pass  # closed in the meantime: the mail becomes a new question
        subject = mail.subject[:200]
        language = i18n.ZH if CJK.search(normalize(subject + body)) else i18n.EN
        ticket = actions.ticket_create(
            requester=None,
            email=mail.sender,
            name=mail.name[:150],
            language=language,
            topic=TicketTopic.OTHER,
            subject=subject or body[:80],
            body=body,
            files=files,
            channel=TicketChannel.EMAIL,
            message_id=mail.message_id,
        )
        return IntakeResult("created", ticket)


def email_intake(
    raw: bytes,
    *,
    recipients: list[str] | None = None,
    envelope_sender: str | None = None,
    peer: str | None = None,
) -> IntakeResult:
    """Take one raw message. `recipients` / `envelope_sender`: the SMTP envelope (RCPT TO, MAIL FROM)
    when the mail came by SMTP; `peer`: the sending server's IP address (audit)."""
    with audit_context(AuditContext(ip_address=peer, channel="email")):
        try:
            mail = mail_parse(raw, envelope_sender=envelope_sender)
        except MalformedMail as error:
            log.warning("mail refused (%s bytes): %s", len(raw), error)
            return IntakeResult("refused", reason=str(error))
        if mail.automatic:
            log.info("mail from %s dropped: %s", mail.sender, mail.automatic)
            return IntakeResult("skipped", reason=mail.automatic)
        if mail.message_id and TicketMessage.objects.filter(message_id=mail.message_id).exists():
            return IntakeResult("skipped", reason="already taken (the same Message-ID)")
        if rate_limited("question_email_per_sender", mail.sender):
            return IntakeResult("skipped", reason="sender over its limit (question_email_per_sender)")
        body = reply_text(mail.text, mail.html)
        files = _uploads(mail.files)
        if not body and not files:
            return IntakeResult("skipped", reason="empty message")
        try:
            return _store(mail, [*(recipients or []), *mail.recipients], body or "(attachment)", files)
        except IntegrityError:
            # the same mail stored meanwhile by another delivery (ticket_message_id_unique)
            if mail.message_id and TicketMessage.objects.filter(message_id=mail.message_id).exists():
                return IntakeResult("skipped", reason="already taken (the same Message-ID)")
            raise
