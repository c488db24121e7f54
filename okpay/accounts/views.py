"""Thin views: parse the form, call one action, render."""

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from okpay.core import i18n
from okpay.core.audit import client_ip
from okpay.core.ratelimit import rate_limited
from okpay.core.redirects import safe_next

from . import actions, roles, selectors, sessions
from .forms import (
    ApiTokenForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    PasswordResetSetForm,
    ProfileForm,
    SignupForm,
    TotpCodeForm,
    TotpDisableForm,
)
from .models import User
from .tokens import password_reset_tokens

RESET_TOKEN_IN_URL = "set-password"


def _safe_next(request, default="home"):
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), default)


def _after_sign_in(request, user=None):
    """`next` when it is safe, else the user's own start page (roles.landing_url_name)."""
    return _safe_next(request, roles.landing_url_name(user or request.user))


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if rate_limited("signup_per_ip", client_ip(request) or "unknown"):
            return render(request, "accounts/rate_limited.html", status=429)
        actions.user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["new_password1"],
            full_name=form.cleaned_data["full_name"],
            language=i18n.current(),
        )
        return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


def signup_done(request):
    return render(request, "accounts/signup_done.html")


@never_cache
def verify_email(request, token):
    user = actions.user_verify_email(token=token)
    status = 200 if user is not None else 400
    return render(request, "accounts/verify_email.html", {"verified_user": user}, status=status)


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_after_sign_in(request))
    form = LoginForm(request.POST or None)
    error = None
    locked_until = None
    if request.method == "POST" and form.is_valid():
        result = sessions.sign_in(
            request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if result.user is not None:
            return redirect(_after_sign_in(request, result.user))
        error, locked_until = result.error, result.locked_until
    status = 200 if error is None else (429 if error in actions.LOGIN_PAUSED_ERRORS else 400)
    if request.method == "POST" and not form.is_valid():
        status = 400
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "error": error,
            "locked_until": locked_until,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=status,
    )


@require_POST
def logout_view(request):
    sessions.user_logout(request=request)
    messages.success(request, _("You have signed out."))
    return redirect("home")


@never_cache
def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not actions.password_reset_request(
            email=form.cleaned_data["email"], ip_address=client_ip(request)
        ):
            return render(request, "accounts/rate_limited.html", status=429)
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200)


def password_reset_sent(request):
    return render(
        request, "accounts/password_reset_sent.html", {"minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    )


def _reset_user(uidb64):
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        return User.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError, OverflowError):
        return None


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def password_reset_confirm(request, uidb64, token):
    """The link from the email. The token moves into the session and the browser is sent to a URL
    without it, so it does not leak through history or the Referer header; every response whose
    address holds the token says `Referrer-Policy: no-referrer`."""
    user = _reset_user(uidb64)
    if token != RESET_TOKEN_IN_URL:
        if user is not None and password_reset_tokens.check_token(user, token):
            sessions.password_reset_token_keep(request, token)
            return _no_referrer(
                redirect("accounts:password_reset_confirm", uidb64=uidb64, token=RESET_TOKEN_IN_URL)
            )
        return _no_referrer(render(request, "accounts/password_reset_invalid.html", status=400))
    session_token = sessions.password_reset_token(request)
    if user is None or not session_token or not password_reset_tokens.check_token(user, session_token):
        return _no_referrer(render(request, "accounts/password_reset_invalid.html", status=400))
    form = PasswordResetSetForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        sessions.password_reset_finish(
            request=request, user=user, password=form.cleaned_data["new_password1"]
        )
        return redirect("accounts:password_reset_done")
    # This page's address holds no secret, so it keeps the site's same-origin policy: with
    # no-referrer, browsers send `Origin: null` on the form post and CSRF protection refuses it.
    return render(
        request, "accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200
    )


def password_reset_done(request):
    return _no_referrer(render(request, "accounts/password_reset_done.html"))


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "phone": user.phone,
            "language": user.language,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        actions.profile_update(user=user, **form.cleaned_data)
        response = redirect("accounts:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        with translation.override(user.language):
            messages.success(request, _("Your profile has been saved."))
        return response
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def security(request):
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": selectors.user_sessions_list(user=request.user),
            "events": selectors.security_events_list(user=request.user),
            "has_totp": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "totp_required": actions.staff_two_factor_required(request.user),
        },
    )


@login_required
@require_POST
def sessions_end_others(request):
    count = sessions.sessions_end_others(request=request)
    messages.success(request, _("Signed out %(count)d other session(s).") % {"count": count})
    return redirect("accounts:security")


@login_required
@require_POST
def session_end(request, session_id):
    if sessions.session_end_one(request=request, session_id=session_id):
        messages.success(request, _("That session has been signed out."))
    else:
        messages.error(request, _("That session could not be found."))
    return redirect("accounts:security")


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@login_required
def password_change(request):
    form = PasswordChangeForm(
        request.user,
        request.POST or None,
        active_api_tokens=actions.api_tokens_active_count(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        result = sessions.password_change(
            request=request,
            new_password=form.cleaned_data["new_password1"],
            revoke_api_tokens=bool(form.cleaned_data.get("revoke_api_tokens")),
        )
        messages.success(
            request,
            _("Your password has been changed. %(count)d other session(s) were signed out.")
            % {"count": result.sessions_ended},
        )
        if result.tokens_revoked:
            messages.success(
                request,
                ngettext(
                    "%(count)d API token was revoked.",
                    "%(count)d API tokens were revoked.",
                    result.tokens_revoked,
                )
                % {"count": result.tokens_revoked},
            )
        return redirect("accounts:security")
    return render(
        request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


def _qr_data_uri(device: TOTPDevice, user: User) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@login_required
@never_cache
def two_factor_setup(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.method == "GET":
        device = actions.totp_device_start(user=request.user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if sessions.two_factor_setup_confirm(request=request, device=device, code=form.cleaned_data["code"]):
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("accounts:security")
        form.add_error("code", _("That code is not valid. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr": _qr_data_uri(device, request.user), "secret": secret},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def two_factor_verify(request):
    if request.user.is_verified():
        return redirect(_after_sign_in(request))
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if sessions.two_factor_verify(request=request, code=form.cleaned_data["code"]):
            return redirect(_after_sign_in(request))
        form.add_error("code", _("That code is not valid. Check the time on your phone and try again."))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def two_factor_disable(request):
    if actions.staff_two_factor_required(request.user):
        messages.error(request, _("Two-factor authentication is required for staff accounts."))
        return redirect("accounts:security")
    form = TotpDisableForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.totp_disable(user=request.user)
        messages.success(request, _("Two-factor authentication is off."))
        return redirect("accounts:security")
    return render(
        request, "accounts/two_factor_disable.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = actions.api_token_create(
            user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
        )
        form = ApiTokenForm()
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": selectors.api_tokens_list(user=request.user), "new_token": new_token},
        status=400 if form.errors else 200,
    )
    if new_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request, token_id):
    if actions.api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The token has been revoked."))
    else:
        messages.error(request, _("That token could not be found."))
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def resend_verification(request):
    if not request.user.is_email_verified:
        actions.verification_send(user=request.user)
        messages.success(
            request, _("We sent a new verification link to %(email)s.") % {"email": request.user.email}
        )
    return redirect("accounts:profile")
