"""Rate limits are policies in one setting, OKPAY_RATE_LIMITS; code names them."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from okpay.core.checks import rate_limits_well_formed
from okpay.core.ratelimit import rate_limit_policy, rate_limited

OKPAY = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"""rate_limit(?:ed|_policy)\(\s*["']([a-z_]+)["']""")


def test_every_policy_the_code_names_is_in_the_setting():
    named = {
        name
        for path in OKPAY.rglob("*.py")
        if "tests" not in path.parts
        for name in NAMED.findall(path.read_text(encoding="utf-8"))
    }
    assert {"signup_per_ip", "password_reset_per_ip", "question_per_guest_ip"} <= named
    assert named <= set(django_settings.OKPAY_RATE_LIMITS), named - set(django_settings.OKPAY_RATE_LIMITS)
    assert rate_limits_well_formed(None) == []


def test_a_policy_counts_hits_per_key(settings):
    settings.OKPAY_RATE_LIMITS = {**settings.OKPAY_RATE_LIMITS, "signup_per_ip": (2, 60)}
    assert [rate_limited("signup_per_ip", "192.0.2.1") for _ in range(3)] == [False, False, True]
    assert rate_limited("signup_per_ip", "192.0.2.2") is False


def test_unknown_or_malformed_policies_are_configuration_errors(settings):
    with pytest.raises(ImproperlyConfigured):
        rate_limit_policy("no_such_policy")
    settings.OKPAY_RATE_LIMITS = {"signup_per_ip": (0, 3600), "broken": "ten"}
    assert [error.id for error in rate_limits_well_formed(None)] == ["okpay.E010", "okpay.E010"]
