import zoneinfo

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from okpay.core.forms import Form

from .choices import Language, TokenScope


class NewPasswordMixin(Form):
    """New password twice, checked against the password policy."""

    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    password_user = None

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords do not match."))
        elif first:
            try:
                password_validation.validate_password(first, self.password_user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class SignupForm(NewPasswordMixin):
    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["email", "full_name", "new_password1", "new_password2"]

    def clean(self):
        from .models import User

        self.password_user = User(
            email=self.cleaned_data.get("email", ""), full_name=self.cleaned_data.get("full_name", "")
        )
        return super().clean()


class LoginForm(Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordResetRequestForm(Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordResetSetForm(NewPasswordMixin):
    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_user = user


class PasswordChangeForm(NewPasswordMixin):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password1", "new_password2"]

    revoke_api_tokens = forms.BooleanField(required=False, initial=True)

    def __init__(self, user, *args, active_api_tokens: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_user = user
        if active_api_tokens:
            field = self.fields["revoke_api_tokens"]
            field.label = ngettext(
                "Also revoke my %(count)d API token",
                "Also revoke my %(count)d API tokens",
                active_api_tokens,
            ) % {"count": active_api_tokens}
            field.help_text = _(
                "Recommended if someone else may have known your password: a token keeps working "
                "after a password change until it is revoked."
            )
        else:
            del self.fields["revoke_api_tokens"]

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.password_user.check_password(password):
            raise forms.ValidationError(_("Your current password is not correct."), code="password_incorrect")
        return password


def time_zone_choices():
    common = [
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Asia/Taipei",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
        "Australia/Sydney",
        "UTC",
    ]
    rest = sorted(zoneinfo.available_timezones() - set(common))
    return [(tz, tz) for tz in common + rest]


class ProfileForm(Form):
    full_name = forms.CharField(
        label=_("Name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.RegexField(
        label=_("Phone"),
        max_length=32,
        required=False,
        regex=r"^\+?[0-9 ()-]{5,31}$",
        error_messages={
            "invalid": _("Enter a phone number with digits, spaces or dashes, e.g. +86 138 0000 0000.")
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class TotpCodeForm(Form):
    code = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=10,
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class TotpDisableForm(Form):
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Your current password is not correct."), code="password_incorrect")
        return password


class ApiTokenForm(Form):
    name = forms.CharField(label=_("Token name"), max_length=80)
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
