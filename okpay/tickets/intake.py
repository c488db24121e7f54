"""Email into tickets: `okpay mail intake` reads raw messages (RFC 5322) from files or standard input,
the way an MTA's pipe transport delivers them (e.g. Postfix `support: "|okpay mail intake"`).

- A reply whose subject carries a question number (Q-XXXXXXX) from the address that asked is added to
  that question (quoted text cut); anything else becomes a new question.
- Email senders are not verified, so a new question from email is never attached to an account: it
  is followed through the signed link mailed to that address, exactly like a visitor's question.
- Auto-replies, bulk mail and our own messages are dropped (no mail loops); at most 10 messages an
  hour are taken from one sender."""

import email
import email.policy
import re
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email

from okpay.core import i18n
from okpay.core.ratelimit import rate_limited
from okpay.core.text import CJK, normalize
from okpay.core.uploads import KINDS, upload_check

from . import actions
from .choices import TicketChannel, TicketStatus, TicketTopic
from .forms import ATTACHMENT_KINDS, ATTACHMENT_MAX_COUNT, attachment_max_bytes
from .models import NUMBER_ALPHABET, Ticket

NUMBER = re.compile(rf"\bQ-[{NUMBER_ALPHABET}]{{7}}\b")
QUOTE_START = re.compile(
    r"^(>|On .+ wrote:|在.+写道[:：]|-{2,} ?Original Message|-----原始邮件-----|From: )", re.I
)
MAX_BODY = 5000


@dataclass
class IntakeResult:
    outcome: str  # created | added | skipped
    ticket: Ticket | None = None
    reason: str = ""


def _text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        import nh3

        content = nh3.clean(content, tags=set())
    return content


def reply_text(body: str) -> str:
    """What the customer wrote, without the quoted thread under it."""
    lines = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()[:MAX_BODY]


def _attachments(message) -> list[SimpleUploadedFile]:
    files: list[SimpleUploadedFile] = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        payload = part.get_payload(decode=True) or b""
        if not name or len(files) >= ATTACHMENT_MAX_COUNT:
            continue
        upload = SimpleUploadedFile(name[:200], payload, content_type=part.get_content_type())
        try:
            kind = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())
        except ValidationError:
            continue  # not a file type we keep; the text of the message still arrives
        # an attribute of ours on the upload, read by actions._attachments_save
        upload.okpay_content_type = KINDS[kind].content_type  # type: ignore[attr-defined]
        files.append(upload)
    return files


def _is_automatic(message, sender: str) -> bool:
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), settings.OKPAY_SUPPORT_EMAIL.lower()}
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list")
        or bool(message.get("List-Id"))
        or sender in ours
        or sender.startswith(("mailer-daemon@", "postmaster@", "no-reply@", "noreply@"))
    )


def email_intake(raw: bytes) -> IntakeResult:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, sender = parseaddr(str(message.get("From", "")))
    sender = sender.strip().lower()
    try:
        validate_email(sender)
    except ValidationError:
        return IntakeResult("skipped", reason="no valid sender")
    if _is_automatic(message, sender):
        return IntakeResult("skipped", reason="automatic message")
    if rate_limited("question_email_per_sender", sender):
        return IntakeResult("skipped", reason="sender over its limit (question_email_per_sender)")
    subject = " ".join(str(message.get("Subject", "")).split())[:200]
    body = reply_text(_text(message))
    files = _attachments(message)
    if not body and not files:
        return IntakeResult("skipped", reason="empty message")
    body = body or "(attachment)"
    match = NUMBER.search(subject)
    if match:
        ticket = Ticket.objects.filter(number=match.group(0)).first()
        if (
            ticket is not None
            and ticket.requester_email.lower() == sender
            and ticket.status != TicketStatus.CLOSED
        ):
            actions.ticket_customer_reply(ticket=ticket, actor=None, body=body, files=files)
            return IntakeResult("added", ticket)
    language = i18n.ZH if CJK.search(normalize(subject + body)) else i18n.EN
    ticket = actions.ticket_create(
        requester=None,
        email=sender,
        name=name[:150],
        language=language,
        topic=TicketTopic.OTHER,
        subject=subject or body[:80],
        body=body,
        files=files,
        channel=TicketChannel.EMAIL,
    )
    return IntakeResult("created", ticket)
