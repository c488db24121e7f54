import datetime

import pytest

from okpay.wallet.actions import topup_demo
from okpay.wallet.fx import quote_create, rates_refresh
from okpay.wallet.international.actions import international_submit
from okpay.wallet.international.limits import limits_remaining
from okpay.wallet.tasks import next_publication_time

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-26T10:00:00+00:00", "2026-11-26T16:30:00+01:00"),  # Thursday morning → same day
        ("2026-11-26T16:00:00+00:00", "2026-11-27T16:30:00+01:00"),  # Thursday after publication → Friday
        ("2026-11-27T17:00:00+00:00", "2026-11-30T16:30:00+01:00"),  # Friday evening → Monday
    ],
)
def test_rate_refresh_is_scheduled_after_each_publication(now, expected):
    assert next_publication_time(datetime.datetime.fromisoformat(now)).isoformat() == expected


def test_limits_remaining_follow_the_level_and_rolling_windows(make_user, db):
    rates_refresh()
    level0 = make_user(email="l0@example.com", verification_level=0)
    assert limits_remaining(user=level0)["international"] is False
    level1 = make_user(email="l1@example.com", verification_level=1)
    before = limits_remaining(user=level1)
    assert before == {
        "level": 1,
        "international": True,
        "per_transfer": 100_000,
        "day_limit": 200_000,
        "day_left": 200_000,
        "month_limit": 500_000,
        "month_left": 500_000,
    }
    topup_demo(user=level1, amount_minor=1_000_000, currency="CNY", key="s")
    quote = quote_create(
        user=level1,
        from_currency="CNY",
        to_currency="EUR",
        source_amount_minor=82_104,
        recipient_country="DE",
    )  # ¥821.04 = €100.00
    international_submit(
        user=level1,
        quote_id=quote.pk,
        recipient_name="x",
        recipient_country="DE",
        recipient_account="DE8937040044",
        key="k",
    )
    after = limits_remaining(user=level1)
    assert after["day_left"] == 200_000 - 10_000 and after["month_left"] == 500_000 - 10_000
