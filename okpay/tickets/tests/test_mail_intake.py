"""Email in, for real: the SMTP receiver on the loopback (smtplib talking to aiosmtpd), IMAP polling against
a loopback IMAP4 server speaking the protocol on a socket, threading, reply parsing and charsets."""

import base64
import email.policy
import re
import shlex
import smtplib
import socket
import socketserver
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from okpay.core import hooks, worker
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.tickets import actions
from okpay.tickets.imap import imap_poll
from okpay.tickets.intake import email_intake
from okpay.tickets.mailparse import decode_bytes, header_text
from okpay.tickets.models import Ticket, TicketMessage
from okpay.tickets.replies import reply_text
from okpay.tickets.smtpd import smtpd_controller
from okpay.tickets.tasks import tickets_imap_poll_task

SUPPORT = "support@okpay.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SMTP = email.policy.SMTP  # CRLF line ends, as on the wire


def mail(
    *,
    sender="li@example.net",
    name="Li Lei",
    subject="提现没到账",
    body="我周一提现 500 元到建设银行卡，到现在还没到。",
    to=SUPPORT,
    headers=None,
    message_id=None,
) -> tuple[bytes, str]:
    """(raw bytes, its Message-ID)."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.net")
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return message.as_bytes(policy=SMTP), message["Message-ID"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtpd(transactional_db):
    """smtpd() → a started receiver on a free loopback port (OKPAY_MAIL_MAX_BYTES as set when called)."""
    started = []

    def start():
        controller = smtpd_controller(host="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()
        controller.handler.close()


def deliver(controller, raw: bytes, *, to=(SUPPORT,), sender="li@example.net") -> tuple[int, str]:
    """One SMTP transaction; the server's answer to DATA."""
    with smtplib.SMTP(controller.hostname, controller.port, timeout=20) as client:
        client.ehlo()
        code, answer = client.mail(sender)
        assert code == 250, answer
        for address in to:
            code, answer = client.rcpt(address)
            assert code == 250, answer
        code, answer = client.data(raw)
        return code, answer.decode()


# --- SMTP -------------------------------------------------------------------------------------------------


def test_smtp_a_mail_becomes_a_question_and_the_receipt_threads_under_it(smtpd, mailoutbox):
    server = smtpd()
    raw, message_id = mail()
    code, answer = deliver(server, raw)
    ticket = Ticket.objects.get()
    assert (code, answer) == (250, f"2.0.0 OK created {ticket.number}")
    assert (ticket.channel, ticket.requester, ticket.requester_email) == ("email", None, "li@example.net")
    message = ticket.messages.get()
    assert (message.body, message.message_id) == ("我周一提现 500 元到建设银行卡，到现在还没到。", message_id)
    [receipt] = mailoutbox
    assert receipt.to == ["li@example.net"] and receipt.reply_to == [f"support+{ticket.number}@okpay.example"]
    headers = receipt.extra_headers
    assert re.fullmatch(rf"<{ticket.number}\.[0-9a-f]{{16}}@okpay\.example>", headers["Message-ID"])
    assert headers["In-Reply-To"] == message_id and headers["References"] == message_id
    assert headers["X-OKPay-Loop"] == SUPPORT  # so it is never taken back in


def test_smtp_a_reply_joins_its_question_by_in_reply_to(smtpd, mailoutbox, agent):
    server = smtpd()
    first, first_id = mail()
    deliver(server, first)
    ticket = Ticket.objects.get()
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="请提供交易编号。")
    ours = mailoutbox[-1].extra_headers
    agent_message = ticket.messages.get(kind="agent")
    assert agent_message.message_id == ours["Message-ID"]  # stored on the reply it went out with
    assert (ours["In-Reply-To"], ours["References"]) == (first_id, first_id)
    body = (
        "交易编号是 OKP-778899。\n\n"
        "在 2026年12月1日 周二 10:00，OKPay <support@okpay.example> 写道：\n> 请提供交易编号。"
    )
    reply, reply_id = mail(
        subject="Re: 您的问题有新回复",  # no number: the headers find the question
        body=body,
        headers={"In-Reply-To": ours["Message-ID"], "References": f"{first_id} {ours['Message-ID']}"},
    )
    assert deliver(server, reply) == (250, f"2.0.0 OK added {ticket.number}")
    ticket.refresh_from_db()
    last = ticket.messages.filter(kind="customer").last()
    assert (last.body, last.message_id, ticket.status) == ("交易编号是 OKP-778899。", reply_id, "open")
    assert Ticket.objects.count() == 1
    # the team's next mail answers the customer's and lists the whole thread
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="已查到。")
    latest = mailoutbox[-1].extra_headers
    assert latest["In-Reply-To"] == reply_id
    assert latest["References"].split() == [first_id, ours["Message-ID"], reply_id]


def test_smtp_a_reply_joins_its_question_by_the_number_in_the_subject(smtpd):
    server = smtpd()
    deliver(server, mail()[0])
    ticket = Ticket.objects.get()
    reply, _id = mail(
        subject=f"Re: OKPay support replied to your question {ticket.number}", body="好的，谢谢"
    )
    assert deliver(server, reply) == (250, f"2.0.0 OK added {ticket.number}")
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "我周一提现 500 元到建设银行卡，到现在还没到。",
        "好的，谢谢",
    ]


def test_smtp_a_reply_joins_its_question_by_plus_address(smtpd):
    server = smtpd()
    deliver(server, mail()[0])
    ticket = Ticket.objects.get()
    plus = f"support+{ticket.number}@okpay.example"
    reply, _id = mail(to=plus, subject="还有一件事", body="卡号尾号是 1234。")
    assert deliver(server, reply, to=[plus]) == (250, f"2.0.0 OK added {ticket.number}")
    assert ticket.messages.last().body == "卡号尾号是 1234。"


def test_smtp_a_reply_from_someone_else_never_joins_another_persons_question(smtpd):
    server = smtpd()
    first, first_id = mail()
    deliver(server, first)
    ticket = Ticket.objects.get()
    plus = f"support+{ticket.number}@okpay.example"
    other, _id = mail(
        sender="mallory@example.org",
        to=plus,
        subject=f"Re: {ticket.number}",
        body="add me",
        headers={"In-Reply-To": first_id, "References": first_id},
    )
    code, answer = deliver(server, other, to=[plus], sender="mallory@example.org")
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert (code, answer) == (250, f"2.0.0 OK created {new.number}")
    assert new.requester_email == "mallory@example.org" and ticket.messages.count() == 1
    # a closed question takes no replies by mail either: a new question
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    code, answer = deliver(server, mail(body="还有一个问题", headers={"In-Reply-To": first_id})[0])
    assert answer.startswith("2.0.0 OK created") and Ticket.objects.count() == 3


def test_smtp_a_gbk_message_labelled_gb2312_is_decoded_exactly(smtpd):
    server = smtpd()
    name, subject = "张喆", "关于堃的提现（瑄、琇）"  # 喆 堃 瑄 琇 are GBK, not GB2312
    body = "您好，我是张喆。\n昨天提现 500 元到招商银行卡，镕基金那笔还没到账。"

    def word(text: str, charset: str) -> bytes:
        return f"=?{charset}?B?".encode() + base64.b64encode(text.encode("gbk")) + b"?="

    raw = (
        b"From: " + word(name, "gb2312") + b" <zhe@example.cn>\r\n"
        b"To: support@okpay.example\r\n"
        b"Subject: " + word(subject, "GB2312") + b"\r\n"
        b"Message-ID: <gbk-1@example.cn>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="gb2312"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode("gbk").replace(b"\n", b"\r\n") + b"\r\n"
    )
    assert deliver(server, raw, sender="zhe@example.cn")[0] == 250
    ticket = Ticket.objects.get()
    assert (ticket.requester_name, ticket.subject, ticket.language) == (name, subject, "zh-hans")
    assert ticket.messages.get().body == body


def test_smtp_an_auto_reply_is_taken_and_never_answered(smtpd, mailoutbox):
    server = smtpd()
    deliver(server, mail()[0])
    ticket = Ticket.objects.get()
    mailoutbox.clear()
    auto, _id = mail(
        subject=f"自动回复: {ticket.number}",
        body="我正在休假，12月10日回来。",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    code, answer = deliver(server, auto)
    assert (code, answer) == (250, "2.0.0 OK skipped")  # taken (refusing it would make a bounce)
    assert ticket.messages.count() == 1 and Ticket.objects.count() == 1 and mailoutbox == []


def test_smtp_a_bounce_is_taken_and_never_answered(smtpd, mailoutbox):
    server = smtpd()
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"To: support@okpay.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\n"
        b"This is the mail system. Your message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; li@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--B--\r\n"
    )
    assert deliver(server, bounce, sender="<>") == (250, "2.0.0 OK skipped")
    assert not Ticket.objects.exists() and mailoutbox == []


def test_smtp_an_oversized_message_is_refused_with_552(smtpd, settings):
    settings.OKPAY_MAIL_MAX_BYTES = 20_000
    server = smtpd()
    big, _id = mail(body="长" * 30_000)
    with smtplib.SMTP(server.hostname, server.port, timeout=20) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "20000"  # SIZE advertised
        with pytest.raises(smtplib.SMTPSenderRefused) as announced:  # smtplib announces SIZE=…
            client.sendmail("li@example.net", [SUPPORT], big)
        assert announced.value.smtp_code == 552
        client.rset()
        client.mail("li@example.net")  # not announced: refused once the data passes the cap
        client.rcpt(SUPPORT)
        code, _answer = client.data(big)
    assert code == 552 and not Ticket.objects.exists()


def test_smtp_other_recipients_are_refused_with_550(smtpd):
    server = smtpd()
    with smtplib.SMTP(server.hostname, server.port, timeout=20) as client:
        client.ehlo()
        client.mail("li@example.net")
        assert client.rcpt("someone@okpay.example")[0] == 550
        assert client.rcpt("support@elsewhere.example")[0] == 550
        assert client.rcpt("Support+Q-ABCDEFG@OKPay.example")[0] == 250  # ours, in any case
        client.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("li@example.net", ["billing@okpay.example"], mail()[0])
    assert not Ticket.objects.exists()


def test_smtp_a_malformed_message_is_refused_logged_and_nothing_stored(smtpd, caplog):
    server = smtpd()
    code, answer = deliver(server, b"Subject: hello\r\n\r\nthere is no sender here\r\n")
    assert (code, answer) == (554, "5.6.0 Message refused: no sender address (From)")
    broken = (
        b"From: li@example.net\r\nTo: support@okpay.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
    )
    code, answer = deliver(server, broken)
    assert code == 554 and "broken MIME structure" in answer
    assert "mail refused" in caplog.text and not Ticket.objects.exists()


# --- the intake itself ------------------------------------------------------------------------------------


def test_the_same_mail_twice_is_taken_once(db):
    raw, _id = mail()
    assert email_intake(raw).outcome == "created"
    assert email_intake(raw).reason == "already taken (the same Message-ID)"
    assert TicketMessage.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X-OKPay-Loop": SUPPORT},
        {"X-Loop": SUPPORT},
        {"Precedence": "auto_reply"},
        {"X-Autorespond": "yes"},
        {"Auto-Submitted": "auto-generated"},
    ],
)
def test_our_own_mail_and_automatic_mail_are_dropped(db, headers, mailoutbox):
    assert email_intake(mail(headers=headers)[0]).outcome == "skipped"
    assert not Ticket.objects.exists() and mailoutbox == []


def test_our_own_message_id_coming_back_is_a_loop(db):
    ticket = email_intake(mail()[0]).ticket
    looped, _id = mail(message_id=f"<{ticket.number}.0123456789abcdef@okpay.example>")
    assert email_intake(looped).reason == "loop: our own Message-ID"
    for subject in ("Automatic reply: 提现", "自动答复：休假中", "Out of Office: back Monday"):
        assert email_intake(mail(subject=subject)[0]).outcome == "skipped"
    assert Ticket.objects.count() == 1


def test_an_html_only_mail_is_read_as_sanitised_text_without_its_quote(db):
    message = EmailMessage()
    message["From"] = "li@example.net"
    message["To"] = SUPPORT
    message["Subject"] = "HTML"
    message.set_content(
        '<div dir="ltr">交易编号是 <b>OKP-1</b>&amp;2<br>谢谢<script>alert(1)</script>'
        '<img src=x onerror="alert(2)"></div><div class="gmail_quote"><div class="gmail_attr">'
        "在 2026年12月1日 OKPay 写道：</div><blockquote>您好，请提供交易编号</blockquote></div>",
        subtype="html",
    )
    ticket = email_intake(message.as_bytes()).ticket
    assert ticket.messages.get().body == "交易编号是 OKP-1&2\n谢谢"


def test_attachments_keep_their_encoded_names_under_the_upload_rules(db):
    png = base64.b64encode(PNG)
    encoded_word = b"=?GBK?B?" + base64.b64encode("转账截图喆.png".encode("gbk")) + b"?="  # as Foxmail does
    rfc2231 = b"filename*=utf-8''" + quote("银行回单.png").encode()
    part = (
        b"--X\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; "
    )
    raw = (
        b"From: li@example.net\r\nTo: support@okpay.example\r\nSubject: screenshots\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
        b"--X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "见附件".encode()
        + b"\r\n"
        + part
        + b'filename="'
        + encoded_word
        + b'"\r\n\r\n'
        + png
        + b"\r\n"
        + part
        + rfc2231
        + b"\r\n\r\n"
        + png
        + b"\r\n"
        b"--X\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=run.exe\r\n\r\nMZ...\r\n--X--\r\n"
    )
    ticket = email_intake(raw).ticket
    names = [a.original_name for a in ticket.messages.get().attachments.all()]
    assert names == ["转账截图喆.png", "银行回单.png"]  # the .exe is not a file we keep


# --- charsets ---------------------------------------------------------------------------------------------


def _plain(charset: str, text: str, codec: str, *, subject: bytes = b"hello") -> bytes:
    return (
        b"From: chan@example.hk\r\nTo: support@okpay.example\r\nSubject: " + subject + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(text.encode(codec))
    )


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        ("big5", "我嘅提現未到（峯、嚟、啲）", "big5hkscs"),  # HKSCS characters in mail labelled Big5
        ("big5", "提款失敗，請協助。€", "cp950"),  # the euro sign is cp950's, not Big5's
        ("gb18030", "提现到账了吗？𠀀", "gb18030"),  # a four-byte GB18030 character
        ("GBK", "喆堃镕", "gbk"),
        ("utf-8", "提现 ✓", "utf-8"),
    ],
)
def test_bodies_are_decoded_by_what_they_contain(db, label, text, codec):
    ticket = email_intake(_plain(label, text, codec)).ticket
    assert ticket.messages.get().body == text


def test_headers_unlabelled_8bit_and_encoded_words_are_decoded_exactly(db):
    raw = _plain("utf-8", "你好", "utf-8", subject="提现没到账 Q?".encode())  # raw UTF-8 in the header
    assert email_intake(raw).ticket.subject == "提现没到账 Q?"
    raw = _plain("gbk", "你好", "gbk", subject="提现喆".encode("gbk"))  # raw GBK in the header
    assert email_intake(raw).ticket.subject == "提现喆"
    assert header_text("=?big5?B?" + base64.b64encode("嚟".encode("big5hkscs")).decode() + "?=") == "嚟"
    assert header_text("=?utf-8?Q?=E6=8F=90=E7=8E=B0?= =?utf-8?Q?=E5=A4=B1=E8=B4=A5?=") == "提现失败"
    assert decode_bytes("喆".encode("gbk"), "gb2312") == "喆"


# --- reply parsing ----------------------------------------------------------------------------------------

QUOTED = [
    (  # Gmail, Chinese
        "交易编号是 OKP-778899。\n\n在 2026年12月1日周二 10:00，OKPay <support@okpay.example> 写道：\n> 您好",
        "交易编号是 OKP-778899。",
    ),
    (  # Gmail, Chinese, name first
        "好的\n\nOKPay <support@okpay.example> 于2026年12月1日周二 10:00写道：\n> 您好",
        "好的",
    ),
    (  # QQ Mail
        "好的，谢谢\n\n------------------ 原始邮件 ------------------\n"
        '发件人: "OKPay"<support@okpay.example>;\n发送时间: 2026年12月1日(星期二) 上午10:00\n'
        '收件人: "李雷"<li@example.net>;\n主题: 回复：Q-ABCDEFG\n\n您好',
        "好的，谢谢",
    ),
    (  # Foxmail / Outlook, Chinese
        '可以了\n\n-----原始邮件-----\n发件人："OKPay" <support@okpay.example>\n'
        '发送时间：2026年12月1日 10:00\n收件人："李雷" <li@example.net>\n主题：回复：Q-ABCDEFG\n\n您好',
        "可以了",
    ),
    (  # Outlook, Chinese, header block without a divider
        "已经收到。\n\n发件人: OKPay <support@okpay.example>\n发送时间: 2026年12月1日 10:00\n"
        "收件人: 李雷 <li@example.net>\n主题: 回复: Q-ABCDEFG\n\n您好",
        "已经收到。",
    ),
    ("好的\n\n发自我的iPhone\n\n------------------ 原始邮件 ------------------\n发件人: x", "好的"),
    (  # Gmail, English, signature
        "Thanks!\n\n-- \nLi Lei\nACME Ltd\n\n"
        "On Mon, Nov 23, 2026 at 10:00 AM OKPay <support@okpay.example> wrote:\n> old",
        "Thanks!",
    ),
    (  # attribution wrapped onto two lines
        "Thanks, that worked.\n\n"
        "On Mon, Nov 23, 2026 at 10:00 AM OKPay <support@okpay.example>\nwrote:\n> old",
        "Thanks, that worked.",
    ),
    (  # Outlook, English
        "Fine.\n\nSent from my iPhone\n\n"
        "-----Original Message-----\nFrom: OKPay\nSent: Monday\nTo: li\nSubject: x",
        "Fine.",
    ),
    (  # Outlook, English, rule and header block
        "Fine.\n\n________________________________\nFrom: OKPay <support@okpay.example>\n"
        "Sent: Monday, November 23, 2026 10:00 AM\nTo: Li Lei\nSubject: Re: x\n\nold",
        "Fine.",
    ),
    ("> What amount?\n500 yuan.\n> When?\nMonday.", "500 yuan.\nMonday."),  # answers between quotes
    (
        "From: my bank statement, the amount is 500.\nThanks",
        "From: my bank statement, the amount is 500.\nThanks",
    ),
]


@pytest.mark.parametrize(("body", "expected"), QUOTED)
def test_quoted_history_and_signatures_are_cut(body, expected):
    assert reply_text(body) == expected


# --- IMAP -------------------------------------------------------------------------------------------------


class LoopbackImap(socketserver.ThreadingTCPServer):
    """Just enough IMAP4rev1 for imap-tools, over a real socket: CAPABILITY, LOGIN, SELECT, UID SEARCH,
    UID FETCH, UID STORE, EXPUNGE, NOOP, LOGOUT. `on_store(uid)` runs when a flag is about to be set."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, messages: list[bytes], on_store=None):
        super().__init__(("127.0.0.1", 0), _ImapSession)
        self.messages = [{"uid": n + 1, "raw": raw, "flags": set()} for n, raw in enumerate(messages)]
        self.on_store = on_store or (lambda uid: None)
        self.commands: list[str] = []

    def flags(self, uid: int) -> set[str]:
        return next(m["flags"] for m in self.messages if m["uid"] == uid)


class _ImapSession(socketserver.StreamRequestHandler):
    server: LoopbackImap

    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self) -> None:
        self.send(b"* OK loopback IMAP4rev1 ready")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            self.server.commands.append(command)
            if not self.answer(command, args):
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed".encode())
                return
            self.send(f"{tag} OK {command} completed".encode())

    def answer(self, command: str, args: str) -> bool:
        messages = self.server.messages
        if command == "LOGOUT":
            return False
        if command == "CAPABILITY":
            self.send(b"* CAPABILITY IMAP4rev1")
        elif command == "LOGIN":
            assert shlex.split(args) == ["support", "secret"]
        elif command in ("SELECT", "EXAMINE"):
            self.send(f"* {len(messages)} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Flagged)".encode())
            self.send(b"* OK [UIDVALIDITY 1] UIDs valid")
        elif command == "UID SEARCH":
            unseen = "UNSEEN" in args.upper()
            uids = [str(m["uid"]) for m in messages if not (unseen and "\\Seen" in m["flags"])]
            self.send(("* SEARCH " + " ".join(uids)).rstrip().encode())
        elif command == "UID FETCH":
            wanted = {int(uid) for uid in args.split(" ", 1)[0].split(",")}
            for seq, m in enumerate(messages, 1):
                if m["uid"] in wanted:
                    flags = " ".join(sorted(m["flags"]))
                    head = f"* {seq} FETCH (UID {m['uid']} FLAGS ({flags}) RFC822.SIZE {len(m['raw'])} "
                    self.wfile.write(f"{head}BODY[] {{{len(m['raw'])}}}\r\n".encode() + m["raw"] + b")\r\n")
        elif command == "UID STORE":
            uids, change, flags = args.split(" ", 2)
            for seq, m in enumerate(messages, 1):
                if str(m["uid"]) in uids.split(","):
                    self.server.on_store(m["uid"])
                    assert change.upper() == "+FLAGS"
                    m["flags"] |= set(flags.strip("()").split())
                    self.send(
                        f"* {seq} FETCH (UID {m['uid']} FLAGS ({' '.join(sorted(m['flags']))}))".encode()
                    )
        return True


@pytest.fixture
def imap_server(transactional_db, settings):
    servers = []

    def start(messages, on_store=None):
        server = LoopbackImap(messages, on_store)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings.OKPAY_IMAP = {
            "host": "127.0.0.1",
            "port": server.server_address[1],
            "user": "support",
            "password": "secret",
            "folder": "INBOX",
            "ssl": False,
        }
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_imap_messages_are_flagged_seen_only_once_stored(imap_server, capsys):
    question, question_id = mail()
    auto, auto_id = mail(subject="自动回复：休假", headers={"Auto-Submitted": "auto-replied"})
    stored_when_flagged = {}

    def on_store(uid):  # on the server's thread, while the client waits for STORE: is it in the database?
        message_id = [question_id, auto_id, ""][uid - 1]
        stored_when_flagged[uid] = TicketMessage.objects.filter(message_id=message_id).exists()

    server = imap_server([question, auto, b"Subject: no sender\r\n\r\nnothing\r\n"], on_store)
    assert imap_poll().outcomes == {"created": 1, "skipped": 1, "refused": 1}
    assert stored_when_flagged == {1: True, 2: False, 3: False}
    assert [server.flags(uid) for uid in (1, 2, 3)] == [{"\\Seen"}, {"\\Seen"}, {"\\Seen", "\\Flagged"}]
    assert server.commands.count("UID STORE") == 3 and "LOGOUT" in server.commands
    assert Ticket.objects.get().messages.get().message_id == question_id
    call_command("mail", "imap")  # the next pass: nothing unseen is left
    assert capsys.readouterr().out.strip() == "okpay mail imap: no new mail"


FAIL_TRIGGER = {
    "sqlite": [
        "CREATE TRIGGER okpay_test_fail_store BEFORE INSERT ON tickets_ticketmessage "
        "WHEN NEW.body LIKE '%磁盘已满%' BEGIN SELECT RAISE(ABORT, 'storage failed'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION okpay_test_fail_store() RETURNS trigger AS $$ BEGIN "
        "IF NEW.body LIKE '%磁盘已满%' THEN RAISE EXCEPTION 'storage failed'; END IF; RETURN NEW; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER okpay_test_fail_store BEFORE INSERT ON tickets_ticketmessage "
        "FOR EACH ROW EXECUTE FUNCTION okpay_test_fail_store()",
    ],
}
DROP_TRIGGER = {
    "sqlite": ["DROP TRIGGER okpay_test_fail_store"],
    "postgresql": [
        "DROP TRIGGER okpay_test_fail_store ON tickets_ticketmessage",
        "DROP FUNCTION okpay_test_fail_store()",
    ],
}


def _run(statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_imap_a_message_that_fails_to_store_stays_unseen_and_nothing_of_it_is_kept(imap_server, caplog):
    if connection.vendor not in FAIL_TRIGGER:
        pytest.skip("the storage failure is a SQLite or PostgreSQL trigger")
    failing, _id = mail(sender="wu@example.net", body="磁盘已满的时候也要能收到邮件")
    fine, _id = mail(sender="li@example.net", body="第二封")
    server = imap_server([failing, fine])
    _run(FAIL_TRIGGER[connection.vendor])  # a real database error while the question is being written
    try:
        assert imap_poll().outcomes == {"failed": 1, "created": 1}
    finally:
        _run(DROP_TRIGGER[connection.vendor])
    assert server.flags(1) == set() and server.flags(2) == {"\\Seen"}
    assert list(Ticket.objects.values_list("requester_email", flat=True)) == ["li@example.net"]  # no half
    assert "left unseen for the next poll" in caplog.text
    assert tickets_imap_poll_task.call() == {"created": 1}  # the worker's poll takes it now
    assert server.flags(1) == {"\\Seen"} and Ticket.objects.count() == 2


DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}}


def test_the_worker_polls_imap_only_when_it_is_configured(db, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    task = tickets_imap_poll_task
    assert "tickets IMAP poll" in {schedule.name for schedule in hooks.items(hooks.WORKER_SCHEDULES)}

    def ready():
        return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)

    settings.OKPAY_IMAP = {**settings.OKPAY_IMAP, "host": ""}
    worker.worker_start()
    assert not ready().exists()
    settings.OKPAY_IMAP = {**settings.OKPAY_IMAP, "host": "imap.okpay.example"}
    settings.OKPAY_IMAP_POLL_SECONDS = 90
    assert any("IMAP poll" in line for line in worker.worker_start())
    (row,) = ready()
    assert abs((row.run_after - (timezone.now() + timedelta(seconds=90))).total_seconds()) < 30


# --- concurrency (PostgreSQL) -----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_deliveries_of_one_mail_store_it_once():
    skip_unless_postgres()
    raw, message_id = mail()
    outcomes = in_threads(16, lambda i: email_intake(raw).outcome)
    assert sorted(outcomes) == ["created"] + ["skipped"] * 15
    assert TicketMessage.objects.filter(message_id=message_id).count() == 1 and Ticket.objects.count() == 1
