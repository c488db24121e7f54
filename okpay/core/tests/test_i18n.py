import pytest
from django.test import Client
from django.utils import translation

from okpay.core.money import format_money

pytestmark = pytest.mark.smoke


def test_default_language_is_simplified_chinese(client, db):  # pages read the chat hours
    page = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "帮助中心" in page


def test_browser_language_english(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in page and "Help center" in page


def test_switcher_sets_cookie_for_visitors(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    assert response.status_code == 302 and response["Location"] == "/help/"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_switcher_persists_for_signed_in_users(client, customer, signed_in):
    signed_in(customer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    customer.refresh_from_db()
    assert customer.language == "en"
    fresh = signed_in(customer, Client())  # another browser, no cookie
    assert '<html lang="en">' in fresh.get("/").content.decode()


def test_saved_language_wins_over_browser_header(client, customer_en, signed_in):
    signed_in(customer_en)
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


def test_unknown_language_is_ignored(client, customer, signed_in):
    signed_in(customer)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    customer.refresh_from_db()
    assert customer.language == "zh-hans"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (123450, "CNY", "zh-hans", "¥1,234.50"),
        (1200, "USD", "zh-hans", "US$12.00"),
        (1200, "USD", "en", "$12.00"),
        (1200, "JPY", "en", "¥1,200"),
        (1500, "BHD", "en", "BHD1.500"),
        (-500, "EUR", "en", "-€5.00"),
    ],
)
def test_money_is_formatted_per_language(amount, currency, language, expected):
    assert format_money(amount, currency, language).replace("\xa0", "") == expected


def test_dates_are_formatted_per_language():
    import datetime

    from django.utils.formats import date_format

    day = datetime.date(2026, 11, 26)
    moment = datetime.datetime(2026, 12, 2, 14, 52)
    with translation.override("zh-hans"):
        assert date_format(day, "DATE_FORMAT") == "2026年11月26日"
        assert date_format(moment, "DATETIME_FORMAT") == date_format(moment, "SHORT_DATETIME_FORMAT")
    with translation.override("en"):
        assert date_format(day, "DATE_FORMAT") == "26 Nov 2026"
        # one unambiguous style: no 12/02/2026 (2 Dec or 12 Feb?) beside "Dec. 2, 2026, 2:52 p.m."
        assert date_format(moment, "DATETIME_FORMAT") == "2 Dec 2026, 14:52"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "2 Dec 2026, 14:52"


def test_selects_with_a_blank_choice_are_translated(db, signed_in, admin_user):
    console = signed_in(admin_user, Client())
    page = console.get("/console/help/new/").content.decode()
    assert "- 请选择 -" in page and "Select an option" not in page
