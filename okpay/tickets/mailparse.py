"""Reading one raw email (RFC 5322, MIME) exactly: headers, the text, files, and whether a machine sent it.

Chinese mail is decoded by what it really contains, not only by its label: mail labelled gb2312 often
holds GBK characters, so GB2312 / GBK are read as GB18030 (a superset of both); Big5 as Big5-HKSCS, then
cp950. Unlabelled 8-bit text and headers are tried as UTF-8, then GB18030. RFC 2047 encoded words in
headers and RFC 2231 file names go through the same charsets. Nothing here touches the database."""

import email
import email.header
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses

from django.conf import settings

from . import mailthread

# label → decoders to try, in order (a label's own codec if it is not listed)
CHARSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "ms936": ("gb18030",),
    "euc-cn": ("gb18030",),
    "x-euc-cn": ("gb18030",),
    "csgb2312": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "chinese": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "x-big5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "ks_c_5601-1987": ("cp949",),
    "us-ascii": ("ascii",),
    "unknown-8bit": (),
    "x-unknown": (),
}
FALLBACKS = ("utf-8", "gb18030")
# multipart structure so broken that what we would read is not what was written
BROKEN = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
)
AUTO_SUBJECT = re.compile(
    r"^\s*(自动回复|自动答复|自动回覆|auto(matic)?[ -]?(reply|response)|autoreply|auto:|out of (the )?office"
    r"|undeliverable|undelivered mail|delivery status notification|mail delivery (failed|failure)"
    r"|returned mail|系统退信|退信)",
    re.I,
)
BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
NO_REPLY_SENDERS = ("no-reply@", "noreply@", "do-not-reply@", "donotreply@")


class MalformedMail(ValueError):
    """The message cannot be read as what its sender wrote; the reason says why (logged, and said in
    the SMTP refusal)."""


@dataclass
class ParsedMail:
    sender: str  # lower case
    name: str
    subject: str
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    recipients: list[str]  # To, Cc, Delivered-To, X-Original-To (lower case)
    text: str  # the text/plain body, decoded
    html: str  # the text/html body, decoded (only used when there is no text/plain)
    files: list[tuple[str, bytes, str]] = field(default_factory=list)  # (name, data, content type)
    automatic: str = ""  # why this is an auto-reply, bounce or loop ("" for a person's mail)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """`data` as text: the label's decoders first (strict), then UTF-8 and GB18030; as a last resort
    the label (or UTF-8) with U+FFFD for what cannot be read."""
    label = (charset or "").strip().strip('"').lower()
    tried = [*CHARSETS.get(label, (label,) if label else ()), *FALLBACKS]
    for codec in dict.fromkeys(tried):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def header_text(raw: str) -> str:
    """A header's text: RFC 2047 encoded words decoded with our charsets, 8-bit bytes (as Python keeps
    them, surrogate-escaped) read as UTF-8 or GB18030, folding undone."""
    raw = raw or ""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode_bytes(raw.encode("ascii", "surrogateescape"), None)
    raw = re.sub(r"\r?\n[ \t]+", " ", raw).replace("\r", "").replace("\n", "")
    if "=?" not in raw:
        return raw.strip()
    try:
        chunks = email.header.decode_header(raw)
    except email.errors.HeaderParseError:
        return raw.strip()
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in chunks
    )
    return text.strip()


def _raw_headers(message: Message, name: str) -> list[str]:
    return [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]


def _raw(message: Message, name: str) -> str:
    values = _raw_headers(message, name)
    return values[0] if values else ""


def _addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    values = [value for name in names for value in _raw_headers(message, name)]
    return [(header_text(n), a.strip().lower()) for n, a in getaddresses(values) if "@" in a]


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_content_charset())


def _filename(part: Message) -> str:
    """The file's name from Content-Disposition (or Content-Type's name): RFC 2231 or encoded words."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(param, header=header)
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text)
            charset, _language, text = value
            return decode_bytes(text.encode("raw-unicode-escape"), charset).strip()
        return header_text(email.utils.unquote(str(value)))
    return ""


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(_filename(part))


def _bodies(message: Message) -> tuple[str, str, set[int]]:
    """(text/plain, text/html, ids of the parts used): the first inline text of each kind, outside
    attached messages (message/rfc822)."""
    found: dict[str, Message] = {}
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        if part.get_content_type() == "message/rfc822":
            continue
        if part.is_multipart():
            payload = part.get_payload()
            stack[0:0] = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
            continue
        if _is_attachment(part) or part.get_content_maintype() != "text":
            continue
        subtype = part.get_content_subtype()
        if subtype in ("plain", "html") and subtype not in found:
            found[subtype] = part
    texts = {subtype: _part_text(part) for subtype, part in found.items()}
    return texts.get("plain", ""), texts.get("html", ""), {id(part) for part in found.values()}


def _files(message: Message, used: set[int]) -> list[tuple[str, bytes, str]]:
    files = []
    for part in message.walk():
        if part.is_multipart() or id(part) in used or part.get_content_type() == "message/rfc822":
            continue
        name = _filename(part)
        if name:
            files.append((name, _payload(part), part.get_content_type()))
    return files


def _automatic(message: Message, sender: str, envelope_sender: str | None) -> str:
    """Why no person wrote this (an auto-reply, a bounce, our own mail come back), or ""."""
    ours = {email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), *mailthread.intake_addresses()}
    message_id = " ".join(_raw_headers(message, "Message-ID"))
    if _raw(message, mailthread.LOOP_HEADER):
        return "loop: our own mail (X-OKPay-Loop)"
    if any(address in header_text(v).lower() for v in _raw_headers(message, "X-Loop") for address in ours):
        return "loop: X-Loop names us"
    if any(mailthread.is_our_message_id(mid) for mid in mailthread.message_ids(message_id)):
        return "loop: our own Message-ID"
    if sender in ours or mailthread.address_is_ours(sender)[0]:
        return "loop: sent from our own address"
    if envelope_sender == "" or _raw(message, "Return-Path").strip() == "<>":
        return "bounce: empty return path"
    if message.get_content_type() == "multipart/report":
        return "bounce: delivery report (multipart/report)"
    if sender.startswith(BOUNCE_SENDERS):
        return "bounce: from a mailer daemon"
    auto_submitted = header_text(_raw(message, "Auto-Submitted")).lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-reply: Auto-Submitted {auto_submitted[:40]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From"):
        if _raw_headers(message, name):
            return f"auto-reply: {name}"
    precedence = header_text(_raw(message, "Precedence")).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"automatic: Precedence {precedence}"
    if _raw_headers(message, "List-Id"):
        return "automatic: mailing list (List-Id)"
    if AUTO_SUBJECT.match(header_text(_raw(message, "Subject"))):
        return "auto-reply: subject"
    if sender.startswith(NO_REPLY_SENDERS):
        return "automatic: a no-reply sender"
    return ""


def mail_parse(raw: bytes, *, envelope_sender: str | None = None) -> ParsedMail:
    """Read `raw`. `envelope_sender`: the SMTP MAIL FROM when known ("" is the null sender of a bounce).
    Raises MalformedMail when there is no sender to answer or the text cannot be read as written."""
    if b"\x00" in raw:
        raise MalformedMail("NUL byte in the message")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        senders = _addresses(message, "From")
        if not senders:
            raise MalformedMail("no sender address (From)")
        name, sender = senders[0]
        if not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", sender):
            raise MalformedMail(f"not an address in From: {sender[:80]!r}")
        for part in message.walk():
            broken = [d for d in part.defects if isinstance(d, BROKEN)]
            if broken:
                raise MalformedMail(f"broken MIME structure ({type(broken[0]).__name__})")
        text, html, used = _bodies(message)
        if "\x00" in text or "\x00" in html:
            raise MalformedMail("NUL character in the text")
        message_id_values = mailthread.message_ids(_raw(message, "Message-ID"))
        return ParsedMail(
            sender=sender,
            name=name,
            subject=" ".join(header_text(_raw(message, "Subject")).split()),
            message_id=message_id_values[0][:255] if message_id_values else "",
            in_reply_to=mailthread.message_ids(_raw(message, "In-Reply-To")),
            references=mailthread.message_ids(" ".join(_raw_headers(message, "References"))),
            recipients=[
                a for _n, a in _addresses(message, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
            ],
            text=text,
            html=html,
            files=_files(message, used),
            automatic=_automatic(message, sender, envelope_sender),
        )
    except MalformedMail:
        raise
    except (ValueError, LookupError, TypeError, AttributeError, IndexError) as error:
        # the standard parser is lenient; what it still cannot read is refused, not half read
        raise MalformedMail(f"unreadable message ({type(error).__name__}: {str(error)[:100]})") from error
