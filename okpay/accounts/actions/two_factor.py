"""Two-factor authentication (TOTP). Marking the browser session as verified (django-otp's login)
is `okpay.accounts.sessions`' part."""

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core.audit import audit_event_record

from .. import roles
from ..models import User


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed device to scan; replaces any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="OKPay", confirmed=False)


def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> bool:
    """Confirm `user`'s new device with its first code; it replaces any earlier confirmed one."""
    if device.user_id != user.pk or not device.verify_token(code):
        audit_event_record(action="2fa.setup_failed", actor=user)
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_event_record(action="2fa.enabled", actor=user)
    return True


def totp_code_check(*, user: User, code: str) -> TOTPDevice | None:
    """The confirmed device of `user` that accepts `code`, or None (both audited)."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            audit_event_record(action="2fa.verified", actor=user)
            return device
    audit_event_record(action="2fa.failed", actor=user)
    return None


def totp_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    audit_event_record(action="2fa.disabled", actor=user)


def staff_two_factor_required(user: User) -> bool:
    return bool(settings.OKPAY_REQUIRE_STAFF_2FA and roles.needs_two_factor(user))
