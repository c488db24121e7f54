"""Reply-time policies (issue 15, item 1): business-time arithmetic across a night, a weekend, National
Day 2026 (1–7 October off; Sunday 20 September and Saturday 10 October worked) and time zones; the
clocks pausing while the question waits for the customer and resuming by the time left; the sweep's
warning and breach firing once — twice in a row, and sixteen sweeps at once on PostgreSQL."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from okpay.core.models import AuditEvent, Notice
from okpay.core.testing import in_threads, skip_unless_postgres
from okpay.tickets import actions, policy
from okpay.tickets.models import Ticket
from okpay.tickets.sweeps import reply_time_sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def cn(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


QUESTION = {"email": "", "language": "zh-hans", "subject": "手续费", "body": "为什么收了两笔手续费？"}


def _ask(customer, topic="fees") -> Ticket:
    return actions.ticket_create(requester=customer, topic=topic, **QUESTION)


def _policy_file(tmp_path, settings, *, normal: dict, calendar: str = "china") -> None:
    """A policy whose normal priority is `normal` (the others as shipped)."""
    shipped = json.loads(policy.DATA.read_text(encoding="utf-8"))
    shipped["priorities"]["normal"] = normal
    shipped["calendar"] = calendar
    path = tmp_path / "reply_times.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")
    settings.OKPAY_TICKET_REPLY_TIMES_FILE = str(path)


@pytest.fixture
def london_calendar(settings):
    settings.OKPAY_BUSINESS_CALENDARS = {
        **settings.OKPAY_BUSINESS_CALENDARS,
        "london": {"rule": "weekdays", "time_zone": "Europe/London", "hours": ("09:00", "17:30")},
    }


def business(hours, calendar="china") -> policy.Target:
    return policy.Target(name="first_reply", hours=hours, clock="business", calendar=calendar)


# --- business-time arithmetic ----------------------------------------------------------------------


def test_business_hours_skip_the_night():
    assert business(2).due(cn(2026, 12, 1, 17)) == cn(2026, 12, 2, 10)  # Tue 17:00 → Wed 10:00
    assert business(2).due(cn(2026, 12, 1, 23, 30)) == cn(2026, 12, 2, 11)  # asked at night: from 09:00


def test_business_hours_skip_the_weekend():
    assert business(2).due(cn(2026, 11, 27, 17)) == cn(2026, 11, 30, 10)  # Fri 17:00 → Mon 10:00
    assert business(1).between(cn(2026, 11, 27, 17), cn(2026, 11, 30, 10)) == 2 * 3600


def test_business_hours_skip_national_day_2026():
    # Wed 30 Sep 17:00: one hour that day, then 1–7 October off; Thu 8 October is the next working day
    assert business(2).due(cn(2026, 9, 30, 17)) == cn(2026, 10, 8, 10)
    assert business(1).between(cn(2026, 9, 30, 12), cn(2026, 10, 8, 12)) == (6 + 3) * 3600


def test_business_hours_count_the_make_up_working_days():
    # Sat 10 October 2026 and Sun 20 September 2026 are worked (调休); Sat 19 September and Sun 11
    # October are not
    assert business(2).due(cn(2026, 10, 9, 17)) == cn(2026, 10, 10, 10)  # Fri → the make-up Saturday
    assert business(10).due(cn(2026, 10, 9, 17)) == cn(2026, 10, 10, 18)  # work done at closing time
    assert business(11).due(cn(2026, 10, 9, 17)) == cn(2026, 10, 12, 10)  # … then Sunday off, Monday
    assert business(2).due(cn(2026, 9, 18, 17)) == cn(2026, 9, 20, 10)  # Fri → the make-up Sunday


def test_a_24x7_target_counts_every_hour_of_a_holiday():
    target = policy.Target(name="first_reply", hours=24, clock="24x7")
    assert target.due(cn(2026, 9, 30, 17)) == cn(2026, 10, 1, 17)


def test_moments_in_another_zone_are_counted_on_the_calendars_own(london_calendar):
    # Tue 09:00 in London is 17:00 in Shanghai: one working hour left there, the second on Wednesday
    due = business(2).due(datetime(2026, 12, 1, 9, tzinfo=LONDON))
    assert due == cn(2026, 12, 2, 10) == datetime(2026, 12, 2, 2, tzinfo=LONDON)
    # the same moment on a London business calendar (09:00–17:30 there): two hours the same morning
    assert business(2, "london").due(cn(2026, 12, 1, 17)) == datetime(2026, 12, 1, 11, tzinfo=LONDON)
    # Friday 16:30 London + 2 h on the London calendar → Monday 10:00 London (= 18:00 Shanghai)
    assert business(2, "london").due(datetime(2026, 12, 4, 16, 30, tzinfo=LONDON)) == cn(2026, 12, 7, 18)


def test_the_shipped_promise_and_a_new_question_on_it(customer, time_machine):
    time_machine.move_to(cn(2026, 9, 30, 17), tick=False)
    ticket = _ask(customer)
    assert ticket.priority == "normal"
    assert ticket.reply_due_at == cn(2026, 10, 1, 17)  # 24 hours, around the clock (the published promise)
    assert ticket.reply_warn_at == cn(2026, 10, 1, 11)  # with a quarter of it left
    # resolution: 45 business hours — 1 on 30 Sep, then 8, 9, 10 (a make-up Saturday), 12 Oct, 8 on 13 Oct
    assert ticket.resolution_due_at == cn(2026, 10, 13, 17)
    security = _ask(customer, topic="account")
    assert security.priority == "high" and security.reply_due_at == cn(2026, 9, 30, 19)
    dispute = _ask(customer, topic="dispute")  # the topic's resolution target: 14 business days
    assert dispute.resolution_due_at == business(126).due(cn(2026, 9, 30, 17))


def test_a_reply_target_in_business_hours_on_a_question(customer, time_machine, tmp_path, settings):
    hours = {"hours": 4, "clock": "business"}
    _policy_file(
        tmp_path, settings, normal={"first_reply": hours, "next_reply": hours, "resolution": {"hours": 9}}
    )
    time_machine.move_to(cn(2026, 10, 9, 16), tick=False)  # Friday before the make-up Saturday
    ticket = _ask(customer)
    assert ticket.reply_due_at == cn(2026, 10, 10, 11)  # 2 h on Friday, 2 h on the make-up Saturday
    assert ticket.reply_warn_at == cn(2026, 10, 10, 10)  # 3 of the 4 hours run
    assert ticket.resolution_due_at == cn(2026, 10, 10, 1)  # no clock given: around the clock


def test_a_malformed_policy_is_refused_and_the_check_says_so(tmp_path, settings):
    bad = {"hours": 24, "clock": "sometimes"}
    _policy_file(tmp_path, settings, normal={"first_reply": bad, "next_reply": bad, "resolution": bad})
    with pytest.raises(ImproperlyConfigured, match=r"normal\.first_reply: clock must be one of"):
        policy.rules()
    with pytest.raises(SystemCheckError, match=r"okpay\.E021"):
        call_command("check")
    hours = {"hours": 9, "clock": "business", "calendar": "mars"}
    _policy_file(tmp_path, settings, normal={"first_reply": hours, "next_reply": hours, "resolution": hours})
    with pytest.raises(ImproperlyConfigured, match="mars"):
        policy.rules()


# --- pause and resume ----------------------------------------------------------------------------


def test_the_resolution_clock_pauses_while_waiting_for_the_customer(customer, agent, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)  # Monday
    ticket = _ask(customer)
    # 45 business hours: 8 on Monday, 9 each Tuesday to Friday, 1 on the next Monday
    assert ticket.resolution_due_at == cn(2026, 12, 7, 10)
    time_machine.move_to(cn(2026, 11, 30, 11), tick=False)
    actions.ticket_agent_reply(ticket=ticket, actor=agent, body="请提供截图。")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.paused_at, ticket.reply_due_at) == ("pending", cn(2026, 11, 30, 11), None)
    time_machine.move_to(cn(2026, 12, 9, 12), tick=False)  # past the old due time: nothing fires
    assert reply_time_sweep() == {"breached": 0, "warned": 0}
    time_machine.move_to(cn(2026, 12, 2, 15), tick=False)  # Wednesday 15:00: the customer answers
    actions.ticket_customer_reply(ticket=ticket, body="截图在这里。")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.paused_at is None
    # 44 business hours were left: 3 on Wednesday, 9 Thu, Fri, Mon, Tue, 5 on Wednesday 9 December
    assert ticket.resolution_due_at == cn(2026, 12, 9, 14)
    assert ticket.reply_due_at == cn(2026, 12, 3, 15)  # the next reply: 24 hours from the message


def test_a_running_reply_clock_pauses_and_resumes_by_the_wall_time_left(customer, agent, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)
    time_machine.move_to(cn(2026, 11, 30, 12), tick=False)  # no reply, but set to wait for the customer
    actions.ticket_status_set(ticket=ticket, actor=agent, status="pending")
    time_machine.move_to(cn(2026, 12, 2, 12), tick=False)
    ticket.refresh_from_db()
    assert ticket.reply_due_at == cn(2026, 12, 1, 10) and not ticket.is_overdue  # stopped with 22 h left
    actions.ticket_customer_reply(ticket=ticket, body="补充一下。")
    ticket.refresh_from_db()
    assert ticket.reply_due_at == cn(2026, 12, 3, 10)  # 22 hours from Wednesday 12:00
    assert ticket.reply_warn_at == cn(2026, 12, 3, 4)  # its warning moved the same way


def test_solving_stops_the_clocks_and_reopening_starts_a_new_resolution(customer, agent, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)
    actions.ticket_customer_solve(ticket=ticket, actor=customer)
    ticket.refresh_from_db()
    assert (ticket.reply_due_at, ticket.resolution_due_at, ticket.paused_at) == (None, None, None)
    time_machine.move_to(cn(2026, 12, 1, 9), tick=False)
    actions.ticket_customer_reply(ticket=ticket, actor=customer, body="还是不对。")
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.resolution_due_at == cn(2026, 12, 7, 18)
    assert ticket.reply_due_at == cn(2026, 12, 2, 9)  # first reply still owed: 24 h from the message


# --- the sweep: once --------------------------------------------------------------------------------


@pytest.fixture
def agent_en(make_user):
    return make_user(email="agent2@example.com", role="agent", language="en", time_zone="Europe/London")


def test_warning_then_breach_each_fire_once(customer, agent_en, supervisor, make_user, time_machine):
    agent = agent_en
    other_supervisor = make_user(email="super2@example.com", role="admin", language="en")
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)
    actions.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    time_machine.move_to(cn(2026, 12, 1, 3, 59), tick=False)
    assert reply_time_sweep() == {"breached": 0, "warned": 0}
    time_machine.move_to(cn(2026, 12, 1, 4), tick=False)  # 18 of 24 hours
    assert reply_time_sweep() == {"breached": 0, "warned": 1}
    assert reply_time_sweep() == {"breached": 0, "warned": 0}
    [warning] = Notice.objects.filter(user=agent)
    assert warning.title == f"First reply due soon: question {ticket.number}"
    assert warning.body == "Due by 1 Dec 2026, 02:00: “手续费”"  # 10:00 in Shanghai, in her zone
    assert warning.url == f"/console/tickets/{ticket.number}/"
    assert not Notice.objects.filter(user__in=[supervisor, other_supervisor]).exists()
    time_machine.move_to(cn(2026, 12, 1, 10), tick=False)
    assert reply_time_sweep() == {"breached": 1, "warned": 0}
    assert reply_time_sweep() == {"breached": 0, "warned": 0}
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.reply_breached_at == cn(2026, 12, 1, 10)
    assert ticket.reply_due_at == cn(2026, 12, 1, 10)  # the missed time stays
    for user in (supervisor, other_supervisor):
        [told] = Notice.objects.filter(user=user)
        assert ticket.number in told.title
    english = Notice.objects.get(user=other_supervisor)
    assert english.title == f"First reply overdue: question {ticket.number}"
    assert "Priority raised from Normal to High." in english.body
    [row] = AuditEvent.objects.filter(action="ticket.target_breached")
    assert row.data["target"] == "first_reply" and (row.data["priority_from"], row.data["priority_to"]) == (
        "normal",
        "high",
    )
    assert AuditEvent.objects.filter(action="ticket.target_warned").count() == 1


def test_nothing_fires_after_the_question_moved_on(customer, agent, supervisor, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    answered, solved = _ask(customer), _ask(customer)
    actions.ticket_agent_reply(ticket=answered, actor=agent, body="好的。")
    actions.ticket_status_set(ticket=solved, actor=agent, status="solved")
    time_machine.move_to(cn(2026, 12, 20, 10), tick=False)
    assert reply_time_sweep() == {"breached": 0, "warned": 0}  # answered: paused; solved: no clock
    assert not Notice.objects.exists()
    for ticket in (answered, solved):
        ticket.refresh_from_db()
        assert ticket.priority == "normal"


def test_a_late_sweep_sends_the_breach_without_a_warning_after_it(customer, supervisor, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)  # unassigned
    time_machine.move_to(cn(2026, 12, 2, 10), tick=False)
    assert reply_time_sweep() == {"breached": 1, "warned": 0}
    assert reply_time_sweep() == {"breached": 0, "warned": 0}
    ticket.refresh_from_db()
    assert ticket.reply_warned_at == ticket.reply_breached_at == cn(2026, 12, 2, 10)
    assert Notice.objects.filter(user=supervisor).count() == 1


def test_an_unassigned_questions_warning_goes_to_the_supervisors(customer, agent, supervisor, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    _ask(customer)
    time_machine.move_to(cn(2026, 12, 1, 5), tick=False)
    assert reply_time_sweep() == {"breached": 0, "warned": 1}
    assert Notice.objects.filter(user=supervisor).count() == 1 and not Notice.objects.filter(user=agent)


def test_urgent_stays_urgent_at_a_breach(customer, agent, supervisor, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)
    actions.ticket_priority_set(ticket=ticket, actor=agent, priority="urgent")
    ticket.refresh_from_db()
    assert ticket.reply_due_at == cn(2026, 11, 30, 11)
    time_machine.move_to(cn(2026, 11, 30, 11), tick=False)
    assert reply_time_sweep() == {"breached": 1, "warned": 0}
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert "Priority raised" not in Notice.objects.get(user=supervisor).body


# --- what people see ------------------------------------------------------------------------------------


def test_the_customer_sees_the_promised_time_in_their_language_and_zone(
    customer_en, signed_in, client, time_machine
):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = actions.ticket_create(requester=customer_en, topic="fees", **{**QUESTION, "language": "en"})
    signed_in(customer_en)
    page = client.get(f"/support/tickets/{ticket.number}/").content.decode()
    # due Tuesday 10:00 in Shanghai = 02:00 in London, where Emma is
    assert "by 1 Dec 2026, 02:00 (Europe/London)" in page


def test_the_queue_shows_the_time_left_and_overdue(customer, agent_en, signed_in, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    ticket = _ask(customer)
    console = signed_in(agent_en, Client())
    time_machine.move_to(cn(2026, 11, 30, 12, 45), tick=False)
    queue = console.get("/console/tickets/").content.decode()
    assert "in 21\xa0hours, 15\xa0minutes" in queue  # the reply
    assert "in 6\xa0days, 21\xa0hours" in queue  # the resolution: Monday 7 December 10:00
    time_machine.move_to(cn(2026, 12, 1, 12), tick=False)
    page = console.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "overdue by 2\xa0hours" in page


# --- sixteen sweeps at once ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_sweeps_at_once_warn_and_breach_once(make_user, time_machine):
    skip_unless_postgres()
    customer = make_user(email="c@example.com")
    agent = make_user(email="a@okpay.example", role="agent")
    make_user(email="s@okpay.example", role="supervisor")
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    tickets = [_ask(customer) for _ in range(3)]
    for ticket in tickets:
        actions.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    time_machine.move_to(cn(2026, 12, 1, 5), tick=False)
    warned = in_threads(16, lambda i: reply_time_sweep()["warned"])
    assert sum(warned) == 3 and Notice.objects.filter(user=agent).count() == 3
    time_machine.move_to(cn(2026, 12, 1, 11), tick=False)
    breached = in_threads(16, lambda i: reply_time_sweep()["breached"])
    assert sum(breached) == 3
    assert AuditEvent.objects.filter(action="ticket.target_breached").count() == 3
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"high"}  # one step, not sixteen


# --- the schedule -----------------------------------------------------------------------------------------


def test_the_sweep_runs_every_minute_and_is_queued_at_worker_start(db, settings):
    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from okpay.core import hooks, worker
    from okpay.tickets.tasks import tickets_sweep_task

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "training"]}
    }

    def ready():
        return DBTaskResult.objects.filter(
            task_path=tickets_sweep_task.module_path, status=TaskResultStatus.READY
        )

    assert "tickets sweep" in {schedule.name for schedule in hooks.items(hooks.WORKER_SCHEDULES)}
    assert any("tickets sweep" in line for line in worker.worker_start())
    worker.worker_start()
    assert ready().count() == 1
    ready().delete()
    assert tickets_sweep_task.call() == {"breached": 0, "warned": 0}
    (row,) = ready()
    assert abs((row.run_after - (timezone.now() + timedelta(minutes=1))).total_seconds()) < 30
    tickets_sweep_task.call()
    assert ready().count() == 1


def test_the_confirmation_email_states_the_promised_time(customer_en, committed, mailoutbox, time_machine):
    time_machine.move_to(cn(2026, 11, 30, 10), tick=False)
    with committed():
        actions.ticket_create(requester=customer_en, topic="account", **{**QUESTION, "language": "en"})
    [mail] = mailoutbox
    html = mail.alternatives[0][0] if mail.alternatives else mail.body
    # account security: 2 hours, Shanghai 12:00 = 04:00 in London
    assert "We will reply by 30 Nov 2026, 04:00 (Europe/London)." in html
