"""Two-factor authentication (TOTP)."""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.audit import audit_event_record

from ..models import User


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device to scan; replaces any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="OKPay", confirmed=False)


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    if not device.verify_token(code):
        audit_event_record(action="2fa.setup_failed", actor=request.user, request=request)
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_event_record(action="2fa.enabled", actor=request.user, request=request)
    otp_login(request, device)
    return True


def totp_verify(*, request: HttpRequest, code: str) -> bool:
    for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        if device.verify_token(code):
            otp_login(request, device)
            audit_event_record(action="2fa.verified", actor=request.user, request=request)
            return True
    audit_event_record(action="2fa.failed", actor=request.user, request=request)
    return False


def totp_disable(*, request: HttpRequest) -> None:
    TOTPDevice.objects.filter(user=request.user).delete()
    audit_event_record(action="2fa.disabled", actor=request.user, request=request)


def staff_two_factor_required(user: User) -> bool:
    return bool(settings.OKPAY_REQUIRE_STAFF_2FA and user.is_staff_role)
