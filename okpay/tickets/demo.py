"""Demo questions: one answered and waiting for the customer, one new with a help article
attached, one from a visitor without an account."""

import base64
import email.utils
import textwrap
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from okpay.accounts.models import User

from . import mailthread, phone
from .actions import (
    ticket_agent_reply,
    ticket_assign,
    ticket_create,
    ticket_customer_reply,
    ticket_from_phone,
    ticket_rate,
    ticket_status_set,
)
from .choices import CallOutcome, TicketChannel
from .intake import email_intake
from .models import Callback, Macro, Ticket, TicketMessage, TicketRating
from .phone_actions import callback_outcome_record, callback_request
from .sweeps import reply_time_sweep

MACROS = [
    (
        "请提供交易编号 / Ask for the transaction reference",
        "{name}您好，为了尽快帮您核实，请回复这笔交易的编号（在“我的账户 → "
        "交易记录”里点开交易即可看到）和大概时间。问题编号：{number}。",
        "Hello {name}, so that we can check this quickly, please reply with the transaction reference "
        "(open the "
        "transaction under My Account → Transaction history) and roughly when it happened. Your question: "
        "{number}.",
        "pending",
    ),
    (
        "提现到账时间 / Withdrawal processing times",
        "{name}您好，资金转出的到账时间取决于方式：银行转账（银行账户或国内银行卡）一般 1–3 个工作日，"
        "其他方式以确认页显示为准。"
        "提交后可以在“我的账户”里查看进度。如果超过时间仍未到账，请直接回复我们。",
        "Hello {name}, how long a withdrawal takes depends on the method: bank transfers (a bank account "
        "or Chinese bank card) usually 1–3 business days, other methods as shown when you confirm. "
        "You can follow it in My Account. If it is later than "
        "that, reply here.",
        "solved",
    ),
    (
        "先联系商户 / Contact the merchant first",
        "{name}您好，遇到交易纠纷，请先在这笔付款的页面点“联系商户”说明问题，多数商户会在几天内处理。"
        "如果商户明确拒绝，或 3 个工作日内没有解决，就可以在“我的账户 → 交易纠纷”的这段对话里发起纠纷，"
        "并上传截图、聊天记录等证据；我们会在纠纷页面显示的日期前给出结果。",
        "Hello {name}, for a disputed payment please choose “Contact the merchant” on the payment's page "
        "first; most merchants sort it out within days. If they refuse, or have not solved it within 3 "
        "business days, you can open a dispute from that conversation under My Account → Disputes, with "
        "screenshots and chat records as evidence; we decide by the date shown on the dispute page.",
        "",
    ),
]


def tickets_demo_load() -> str | None:
    for title, body_zh, body_en, status in MACROS:
        Macro.objects.get_or_create(
            title=title, defaults={"body_zh": body_zh, "body_en": body_en, "status_after": status}
        )
    if Ticket.objects.exists():
        return None
    customer = User.objects.get(email="customer@example.com")
    english = User.objects.get(email="customer.en@example.com")
    agent = User.objects.get(email="agent@example.com")
    first = ticket_create(
        requester=customer,
        email="",
        language="zh-hans",
        topic="international",
        subject="向境外汇款显示已汇出，但对方说没收到",
        body="前天给在伦敦的朋友汇了 200 英镑，我这边显示已汇出，朋友说还没到账。请帮忙查一下，谢谢！",
    )
    ticket_agent_reply(
        ticket=first,
        actor=agent,
        body="您好，我们查到这笔汇款已于昨天 21:14 汇出。请在“我的账户 → 交易记录”里打开这笔汇款，把页面上的"
        "参考号发给朋友，请对方凭参考号向收款银行查询；如果仍然没有到账，请回复这条消息，我们会继续跟进。",
    )
    ticket_create(
        requester=english,
        email="",
        language="en",
        topic="international",
        subject="Which rate was used for my transfer to Germany?",
        article_key="international-transfers",
        body="I sent EUR to a friend in Berlin last week. The amount they received is a bit lower than "
        "I expected. Can you show me the rate and the fees that were applied?",
    )
    ticket_create(
        requester=None,
        email="visitor@example.net",
        name="Liu Yang",
        language="zh-hans",
        topic="account",
        subject="收不到注册验证邮件",
        body="注册的时候一直收不到验证邮件，垃圾箱也看过了，换了两次邮箱都一样。",
    )
    return f"tickets: {Ticket.objects.count()} demo questions, {Macro.objects.count()} saved replies"


# --- every channel in every state, some near and past their targets (issue 15 item 7) ----------------
# Questions from the web form, the answer bot's hand-off, email (real RFC 5322 messages through
# intake.email_intake — the function the SMTP receiver, IMAP and the pipe call with the raw bytes: a
# UTF-8 one, a GBK-encoded one with encoded-word headers, and a reply threaded by In-Reply-To), phone
# (an agent's log), callbacks (booked in the next phone-hour slots) and live chat (the question a chat
# becomes), each moved into every state by the real actions. Their times are then set back, as if
# they had come in over the last weeks (the reply-time sweep runs at each step, so the targets missed
# on the way are marked as they would have been), and the report has a month to show. A few open
# questions are left near their first-reply target and a few past it.

DEMO_MAIL_DOMAIN = "mail.demo.example"  # our demo Message-IDs; one present = this step has run
STATES = ("new", "open", "pending", "solved", "closed")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


DEMO_MAILS = [  # name, address, subject, text, the charset the mail client wrote it in
    (
        "张伟",
        "zhang.wei@example.net",
        "提现到银行卡一直显示处理中",
        "您好，我前天提现 500 元到招商银行卡，到现在还显示处理中，请帮忙看看。",
        "utf-8",
    ),
    (
        "李静",
        "li.jing@example.net",
        "充值成功但余额没有变化",
        "今天上午用银行卡充值了 300 元，银行已经扣款，但钱包余额没有变化。",
        "gbk",
    ),
    (
        "Tom Baker",
        "tom.baker@example.org",
        "Card payment declined at checkout",
        "My virtual card was declined twice at an online shop this morning. Is something blocked?",
        "utf-8",
    ),
    (
        "王芳",
        "wang.fang@example.net",
        "国际转账手续费是多少",
        "请问转账到香港的银行账户，手续费和汇率怎么算？",
        "gbk",
    ),
    (
        "Sarah Lee",
        "sarah.lee@example.org",
        "Two-factor phone lost",
        "I lost the phone I use for the verification codes. How do I sign in now?",
        "utf-8",
    ),
]
WEB_QUESTIONS = [
    ("withdrawal", "提现被退回了，原因是什么？"),
    ("fees", "Why was I charged a fee on this transfer?"),
    ("topup", "充值显示成功但余额没变"),
    ("cards", "My card expired, how do I renew it?"),
    ("merchant", "商户收款什么时候结算？"),
]
BOT_QUESTIONS = [
    "登录时收不到验证码",
    "怎么修改绑定手机号",
    "账户显示异常登录",
    "想注销账户",
    "密码重置邮件收不到",
]
PHONE_QUESTIONS = [
    ("赵先生", "zhao@example.net", "withdrawal", "提现多久到账"),
    ("孙女士", "sun@example.net", "dispute", "商家不退款"),
    ("周先生", "zhou@example.net", "topup", "充值失败"),
    ("吴女士", "wu@example.net", "account", "账户被锁定"),
    ("郑先生", "zheng@example.net", "fees", "手续费疑问"),
]
CHAT_QUESTIONS = [
    "账户被冻结了，怎么解冻",
    "换手机后无法登录",
    "退款什么时候到",
    "如何开具发票",
    "转账备注写错了",
]
MOMENTS = [
    "created_at",
    "updated_at",
    "first_responded_at",
    "solved_at",
    "paused_at",
    *(f"{c}_{p}" for c in ("reply", "resolution") for p in ("due_at", "warn_at", "warned_at", "breached_at")),
]


def _message_id(n: int) -> str:
    return f"<okpay-demo-{n}@{DEMO_MAIL_DOMAIN}>"


def _b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


def _mail(
    n: int,
    *,
    name: str,
    address: str,
    subject: str,
    body: str,
    charset: str = "utf-8",
    in_reply_to: str = "",
) -> bytes:
    """A message as a mail client writes it: encoded-word headers and a base64 body in `charset`."""
    lines = [
        f"From: =?{charset}?B?{_b64(name, charset)}?= <{address}>",
        f"To: OKPay <{mailthread.intake_addresses()[0]}>",
        f"Subject: =?{charset}?B?{_b64(subject, charset)}?=",
        f"Date: {email.utils.format_datetime(timezone.now())}",
        f"Message-ID: {_message_id(n)}",
        *([f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"] if in_reply_to else []),
        "MIME-Version: 1.0",
        f'Content-Type: text/plain; charset="{charset}"',
        "Content-Transfer-Encoding: base64",
        "",
        *textwrap.wrap(_b64(body, charset), 76),
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def _receive(raw: bytes, sender: str) -> Ticket:
    result = email_intake(raw, recipients=mailthread.intake_addresses()[:1], envelope_sender=sender)
    if result.ticket is None:
        raise RuntimeError(f"demo mail not taken: {result.outcome} {result.reason}")
    return result.ticket


def _email_questions() -> list[Ticket]:
    """Five questions by email: in Chinese (UTF-8 and GBK) and English; the first gets a reply from the
    customer threaded by In-Reply-To (its quoted history is cut)."""
    questions = []
    for n, (name, address, subject, body, charset) in enumerate(DEMO_MAILS, start=1):
        questions.append(
            _receive(
                _mail(n, name=name, address=address, subject=subject, body=body, charset=charset), address
            )
        )
    reply = (
        "补充一下：提现单号是 WD-20261130-0042，谢谢。\r\n\r\n"
        "在 2026年11月30日 10:02，张伟 <zhang.wei@example.net> 写道：\r\n"
        "> 您好，我前天提现 500 元到招商银行卡，到现在还显示处理中，请帮忙看看。"
    )
    threaded = _receive(
        _mail(
            6,
            name="张伟",
            address="zhang.wei@example.net",
            subject="Re: 提现到银行卡一直显示处理中",
            body=reply,
            in_reply_to=_message_id(1),
        ),
        "zhang.wei@example.net",
    )
    if threaded.pk != questions[0].pk:
        raise RuntimeError("the demo reply did not join its question")
    return questions


def _age(ticket: Ticket, delta: timedelta) -> None:
    """Move every moment of the question (and its messages and rating) `delta` into the past."""
    Ticket.objects.filter(pk=ticket.pk).update(**{name: F(name) - delta for name in MOMENTS})
    TicketMessage.objects.filter(ticket=ticket).update(created_at=F("created_at") - delta)
    TicketRating.objects.filter(ticket=ticket).update(created_at=F("created_at") - delta)


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _live(
    ticket: Ticket,
    *,
    state: str,
    agent,
    created_ago: timedelta,
    reply_after: timedelta,
    solved_after: timedelta,
    score: int | None,
) -> None:
    """Play the question's life: the first reply `reply_after` it came, solved `solved_after` it came
    (solved, closed), then set back so that it came `created_ago`. The sweep runs before each step,
    so a target passed on the way is marked missed, as the worker would have."""
    if state == "new":
        _age(ticket, created_ago)
        return
    _age(ticket, reply_after)
    reply_time_sweep()
    if state == "open":
        ticket_assign(ticket=_fresh(ticket), actor=agent, assignee=agent)
        _age(ticket, created_ago - reply_after)
        return
    language_zh = _fresh(ticket).language == "zh-hans"
    body = "您好，我们正在核实，请稍候。" if language_zh else "Hello, we are looking into this for you."
    ticket_agent_reply(ticket=_fresh(ticket), actor=agent, body=body)  # waiting for the customer
    if state == "pending":
        _age(ticket, created_ago - reply_after)
        return
    if score is not None and score <= 3:  # the customer was not satisfied: wrote again, the clocks ran on
        ticket = _fresh(ticket)
        ticket_customer_reply(
            ticket=ticket,
            actor=ticket.requester,
            body="还是没有解决。" if language_zh else "Still not solved.",
        )
    _age(ticket, solved_after - reply_after)
    reply_time_sweep()
    ticket_status_set(ticket=_fresh(ticket), actor=agent, status="solved")
    if score is not None:
        ticket_rate(ticket=_fresh(ticket), score=score)
    if state == "closed":
        ticket_status_set(ticket=_fresh(ticket), actor=agent, status="closed")
    _age(ticket, created_ago - solved_after)


# how long ago each question came, by state and channel (email, web, bot, phone, chat): the new and
# open ones near their first-reply target (24 h; 2 h on account questions) or past it, the finished
# ones over the last four weeks
AGES = {
    "new": [30 * HOUR, 20 * HOUR, 1 * HOUR + 40 * MINUTE, 20 * HOUR, 26 * HOUR],
    "open": [21 * HOUR, 40 * HOUR, 5 * HOUR, 19 * HOUR, 3 * HOUR],
    "pending": [3 * DAY, 2 * DAY, 4 * DAY, 1 * DAY, 5 * DAY],
    "solved": [6 * DAY, 11 * DAY, 17 * DAY, 23 * DAY, 9 * DAY],
    "closed": [27 * DAY, 20 * DAY, 13 * DAY, 8 * DAY, 25 * DAY],
}
# when the first reply came, by channel (capped at 60 % of the question's age): some past 24 hours
REPLY_AFTER = [45 * MINUTE, 3 * HOUR, 30 * HOUR, 20 * MINUTE, 26 * HOUR]
SCORES = [5, 4, 2, 5, 3]


def _callback_live(ticket: Ticket, *, state: str, agent) -> None:
    """A callback question's states by the real actions, at their real times (its slot is still to
    come): open is taken by an agent; pending, solved and closed were reached on the phone first."""
    if state == "new":
        return
    if state == "open":
        ticket_assign(ticket=ticket, actor=agent, assignee=agent)
        return
    callback = Callback.objects.get(ticket=ticket)
    callback_outcome_record(callback=callback, actor=agent, outcome=CallOutcome.REACHED, note="已回电。")
    if state == "pending":
        ticket_agent_reply(ticket=_fresh(ticket), actor=agent, body="已电话联系您，请按电话里说的补充材料。")
        return
    ticket_status_set(ticket=_fresh(ticket), actor=agent, status="solved")
    if state == "closed":
        ticket_status_set(ticket=_fresh(ticket), actor=agent, status="closed")


def _callback_questions(customer, english) -> list[Ticket]:
    """Five callbacks in the phone-hour slots the phone demo leaves free (none without phone hours)."""
    slots = phone.slots()[1::2]
    if len(slots) < len(STATES):
        return []
    people = [(customer, "zh-hans", "13800138000"), (english, "en", "+852 9123 4567")]
    made = []
    for index in range(len(STATES)):
        user, language, number = people[index % 2]
        made.append(
            callback_request(
                requester=user,
                language=language,
                topic="withdrawal" if index % 2 == 0 else "international",
                phone_number=number,
                slot_start=slots[index][0],
                time_zone=user.time_zone or "Asia/Shanghai",
            ).ticket
        )
    return made


def every_channel_demo_load() -> str | None:
    if TicketMessage.objects.filter(message_id=_message_id(1)).exists():
        return None
    customer = User.objects.get(email="customer@example.com")
    english = User.objects.get(email="customer.en@example.com")
    agent = User.objects.get(email="agent@example.com")
    by_channel: dict[str, list[Ticket]] = {
        TicketChannel.EMAIL: _email_questions(),
        TicketChannel.WEB: [],
        TicketChannel.BOT: [],
        TicketChannel.PHONE: [],
        TicketChannel.CHAT: [],
        TicketChannel.CALLBACK: _callback_questions(customer, english),
    }
    for i, (topic, subject) in enumerate(WEB_QUESTIONS):
        by_channel[TicketChannel.WEB].append(
            ticket_create(
                requester=customer if i % 2 == 0 else english,
                email="",
                language="zh-hans" if i % 2 == 0 else "en",
                topic=topic,
                subject=subject,
                body=subject,
            )
        )
    for subject in BOT_QUESTIONS:
        by_channel[TicketChannel.BOT].append(
            ticket_create(
                requester=customer,
                email="",
                language="zh-hans",
                topic="account",
                subject=subject,
                body="（智能助手转人工）" + subject,
                channel=TicketChannel.BOT,
            )
        )
    for name, address, topic, subject in PHONE_QUESTIONS:
        by_channel[TicketChannel.PHONE].append(
            ticket_from_phone(
                actor=agent,
                email=address,
                name=name,
                verified=False,
                language="zh-hans",
                topic=topic,
                subject=f"来电：{subject}",
                body=f"客户来电：{subject}。",
            )
        )
    for i, subject in enumerate(CHAT_QUESTIONS):
        by_channel[TicketChannel.CHAT].append(
            ticket_create(
                requester=customer if i % 2 == 0 else None,
                email="" if i % 2 == 0 else f"guest{i}@example.net",
                language="zh-hans",
                topic="account" if i < 2 else "other",
                subject=subject,
                body=f"【在线聊天记录】\n客户：{subject}\n智能助手：我帮您转人工客服。\n客户：好的，谢谢。",
                channel=TicketChannel.CHAT,
            )
        )
    created = 0
    for c, (channel, questions) in enumerate(by_channel.items()):
        for ticket, state in zip(questions, STATES, strict=False):
            if channel == TicketChannel.CALLBACK:
                _callback_live(ticket, state=state, agent=agent)
            else:
                ago = AGES[state][c]
                reply_after = min(REPLY_AFTER[c], ago * 0.6)
                solved_after = reply_after + (ago - reply_after) / 2
                _live(
                    ticket,
                    state=state,
                    agent=agent,
                    created_ago=ago,
                    reply_after=reply_after,
                    solved_after=solved_after,
                    score=SCORES[c],
                )
            created += 1
    reply_time_sweep()  # the open ones: warned near their target, marked past it
    waiting = Ticket.objects.filter(status__in=("new", "open"))
    near = waiting.filter(reply_warned_at__isnull=False, reply_breached_at__isnull=True).count()
    past = waiting.filter(reply_breached_at__isnull=False).count()
    return (
        f"tickets: {created} questions from every channel in every state "
        f"({near} near a target, {past} past one)"
    )
