"""Demo questions: one answered and waiting for the customer, one new with a help article
attached, one from a visitor without an account."""

from okpay.accounts.models import User

from .actions import ticket_agent_reply, ticket_create
from .models import Ticket


def tickets_demo_load() -> str | None:
    if Ticket.objects.exists():
        return None
    customer = User.objects.get(email="customer@example.com")
    english = User.objects.get(email="customer.en@example.com")
    agent = User.objects.get(email="agent@example.com")
    first = ticket_create(requester=customer, email="", language="zh-hans", topic="topup",
                          subject="转账给朋友显示成功，但对方说没收到",
                          body="昨天晚上给朋友转了 200 元，我这边显示成功，朋友说余额没有变化。请帮忙查一下，谢谢！")
    ticket_agent_reply(ticket=first, agent=agent,
                       body="您好，我们查到这笔转账已于昨天 21:14 入账到对方钱包。请朋友在“我的账户 → 交易记录”里查看；"
                            "如果仍然看不到，请回复这条消息，我们会继续跟进。")
    ticket_create(requester=english, email="", language="en", topic="international",
                  subject="Which rate was used for my transfer to Germany?", article_key="international-transfers",
                  body="I sent EUR to a friend in Berlin last week. The amount they received is a bit lower than "
                       "I expected. Can you show me the rate and the fees that were applied?")
    ticket_create(requester=None, email="visitor@example.net", name="Liu Yang", language="zh-hans", topic="account",
                  subject="收不到注册验证邮件", body="注册的时候一直收不到验证邮件，垃圾箱也看过了，换了两次邮箱都一样。")
    return f"tickets: {Ticket.objects.count()} demo questions"
