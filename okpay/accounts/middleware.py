import zoneinfo
from datetime import timedelta

from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .actions import staff_two_factor_required
from .models import UserSession


class UserPreferencesMiddleware:
    """A signed-in user's saved language and time zone win over cookies and browser headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


OPEN_PATHS = ("/accounts/logout/", "/static/", "/i18n/", "/healthz")
VERIFY_PATH = "/accounts/2fa/verify/"
SETUP_PATH = "/accounts/2fa/setup/"


class StaffTwoFactorMiddleware:
    """Someone with a confirmed TOTP device, or any staff role when 2FA is required (production),
    reaches nothing but the verify (or, without a device, the setup) page until a code is verified
    in this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(OPEN_PATHS):
            has_device = user.totpdevice_set.filter(confirmed=True).exists()
            if has_device or staff_two_factor_required(user):
                allowed = VERIFY_PATH if has_device else SETUP_PATH
                if request.path == allowed:
                    return self.get_response(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "two_factor_required",
                                "message": _("Two-factor verification is required."),
                            }
                        },
                        status=403,
                    )
                return redirect(allowed)
        return self.get_response(request)


class SessionActivityMiddleware:
    """Keeps "my sessions" current: last seen time, at most once every 5 minutes per session."""

    TOUCH_EVERY = timedelta(minutes=5)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = timezone.now()
            key = request.session.session_key
            stamp = request.session.get("_okpay_seen")
            if stamp is None or now.timestamp() - stamp > self.TOUCH_EVERY.total_seconds():
                UserSession.objects.filter(session_key=key).update(last_seen_at=now)
                request.session["_okpay_seen"] = now.timestamp()
        return response
