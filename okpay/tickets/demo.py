"""Demo questions: one answered and waiting for the customer, one new with a help article
attached, one from a visitor without an account."""

from okpay.accounts.models import User

from .actions import ticket_agent_reply, ticket_create
from .models import Macro, Ticket

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
        "{name}您好，资金转出的到账时间取决于方式：银行卡一般 1–3 个工作日，其他方式以页面显示为准。"
        "提交后可以在“我的账户”里查看进度。如果超过时间仍未到账，请直接回复我们。",
        "Hello {name}, how long a withdrawal takes depends on the method: bank accounts usually 1–3 "
        "business days, "
        "other methods as shown when you confirm. You can follow it in My Account. If it is later than "
        "that, reply here.",
        "solved",
    ),
    (
        "先联系商家 / Contact the merchant first",
        "{name}您好，遇到交易纠纷，建议先在交易详情里点“联系商家”沟通，多数问题商家会在几天内处理。"
        "如果商家不回复或不同意，可以在同一页面发起纠纷并上传截图、聊天记录等证据，我们会在规定时间内审核。",
        "Hello {name}, for a disputed payment please contact the merchant first from the transaction's "
        "page; most "
        "merchants sort it out within days. If they do not answer or refuse, open a dispute on the same "
        "page with "
        "screenshots and chat records as evidence, and we review it within the stated time.",
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
        topic="topup",
        subject="转账给朋友显示成功，但对方说没收到",
        body="昨天晚上给朋友转了 200 元，我这边显示成功，朋友说余额没有变化。请帮忙查一下，谢谢！",
    )
    ticket_agent_reply(
        ticket=first,
        actor=agent,
        body="您好，我们查到这笔转账已于昨天 21:14 入账到对方钱包。请朋友在“我的账户 → 交易记录”里查看；"
        "如果仍然看不到，请回复这条消息，我们会继续跟进。",
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
