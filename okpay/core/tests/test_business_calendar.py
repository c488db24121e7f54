"""The business calendar (okpay/core/business_calendar.py): China's official days, the weekdays
calendar, business hours, years without official data and the data file, the coverage check."""

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import ImproperlyConfigured

from okpay.core import business_calendar as bc
from okpay.core.checks import business_calendars_covered

SH = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year


def at(text: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def d(text: str) -> date:
    return date.fromisoformat(text)


def days_of(first: str, last: str) -> list[date]:
    start, end = d(first), d(last)
    return [start + timedelta(n) for n in range((end - start).days + 1)]


@pytest.fixture
def china():
    return bc.calendar("china")


@pytest.fixture
def weekdays():
    return bc.calendar("weekdays")


def test_named_calendars_from_the_setting(settings):
    china = bc.calendar()
    assert (china.name, china.rule, china.time_zone, china.opens, china.closes) == (
        "china",
        "china",
        SH,
        time(9),
        time(18),
    )
    assert bc.calendar("weekdays").rule == "weekdays"
    with pytest.raises(ImproperlyConfigured):
        bc.calendar("mars")
    settings.OKPAY_BUSINESS_CALENDARS = {"bad": {"rule": "china", "hours": ("18:00", "09:00")}}
    with pytest.raises(ImproperlyConfigured):
        bc.calendar("bad")
    settings.OKPAY_BUSINESS_CALENDARS = {"bad": {"rule": "lunar"}}
    with pytest.raises(ImproperlyConfigured):
        bc.calendar()


def test_a_normal_week_and_its_weekend(china):
    # 2026-11-09 is a Monday with no holiday that week
    week = days_of("2026-11-09", "2026-11-15")
    assert [china.is_business_day(day) for day in week] == [True] * 5 + [False] * 2
    assert bc.is_business_day(d("2026-11-14")) is False  # the module function, default calendar
    assert bc.business_days_between(d("2026-11-09"), d("2026-11-16")) == 5


def test_national_day_golden_week_2026_and_its_make_up_days(china):
    # the State Council's 2026 schedule as chinese-calendar 1.11 has it: Mid-autumn Fri 25 – Sun 27 Sept,
    # National Day Thu 1 – Wed 7 Oct; worked instead: Sunday 20 Sept and Saturday 10 Oct
    assert chinese_calendar.get_holiday_detail(d("2026-10-01")) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(d("2026-09-20")) == (False, "National Day")
    assert chinese_calendar.get_holiday_detail(d("2026-10-10")) == (False, "National Day")
    assert chinese_calendar.get_holiday_detail(d("2026-09-25")) == (True, "Mid-autumn Festival")
    for day in days_of("2026-10-01", "2026-10-07") + days_of("2026-09-25", "2026-09-27"):
        assert not china.is_business_day(day), day
    assert d("2026-09-20").weekday() == 6 and china.is_business_day(d("2026-09-20"))
    assert d("2026-10-10").weekday() == 5 and china.is_business_day(d("2026-10-10"))
    assert china.is_business_day(d("2026-09-30")) and china.is_business_day(d("2026-10-08"))
    assert not china.is_business_day(d("2026-10-11"))  # the Sunday after stays a weekend
    # 14–30 Sept: 13 weekdays, less Fri 25, plus Sun 20
    assert china.business_days_between(d("2026-09-14"), d("2026-10-01")) == 13


def test_spring_festival_2026(china):
    # Sun 15 – Mon 23 Feb off (nine days); Saturday 14 Feb and Saturday 28 Feb worked
    assert chinese_calendar.get_holiday_detail(d("2026-02-17")) == (True, "Spring Festival")
    for day in days_of("2026-02-15", "2026-02-23"):
        assert not china.is_business_day(day), day
    assert d("2026-02-14").weekday() == 5 and china.is_business_day(d("2026-02-14"))
    assert d("2026-02-28").weekday() == 5 and china.is_business_day(d("2026-02-28"))
    assert china.is_business_day(d("2026-02-24"))
    # New Year: Thu 1 – Sat 3 Jan off, Sunday 4 Jan worked
    assert not china.is_business_day(d("2026-01-02")) and china.is_business_day(d("2026-01-04"))


def test_add_business_days_across_a_weekend(china):
    friday = at("2026-11-13 15:30")
    assert china.add_business_days(friday, 1) == at("2026-11-16 15:30")
    assert china.add_business_days(friday, 3) == at("2026-11-18 15:30")
    assert china.add_business_days(friday, 0) == friday
    # a moment on a non-business day counts from the next business day
    saturday = at("2026-11-14 11:00")
    assert china.add_business_days(saturday, 0) == at("2026-11-16 11:00")
    assert china.add_business_days(saturday, 1) == at("2026-11-17 11:00")
    with pytest.raises(ValueError):
        china.add_business_days(friday, -1)
    with pytest.raises(ValueError):
        china.add_business_days(datetime(2026, 11, 13, 15, 30), 1)  # naive


def test_add_business_days_across_golden_week(china):
    wednesday = at("2026-09-30 15:00")
    assert china.add_business_days(wednesday, 1) == at("2026-10-08 15:00")
    assert china.add_business_days(wednesday, 3) == at("2026-10-10 15:00")  # the make-up Saturday
    assert china.add_business_days(wednesday, 4) == at("2026-10-12 15:00")
    # Friday 18 Sept + 1: the make-up Sunday 20 Sept
    assert china.add_business_days(at("2026-09-18 10:00"), 1) == at("2026-09-20 10:00")
    # "1–3 business days" for a withdrawal asked for during the holiday
    asked = at("2026-10-03 20:00")
    assert china.add_business_days(asked, 1) == at("2026-10-09 20:00")
    assert china.add_business_days(asked, 3) == at("2026-10-12 20:00")


def test_business_days_between_is_the_inverse_of_add(china):
    for start in (at("2026-09-30 15:00"), at("2026-10-03 09:00"), at("2026-11-14 11:00")):
        for n in range(8):
            assert china.business_days_between(start, china.add_business_days(start, n)) == n
    assert china.business_days_between(at("2026-10-12 15:00"), at("2026-09-30 15:00")) == -4


def test_business_hours_across_a_night_and_a_weekend(china):
    tuesday_evening = at("2026-11-10 17:00")
    assert china.add_business_hours(tuesday_evening, 2) == at("2026-11-11 10:00")
    assert china.business_seconds_between(tuesday_evening, at("2026-11-11 10:00")) == 2 * 3600
    friday = at("2026-11-13 17:30")
    assert china.add_business_hours(friday, 1) == at("2026-11-16 09:30")
    assert china.business_seconds_between(friday, at("2026-11-16 09:30")) == 3600
    assert china.business_seconds_between(at("2026-11-16 09:30"), friday) == -3600
    # 24 working hours from Monday 09:00 = Monday, Tuesday, and six hours of Wednesday
    assert china.add_business_hours(at("2026-11-16 09:00"), 24) == at("2026-11-18 15:00")
    # work that ends at closing time ends then
    assert china.add_business_hours(at("2026-11-16 09:00"), timedelta(hours=9)) == at("2026-11-16 18:00")
    # next business moment: inside hours it is the moment; at night, the next opening
    assert china.next_business_moment(at("2026-11-16 11:11")) == at("2026-11-16 11:11")
    assert china.next_business_moment(at("2026-11-16 18:00")) == at("2026-11-17 09:00")
    assert china.next_business_moment(at("2026-11-14 12:00")) == at("2026-11-16 09:00")


def test_business_hours_skip_the_holiday_and_count_the_make_up_day(china):
    assert china.next_business_moment(at("2026-10-01 10:00")) == at("2026-10-08 09:00")
    assert china.add_business_hours(at("2026-09-30 17:00"), 2) == at("2026-10-08 10:00")
    # Friday 9 Oct 18:00 → the make-up Saturday 10 Oct opens at 09:00
    assert china.add_business_hours(at("2026-10-09 17:00"), 2) == at("2026-10-10 10:00")
    assert (
        bc.business_seconds_between(at("2026-09-30 09:00"), at("2026-10-11 00:00")) == 4 * 9 * 3600
    )  # 30 Sept, 8, 9, 10 Oct


def test_the_weekdays_calendar_ignores_holidays(weekdays):
    assert weekdays.is_business_day(d("2026-10-01"))
    assert not weekdays.is_business_day(d("2026-10-10"))  # no make-up Saturday either
    assert weekdays.add_business_days(at("2026-09-30 15:00"), 1) == at("2026-10-01 15:00")
    assert bc.add_business_days(at("2026-09-30 15:00"), 1, using="weekdays") == at("2026-10-01 15:00")
    assert weekdays.coverage_ends() is None


def test_a_year_without_official_data_falls_back_to_weekdays(china):
    year = PACKAGE_LAST_YEAR + 1
    new_year = date(year, 1, 1)
    with pytest.raises(NotImplementedError):  # why the fallback exists
        chinese_calendar.is_workday(new_year)
    assert china.is_business_day(new_year) is (new_year.weekday() < 5)
    assert not china.is_official(new_year) and china.is_official(date(PACKAGE_LAST_YEAR, 6, 1))
    assert china.coverage_ends() == bc.coverage_ends() == PACKAGE_LAST_YEAR
    # counting runs into the uncovered year without an error
    last_friday = max(
        date(PACKAGE_LAST_YEAR, 12, 31) - timedelta(n)
        for n in range(7)
        if (date(PACKAGE_LAST_YEAR, 12, 31) - timedelta(n)).weekday() == 4
    )
    start = datetime.combine(last_friday, time(10), tzinfo=SH)
    assert china.add_business_days(start, 20).date().weekday() < 5


def test_the_data_file_extends_and_overrides_the_package(settings, tmp_path):
    year = PACKAGE_LAST_YEAR + 1
    monday = date(year, 1, 1) + timedelta((7 - date(year, 1, 1).weekday()) % 7)
    tuesday, saturday = monday + timedelta(1), monday + timedelta(5)
    data_file = tmp_path / "business_days.json"
    data_file.write_text(
        json.dumps(
            {
                "source": "test",
                "years": [year],
                "holidays": [monday.isoformat(), tuesday.isoformat(), "2026-11-11"],
                "workdays": [saturday.isoformat(), "2026-10-05"],
            }
        )
    )
    settings.OKPAY_BUSINESS_CALENDARS = {
        "china": {
            "rule": "china",
            "time_zone": "Asia/Shanghai",
            "hours": ("09:00", "18:00"),
            "data_file": str(data_file),
        }
    }
    china = bc.calendar()
    assert not china.is_business_day(monday) and not china.is_business_day(tuesday)
    assert china.is_business_day(saturday)
    assert china.is_official(monday) and china.coverage_ends() == year
    # overrides of a year the package covers
    assert not china.is_business_day(d("2026-11-11"))
    assert china.is_business_day(d("2026-10-05"))
    start = datetime.combine(monday - timedelta(3), time(10), tzinfo=SH)  # the Friday before
    assert china.add_business_days(start, 1) == datetime.combine(monday + timedelta(2), time(10), tzinfo=SH)
    # an edited file is read again
    data_file.write_text(json.dumps({"holidays": [], "workdays": [], "years": []}))
    assert bc.calendar().is_business_day(monday) and bc.calendar().coverage_ends() == PACKAGE_LAST_YEAR
    # a malformed file is a configuration error, reported by the system check
    data_file.write_text(json.dumps({"holidays": ["2027-13-01"]}))
    with pytest.raises(ImproperlyConfigured):
        bc.calendar()
    assert [m.id for m in business_calendars_covered(None)] == ["okpay.E011"]
    data_file.write_text(json.dumps({"holidays": ["2026-12-01"], "workdays": ["2026-12-01"]}))
    with pytest.raises(ImproperlyConfigured):
        bc.calendar()


def test_the_shipped_data_file_is_valid():
    data = bc.load_data()
    assert data.holidays.isdisjoint(data.workdays)


def test_the_check_warns_near_the_end_of_coverage(settings, time_machine):
    settings.OKPAY_BUSINESS_CALENDARS = {
        "china": {"rule": "china", "data_file": "/nonexistent/business_days.json"},
        "weekdays": {"rule": "weekdays"},
    }
    end = date(PACKAGE_LAST_YEAR, 12, 31)
    time_machine.move_to(datetime.combine(end - timedelta(days=90), time(12), tzinfo=SH), tick=False)
    assert business_calendars_covered(None) == []
    time_machine.move_to(datetime.combine(end - timedelta(days=60), time(12), tzinfo=SH), tick=False)
    notices = business_calendars_covered(None)
    assert [w.id for w in notices] == ["okpay.I001"]  # still covered: a notice, deploy checks pass
    assert str(PACKAGE_LAST_YEAR) in notices[0].msg and "business_days.json" in notices[0].hint
    time_machine.move_to(datetime.combine(date(PACKAGE_LAST_YEAR + 1, 3, 1), time(12), tzinfo=SH), tick=False)
    assert [w.id for w in business_calendars_covered(None)] == ["okpay.W001"]  # past the end: a warning


def test_the_check_is_quiet_once_next_year_is_in_the_data_file(settings, tmp_path, time_machine):
    data_file = tmp_path / "business_days.json"
    data_file.write_text(json.dumps({"years": [PACKAGE_LAST_YEAR + 1]}))
    settings.OKPAY_BUSINESS_CALENDARS = {"china": {"rule": "china", "data_file": str(data_file)}}
    time_machine.move_to(datetime.combine(date(PACKAGE_LAST_YEAR, 12, 1), time(12), tzinfo=SH), tick=False)
    assert business_calendars_covered(None) == []


def test_a_moment_in_another_zone_is_counted_in_the_calendars_zone(china):
    # Wednesday 30 Sept 17:30 in London (BST) is Thursday 1 Oct 00:30 in Shanghai: National Day
    london = at("2026-09-30 17:30", LONDON)
    assert china.is_business_day(london.date())  # the London date is a business day …
    assert not china.is_business_day(london)  # … the moment, in Shanghai, is not
    assert china.add_business_days(london, 1) == at("2026-10-09 00:30")
    assert china.add_business_days(london, 1).tzinfo == SH
    assert china.next_business_moment(london) == at("2026-10-08 09:00")
    # Friday 13 Nov 09:30 in London (GMT) is 17:30 in Shanghai: half an hour of work is left that day
    friday = at("2026-11-13 09:30", LONDON)
    assert china.add_business_hours(friday, 1) == at("2026-11-16 09:30")
    assert china.business_seconds_between(friday, at("2026-11-13 18:00")) == 1800
