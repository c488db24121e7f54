from email.message import EmailMessage

import pytest
from django.core.management import call_command

from okpay.tickets.intake import email_intake, reply_text
from okpay.tickets.models import Ticket

pytestmark = pytest.mark.smoke
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def raw(
    sender="li@example.net",
    subject="提现没到账",
    body="我周一提现 500 元到建设银行卡，到现在还没到。",
    attachments=(),
    headers=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Li Lei <{sender}>"
    message["To"] = "support@okpay.example"
    message["Subject"] = subject
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_an_email_becomes_a_question_followed_through_the_emailed_link(db, committed, mailoutbox):
    with committed():
        result = email_intake(
            raw(
                attachments=[
                    ("bank.png", PNG, "image", "png"),
                    ("run.exe", b"MZ...", "application", "octet-stream"),
                ]
            )
        )
    ticket = result.ticket
    assert result.outcome == "created" and ticket.channel == "email" and ticket.requester is None
    assert (ticket.requester_email, ticket.requester_name, ticket.language) == (
        "li@example.net",
        "Li Lei",
        "zh-hans",
    )
    assert [a.original_name for a in ticket.messages.get().attachments.all()] == [
        "bank.png"
    ]  # the .exe is dropped
    [confirmation] = mailoutbox
    assert confirmation.to == ["li@example.net"]
    assert confirmation.reply_to == [f"support+{ticket.number}@okpay.example"]  # the plus-address
    assert ticket.number in confirmation.subject and "/support/open/" in confirmation.body


def test_a_reply_by_email_joins_its_question_without_the_quoted_thread(db, signed_in, agent):
    ticket = email_intake(raw()).ticket
    reply = f"Re: OKPay support replied to your question {ticket.number}"
    body = "交易编号是 OKP-778899。\n\n在 2026年11月26日 OKPay 写道：\n> 您好，请提供交易编号"
    assert email_intake(raw(subject=reply, body=body)).outcome == "added"
    assert ticket.messages.count() == 2 and ticket.messages.last().body == "交易编号是 OKP-778899。"
    # the same number from someone else, or on a closed question, starts a new question instead
    assert email_intake(raw(sender="mallory@example.org", subject=reply, body="add me")).outcome == "created"
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    assert email_intake(raw(subject=reply, body="还有一个问题")).outcome == "created"
    assert Ticket.objects.count() == 3


@pytest.mark.parametrize(
    "headers", [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"List-Id": "<news.example.com>"}]
)
def test_automatic_mail_is_dropped(db, headers):
    assert email_intake(raw(headers=headers)).outcome == "skipped"
    assert email_intake(raw(sender="no-reply@okpay.example")).outcome == "skipped"
    assert email_intake(b"not an email at all").outcome == "refused"  # no sender to answer
    assert not Ticket.objects.exists()


def test_one_sender_is_limited_per_hour(db):
    outcomes = [email_intake(raw(subject=f"question {n}")).outcome for n in range(12)]
    assert outcomes.count("created") == 10 and outcomes[-1] == "skipped"


def test_the_command_reads_files_and_reports(db, tmp_path, capsys):
    path = tmp_path / "m.eml"
    path.write_bytes(raw(subject="Withdrawal missing", body="Where is my money? I withdrew it on Monday."))
    call_command("mail", "intake", str(path))
    assert "created Q-" in capsys.readouterr().out
    assert Ticket.objects.get().language == "en"


def test_quoted_text_is_cut():
    assert reply_text("Thanks!\n\nOn Mon, Nov 23, 2026 OKPay wrote:\n> old") == "Thanks!"
    assert reply_text("ok\n-----原始邮件-----\nFrom: x") == "ok"
