"""Django's admin without password entry points of its own.

The stock admin has its own sign-in form (`/admin/login/`), which would skip the product's lockout,
failure budgets, audit log and session list, and its own password change, which would skip ending
other sessions, the notice email and the API-token revocation. Here both send the browser to the
product's pages, and the admin's sign-out goes through the product's sign-out (audit, session list).
Installed as the default admin site through `OKPayAdminConfig` in INSTALLED_APPS."""

from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class OKPayAdminSite(AdminSite):
    @login_not_required
    def login(self, request, extra_context=None):
        """Never checks a password: sends the browser to the product's sign-in, then back here."""
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")

    def logout(self, request, extra_context=None):
        from . import sessions

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        sessions.user_logout(request=request)
        return HttpResponseRedirect(reverse("home"))

    def password_change(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("accounts:password_change"))

    def password_change_done(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("accounts:security"))


class OKPayAdminConfig(AdminConfig):
    default_site = "okpay.accounts.admin_site.OKPayAdminSite"
