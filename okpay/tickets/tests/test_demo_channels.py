"""The demo's questions (issue 15 item 7): every channel in every state, email through the real intake
(a GBK-encoded message decoded exactly, a reply joined by In-Reply-To), some near and past their
targets, and loading twice makes nothing new."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from okpay.helpcenter.models import ContactChannel
from okpay.tickets.choices import TicketChannel, TicketStatus
from okpay.tickets.models import Callback, Ticket, TicketMessage

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def demo_world(make_user, mailoutbox):
    for email, role, name, language in [
        ("customer@example.com", "customer", "王小明", "zh-hans"),
        ("customer.en@example.com", "customer", "Emma Clarke", "en"),
        ("agent@example.com", "agent", "李娜", "zh-hans"),
        ("supervisor@example.com", "supervisor", "陈刚", "zh-hans"),
    ]:
        make_user(email=email, role=role, full_name=name, language=language)
    ContactChannel.objects.create(
        kind="phone",
        order=4,
        value="400-888-0000",
        label={"zh-hans": "客服热线", "en": "Phone"},
        hours={"zh-hans": "每天 09:00–21:00", "en": "09:00–21:00"},
        opens_at=time(9),
        closes_at=time(21),
    )
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=CHINA), tick=False):
        yield


def _load_all():
    from okpay.tickets.demo import every_channel_demo_load, tickets_demo_load
    from okpay.tickets.phone_demo import phone_demo_load

    return tickets_demo_load(), phone_demo_load(), every_channel_demo_load()


def test_every_channel_in_every_state(demo_world, committed):
    with committed():
        summaries = _load_all()
    assert summaries[2].startswith("tickets: 30 questions from every channel in every state")
    seen = set(Ticket.objects.values_list("channel", "status"))
    assert seen >= {(c, s) for c in TicketChannel.values for s in TicketStatus.values}
    assert Callback.objects.filter(state="reached").count() >= 3


def test_email_came_through_the_intake_gbk_and_threaded(demo_world, committed):
    with committed():
        _load_all()
    gbk = Ticket.objects.get(subject="充值成功但余额没有变化")
    assert gbk.channel == "email" and gbk.requester_name == "李静"
    assert gbk.messages.first().body == "今天上午用银行卡充值了 300 元，银行已经扣款，但钱包余额没有变化。"
    first = Ticket.objects.get(subject="提现到银行卡一直显示处理中")
    customer_mail = list(first.messages.filter(kind="customer").values_list("body", "message_id"))
    assert customer_mail == [
        (
            "您好，我前天提现 500 元到招商银行卡，到现在还显示处理中，请帮忙看看。",
            "<okpay-demo-1@mail.demo.example>",
        ),
        ("补充一下：提现单号是 WD-20261130-0042，谢谢。", "<okpay-demo-6@mail.demo.example>"),  # quote cut
    ]


def test_some_questions_are_near_and_some_past_their_targets(demo_world, committed):
    with committed():
        _load_all()
    waiting = Ticket.objects.filter(status__in=("new", "open"))
    near = waiting.filter(reply_warned_at__isnull=False, reply_breached_at__isnull=True)
    past = waiting.filter(reply_breached_at__isnull=False)
    assert near.count() >= 2 and past.count() >= 2
    finished = Ticket.objects.filter(status__in=("solved", "closed"), channel="web")
    assert finished.filter(created_at__lt=datetime(2026, 11, 10, tzinfo=CHINA)).exists()  # weeks ago
    assert Ticket.objects.filter(first_responded_at__isnull=False, reply_breached_at__isnull=False).exists()


def test_loading_twice_makes_nothing_new(demo_world, committed):
    with committed():
        _load_all()
    counts = (Ticket.objects.count(), TicketMessage.objects.count(), Callback.objects.count())
    with committed():
        assert _load_all() == (None, None, None)
    assert (Ticket.objects.count(), TicketMessage.objects.count(), Callback.objects.count()) == counts
