"""The accounts app's answers for the bot: account security as buttons that act through the existing
pages (sign out every other session, change the password, turn on two-step verification), then a
person."""

import pytest
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.accounts import bot_actions
from okpay.accounts.models import UserSession
from okpay.core import hooks

pytestmark = pytest.mark.django_db


def test_the_security_actions_are_registered():
    for key in ("reset_password", "lost_device", "lost_card", "account_takeover", "secure_account"):
        assert hooks.bot_action(key) is getattr(bot_actions, key), key


@pytest.mark.parametrize("key", ["account_takeover", "lost_device", "lost_card", "secure_account"])
def test_protective_buttons_then_a_person(customer, key):
    result = hooks.bot_action(key)(customer, "en")
    first = result.links[0]
    assert (first.url, first.method) == ("/accounts/security/sessions/end-others/", "post")
    urls = [link.url for link in result.links]
    assert "/accounts/password/change/" in urls and "/accounts/2fa/setup/" in urls
    assert result.hand_off


def test_two_step_verification_is_not_offered_when_it_is_on(customer):
    TOTPDevice.objects.create(user=customer, name="app", confirmed=True)
    urls = [link.url for link in bot_actions.account_takeover(customer, "en").links]
    assert "/accounts/2fa/setup/" not in urls


def test_takeover_counts_the_signed_in_sessions_in_both_languages(customer, signed_in):
    signed_in(customer, Client())
    signed_in(customer, Client())
    assert UserSession.objects.filter(user=customer).count() == 2
    with translation.override("en"):
        assert bot_actions.account_takeover(customer, "en").text.startswith("2 sessions are signed in")
    with translation.override("zh-hans"):
        text = bot_actions.account_takeover(customer, "zh-hans").text
    assert "2" in text


def test_a_customer_with_only_this_session(customer):
    with translation.override("en"):
        assert bot_actions.lost_device(customer, "en").text.startswith("Only this session")


def test_the_button_signs_out_the_other_sessions_and_confirms(customer, signed_in):
    other = signed_in(customer, Client())
    mine = signed_in(customer, Client())
    button = bot_actions.account_takeover(customer, "en").links[0]
    response = mine.post(button.url, follow=True)
    assert response.redirect_chain == [("/accounts/security/", 302)]  # the security page confirms it
    assert UserSession.objects.filter(user=customer).count() == 1
    assert other.get("/account/").status_code == 302
    assert mine.get("/account/").status_code == 200
