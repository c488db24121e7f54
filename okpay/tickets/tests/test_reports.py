"""Questions reports (issue 15 item 5): exact figures on a small hand-built week, the period rules, who
sees what, the console page and its CSV export."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from okpay.console import views_reports
from okpay.console.templatetags.console_reports import duration_text
from okpay.core.errors import PermissionDenied
from okpay.tickets import reports
from okpay.tickets.models import Ticket, TicketRating

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 7, 15, 0, tzinfo=CST)
WEEK = reports.Period(date(2026, 11, 1), date(2026, 11, 7))
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def _question(*, created, channel="web", group="general", priority="normal", assignee=None, **marks):
    ticket = Ticket.objects.create(
        requester_email="visitor@example.com",
        language="zh-hans",
        subject="问题",
        channel=channel,
        group=group,
        priority=priority,
        assignee=assignee,
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, **marks)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def agent2(make_user):
    return make_user(email="agent2@example.com", role="agent", full_name="Bo")


@pytest.fixture
def week(agent, agent2):
    """Six questions: five created in the week of 1–7 November (China time), one the evening before."""
    agent.full_name = "Ann"
    agent.save(update_fields=["full_name"])
    t1 = datetime(2026, 11, 2, 10, 0, tzinfo=CST)
    one = _question(
        created=t1, assignee=agent, status="solved", first_responded_at=t1 + H, solved_at=t1 + 10 * H
    )
    t2 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
    two = _question(
        created=t2,
        channel="email",
        group="payments",
        assignee=agent,
        status="closed",
        first_responded_at=t2 + 30 * H,  # the 24-hour first-reply target missed
        reply_breached_at=t2 + 24 * H,
        resolution_breached_at=datetime(2026, 11, 5, 10, 0, tzinfo=CST),
        solved_at=t2 + 50 * H,
    )
    t3 = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
    _question(
        created=t3, channel="phone", group="security", priority="high", assignee=agent2, status="open",
        first_responded_at=t3 + H,  # within high's 2 hours
    )  # fmt: skip
    t4 = datetime(2026, 11, 6, 8, 0, tzinfo=CST)
    _question(created=t4, priority="urgent", status="new", reply_breached_at=t4 + H)
    t6 = datetime(2026, 11, 1, 0, 0, tzinfo=CST)  # the week's first moment (16:00 UTC the day before)
    _question(
        created=t6, channel="chat", assignee=agent2, status="solved",
        first_responded_at=t6 + 3 * H, solved_at=t6 + 4 * H,
    )  # fmt: skip
    _question(
        created=datetime(2026, 10, 31, 23, 59, tzinfo=CST),
        assignee=agent,
        status="new",
        reply_breached_at=datetime(2026, 11, 2, 1, 0, tzinfo=CST),
    )  # fmt: skip  (before the week: not counted)
    TicketRating.objects.create(ticket=one, score=5, agent=agent)
    TicketRating.objects.create(ticket=two, score=2, agent=agent)
    return agent, agent2


def _figures(row):
    return (
        row.created,
        row.solved,
        row.first_reply_median,
        row.first_reply_p90,
        row.reply_within_share,
        row.resolution_median,
        row.resolved_within_share,
        row.reply_breaches,
        row.resolution_breaches,
        row.rated,
        row.csat_share,
    )


def test_totals_are_exact(week, supervisor):
    report = reports.ticket_report(period=WEEK, viewer=supervisor)
    # first replies 1 h, 30 h, 1 h, 3 h: median 2 h, p90 at rank 2.7 = 3 h + 0.7 × 27 h = 21.9 h
    # resolutions 10 h, 50 h, 4 h: median 10 h; three of four first replies in time, two of three solved
    assert _figures(report.totals) == (5, 3, 7200, 78840, 75.0, 36000, 66.7, 2, 1, 2, 50.0)


def test_per_agent_group_and_channel(week, supervisor):
    with translation.override("zh-hans"):  # the row labels are made in the active language
        report = reports.ticket_report(period=WEEK, viewer=supervisor)
    agents = {row.label: _figures(row) for row in report.agents}
    assert agents == {
        "Ann": (2, 2, 55800, 97560, 50.0, 108000, 50.0, 1, 1, 2, 50.0),
        "Bo": (2, 1, 7200, 10080, 100.0, 14400, 100.0, 0, 0, 0, None),
        "未分配": (1, 0, None, None, None, None, None, 1, 0, 0, None),
    }
    assert [row.label for row in report.agents][-1] == "未分配"  # unassigned last
    groups = {row.key: (row.created, row.solved, row.reply_breaches) for row in report.groups}
    assert groups == {"general": (3, 2, 1), "payments": (1, 1, 1), "security": (1, 0, 0)}
    channels = {row.key: (row.created, row.rated, row.satisfied) for row in report.channels}
    assert channels == {
        "web": (2, 1, 1),
        "bot": (0, 0, 0),
        "email": (1, 1, 0),
        "phone": (1, 0, 0),
        "chat": (1, 0, 0),
        "callback": (0, 0, 0),
    }


def test_days_in_china_time(week, supervisor):
    report = reports.ticket_report(period=WEEK, viewer=supervisor)
    days = {d.day.day: (d.created, d.solved, d.reply_breaches, d.resolution_breaches) for d in report.days}
    assert days == {
        1: (1, 1, 0, 0),
        2: (1, 1, 0, 0),  # the question from before the week breached on the 2nd: not counted
        3: (1, 0, 0, 0),
        4: (1, 0, 1, 0),
        5: (0, 1, 0, 1),
        6: (1, 0, 1, 0),
        7: (0, 0, 0, 0),
    }


def test_an_agent_sees_the_team_and_only_their_own_row(week):
    agent, _agent2 = week
    report = reports.ticket_report(period=WEEK, viewer=agent)
    assert [row.label for row in report.agents] == ["Ann"] and not report.all_agents
    assert report.totals.created == 5 and sum(row.created for row in report.groups) == 5


def test_customers_get_no_report(week, customer):
    with pytest.raises(PermissionDenied):
        reports.ticket_report(period=WEEK, viewer=customer)


def test_an_empty_period_has_no_times(supervisor):
    report = reports.ticket_report(
        period=reports.Period(date(2026, 1, 1), date(2026, 1, 3)), viewer=supervisor
    )
    assert _figures(report.totals) == (0, 0, None, None, None, None, None, 0, 0, 0, None)
    assert [d.created for d in report.days] == [0, 0, 0] and report.agents == []


def test_percentile_matches_postgres_definition():
    assert reports.percentile_cont([3600, 108000, 3600, 10800], 0.9) == pytest.approx(78840)
    assert reports.percentile_cont([5], 0.5) == 5 and reports.percentile_cont([], 0.5) is None


# --- the period ---------------------------------------------------------------------------------------


def test_presets_and_dates():
    assert reports.period_parse({}) == reports.Period(date(2026, 10, 9), date(2026, 11, 7), preset=30)
    assert reports.period_parse({"days": "7"}).first_day == date(2026, 11, 1)
    period = reports.period_parse({"from": " 2026-01-01", "to": "2026-12-31"[:10].replace("12-31", "11-07")})
    assert (period.first_day, period.last_day, period.days) == (date(2026, 1, 1), date(2026, 11, 7), 311)
    assert period.start == datetime(2026, 1, 1, tzinfo=CST)
    assert period.end == datetime(2026, 11, 8, tzinfo=CST)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"days": "8"}, "bad_preset"),
        ({"days": "\x00"}, "bad_preset"),
        ({"from": "2026-11-01"}, "bad_date"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "bad_date"),
        ({"from": "１２３４-01-01", "to": "2026-03-01"}, "bad_date"),
        ({"from": "2026-1-1", "to": "2026-03-01"}, "bad_date"),
        ({"from": "x" * 10_000, "to": "2026-03-01"}, "bad_date"),
        ({"from": "0001-01-01", "to": "0001-12-31"}, "date_out_of_range"),
        ({"from": "2026-11-01", "to": "2026-11-08"}, "date_out_of_range"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "dates_reversed"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "period_too_long"),
    ],
)
def test_bad_periods_are_refused(data, code):
    with pytest.raises(reports.ReportPeriodInvalid) as refused:
        reports.period_parse(data)
    assert refused.value.code == code and refused.value.message


def test_a_whole_year_is_allowed():
    assert reports.period_parse({"from": "2025-11-07", "to": "2026-11-07"}).days == 366


# --- the console page and the CSV ---------------------------------------------------------------------

PAGE = "/console/tickets/reports/"
CSV = "/console/tickets/reports/csv/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.reader(io.StringIO(text[1:])))


def test_supervisor_page_shows_every_agent_chart_and_table(week, supervisor):
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    response = _client(supervisor).get(PAGE, {"from": "2026-11-01", "to": "2026-11-07"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ann" in html and "Bo" in html and "Unassigned" in html
    assert '<svg viewBox="0 0 720 260" role="img" aria-labelledby="chart-title chart-desc"' in html
    assert html.count("<rect ") == 2 + 5 + 3  # legend swatches + created bars (5 days) + solved (3 days)
    assert '<p data-figure="first_reply_median">2 h</p>' in html
    assert '<p data-figure="first_reply_p90">21 h 54 min</p>' in html
    assert '<p data-figure="reply_within_share">75%</p>' in html
    assert '<p data-figure="resolved_within_share">66.7%</p>' in html


def test_agent_page_shows_the_team_and_only_their_own_row(week):
    agent, _agent2 = week
    response = _client(agent).get(PAGE, {"days": "7"})
    html = response.content.decode()
    assert response.status_code == 200 and "Ann" in html and ">Bo<" not in html
    assert '<p data-figure="created">5</p>' in html  # the team's total


def test_customers_and_visitors_get_no_report(customer):
    for url in (PAGE, CSV):
        assert _client(customer).get(url).status_code == 403
        assert Client().get(url).status_code == 302  # to sign in


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01", "to": "2026-11-07"},
        {"from": "2026-11-07", "to": "2026-11-01"},
        {"from": "2020-01-01", "to": "2026-11-07"},
        {"days": "1000000000000000000000"},
    ],
)
def test_bad_periods_show_a_message_not_an_error(supervisor, params):
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    for url in (PAGE, CSV):
        response = _client(supervisor).get(url, params)
        assert response.status_code == 400, params
        assert b'role="alert" id="report-error"' in response.content


def test_nul_in_a_date_is_refused_before_the_view(supervisor):
    assert _client(supervisor).get(PAGE, {"from": "\x00", "to": "2026-11-07"}).status_code == 400


def test_csv_tables_in_english(week, supervisor):
    supervisor.language = "en"
    supervisor.save(update_fields=["language"])
    response = _client(supervisor).get(CSV, {"from": "2026-11-01", "to": "2026-11-07", "table": "tables"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="okpay-questions-tables-2026-11-01-2026-11-07.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:6] == [
        "Breakdown",
        "Name",
        "Created",
        "Solved",
        "First reply (median) (seconds)",
        "First reply (90th percentile) (seconds)",
    ]
    assert rows[1] == [
        "Total",
        "All questions",
        "5",
        "3",
        "7200",
        "78840",
        "75.0",
        "36000",
        "66.7",
        "2",
        "1",
        "50.0",
        "2",
    ]
    assert [
        "Agent",
        "Ann",
        "2",
        "2",
        "55800",
        "97560",
        "50.0",
        "108000",
        "50.0",
        "1",
        "1",
        "50.0",
        "2",
    ] in rows
    assert ["Agent", "Unassigned", "1", "0", "", "", "", "", "", "1", "0", "", "0"] in rows
    assert [r[1] for r in rows if r[0] == "Channel"] == [
        "Web form",
        "Answer bot hand-off",
        "Email",
        "Phone",
        "Live chat",
        "Callback request",
    ]


def test_csv_days_in_chinese(week, supervisor):
    rows = _csv(_client(supervisor).get(CSV, {"days": "7", "table": "days"}))
    assert rows[0] == [
        "日期",
        *[str(c.header) for c in views_reports.DAY_COLUMNS],
    ]
    assert rows[1:] == [
        ["2026-11-01", "1", "1", "0"],
        ["2026-11-02", "1", "1", "0"],
        ["2026-11-03", "1", "0", "0"],
        ["2026-11-04", "1", "0", "1"],
        ["2026-11-05", "0", "1", "1"],
        ["2026-11-06", "1", "0", "1"],
        ["2026-11-07", "0", "0", "0"],
    ]


def test_a_name_that_looks_like_a_formula_is_quoted_in_the_csv(week, supervisor):
    agent, _agent2 = week
    agent.full_name = "=HYPERLINK(1)"
    agent.save(update_fields=["full_name"])
    rows = _csv(_client(supervisor).get(CSV, {"days": "7"}))
    assert "'=HYPERLINK(1)" in [r[1] for r in rows] and "=HYPERLINK(1)" not in [r[1] for r in rows]


def test_the_report_is_in_the_console_navigation(agent, customer):
    from okpay.core import hooks

    assert "ticket_reports" in [p.key for p in hooks.console_pages_for(agent)]
    assert "ticket_reports" not in [p.key for p in hooks.console_pages_for(customer)]


def test_durations_read_in_the_reader_language():
    with translation.override("en"):
        assert [duration_text(s) for s in (None, 42, 600, 7200, 78840, 180000, 86400)] == [
            "—", "42 s", "10 min", "2 h", "21 h 54 min", "2 d 2 h", "1 d",
        ]  # fmt: skip
