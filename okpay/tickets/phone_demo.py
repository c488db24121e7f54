"""Demo phone questions (issue 15 item 7): callbacks in every state (requested, waiting for their
retry, reached, failed and emailed) and calls logged by an agent — a new question and one on an
existing question. Booked through the real actions, so the slots are the next ones inside the phone
hours; nothing is made when no phone channel publishes hours (the help center is loaded first)."""

from okpay.accounts.models import User

from . import phone
from .actions import ticket_from_phone
from .choices import CallDirection, CallOutcome, TicketChannel
from .models import Callback, Ticket
from .phone_actions import call_log, callback_outcome_record, callback_request


def phone_demo_load() -> str | None:
    if Callback.objects.exists():
        return None
    slots = phone.slots()
    if len(slots) < 4:
        return None
    customer = User.objects.get(email="customer@example.com")
    english = User.objects.get(email="customer.en@example.com")
    agent = User.objects.get(email="agent@example.com")
    bookings = [
        (customer, "zh-hans", "withdrawal", "13800138000", "提现三天了还没到账，想电话里问一下进度。", None),
        (english, "en", "international", "+852 9123 4567", "Please call about my transfer to Germany.", None),
        (None, "zh-hans", "account", "13900139000", "", "caller@example.net"),
        (customer, "zh-hans", "cards", "13800138000", "卡片被拒了，想确认原因。", None),
    ]
    made = []
    for index, (user, language, topic, number, note, email) in enumerate(bookings):
        made.append(
            callback_request(
                requester=user,
                email=email or "",
                name="陈先生" if email else "",
                language=language,
                topic=topic,
                phone_number=number,
                slot_start=slots[index * 2][0],
                time_zone=user.time_zone if user and user.time_zone else "Asia/Shanghai",
                note=note,
            )
        )
    _requested, retry, reached, failed = made
    callback_outcome_record(callback=retry, actor=agent, outcome=CallOutcome.NO_ANSWER, note="Voicemail.")
    callback_outcome_record(callback=reached, actor=agent, outcome=CallOutcome.REACHED, note="已解答。")
    callback_outcome_record(callback=failed, actor=agent, outcome=CallOutcome.NO_ANSWER)
    callback_outcome_record(callback=failed, actor=agent, outcome=CallOutcome.NO_ANSWER)
    logged = ticket_from_phone(
        actor=agent,
        email="customer@example.com",
        name="",
        verified=True,
        language="zh-hans",
        topic="account",
        subject="来电：手机丢了，要冻结账户",
        body="客户来电说手机丢了，想冻结账户并退出所有设备；已指导在另一台设备上退出其他会话。",
    )
    call_log(
        ticket=logged,
        actor=agent,
        direction=CallDirection.INBOUND,
        duration_seconds=6 * 60 + 30,
        summary="客户来电说手机丢了，想冻结账户并退出所有设备；已指导在另一台设备上退出其他会话。",
    )
    call_log(
        ticket=reached.ticket,
        actor=agent,
        direction=CallDirection.OUTBOUND,
        duration_seconds=4 * 60,
        summary="回电确认：账户安全，已解答。",
    )
    phone_questions = Ticket.objects.filter(channel__in=(TicketChannel.PHONE, TicketChannel.CALLBACK)).count()
    return f"phone: {Callback.objects.count()} callbacks in every state, {phone_questions} phone questions"
