import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[3]


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_production_settings_require_staff_2fa():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "OKPAY_SECRET_KEY": "x" * 60,
        "OKPAY_DEMO_MODE": "0",
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.OKPAY_REQUIRE_STAFF_2FA)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


@pytest.fixture
def require_2fa(settings):
    settings.OKPAY_REQUIRE_STAFF_2FA = True


@pytest.mark.smoke
def test_staff_must_set_up_totp_before_reaching_anything(client, agent, signed_in, require_2fa):
    signed_in(agent)
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/setup/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"

    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200
    qr = setup.context["qr"]
    assert qr.startswith("data:image/svg+xml") and "xmlns" in urllib.parse.unquote(qr)
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    bad = client.post(
        "/accounts/2fa/setup/", {"code": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert bad.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down retries after a wrong code
    ok = client.post("/accounts/2fa/setup/", {"code": current_code(device)})
    assert ok.status_code == 302
    assert client.get("/console/").status_code == 200
    assert AuditEvent.objects.filter(action="2fa.enabled", actor=agent).count() == 1


def test_customers_are_not_forced(client, customer, signed_in, require_2fa):
    signed_in(customer)
    assert client.get("/accounts/profile/").status_code == 200


def test_a_confirmed_device_is_asked_for_at_every_sign_in(client, agent, signed_in, require_2fa):
    device = TOTPDevice.objects.create(user=agent, name="OKPay", confirmed=True)
    signed_in(agent)
    assert client.get("/console/")["Location"] == "/accounts/2fa/verify/"
    # the setup page cannot be used to replace the device without the code
    assert client.get("/accounts/2fa/setup/")["Location"] == "/accounts/2fa/verify/"
    assert client.post("/accounts/2fa/disable/", {"password": "x"})["Location"] == "/accounts/2fa/verify/"
    assert client.post("/accounts/2fa/verify/", {"code": "12345"}).status_code == 400
    assert client.post("/accounts/2fa/verify/", {"code": current_code(device)}).status_code == 302
    assert client.get("/console/").status_code == 200


def test_customer_can_turn_totp_on_and_off_with_password(client, customer, signed_in):
    signed_in(customer)
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=customer)
    client.post("/accounts/2fa/setup/", {"code": current_code(device)})
    assert TOTPDevice.objects.filter(user=customer, confirmed=True).count() == 1
    wrong = client.post("/accounts/2fa/disable/", {"password": "wrong"})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.filter(user=customer).count() == 1
    from okpay.accounts.tests.factories import PASSWORD

    client.post("/accounts/2fa/disable/", {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=customer).count() == 0
    assert AuditEvent.objects.filter(action="2fa.disabled").count() == 1


def test_staff_cannot_turn_off_required_2fa(client, agent, signed_in, require_2fa):
    device = TOTPDevice.objects.create(user=agent, name="OKPay", confirmed=True)
    signed_in(agent)
    client.post("/accounts/2fa/verify/", {"code": current_code(device)})
    response = client.post("/accounts/2fa/disable/", {"password": "irrelevant"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=agent).exists()


def test_unverified_client_cannot_use_another_browser_session(agent, signed_in, require_2fa):
    device = TOTPDevice.objects.create(user=agent, name="OKPay", confirmed=True)
    first = signed_in(agent, Client())
    first.post("/accounts/2fa/verify/", {"code": current_code(device)})
    second = signed_in(agent, Client())
    assert second.get("/console/").status_code == 302
