"""The customer's destination forms: one form for every kind (no script needed: each kind has its own
fieldset with its own field names, and only the chosen kind's fields are read), and the confirmation
that removes one. Both ask for the password again (and the 6-digit code when two-factor is on); the
checks themselves are the actions' (`destination_fields`, `step_up_check`), whose error codes
`error_field` maps to the field they are about."""

from django import forms
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import BLANK_CHOICE_LABEL, Form

from . import validation
from .actions import destination_fields
from .choices import DestinationKind, EWalletProvider
from .errors import PayoutError

# the form's field → the action's data key, per kind
KIND_FIELDS: dict[str, dict[str, str]] = {
    DestinationKind.IBAN: {"iban": "iban", "iban_holder": "holder_name"},
    DestinationKind.CN_BANK_CARD: {
        "cn_card_number": "card_number",
        "cn_bank": "bank_code",
        "cn_holder": "holder_name",
    },
    DestinationKind.DEBIT_CARD: {"debit_card_number": "card_number", "debit_holder": "holder_name"},
    DestinationKind.EWALLET: {"provider": "provider", "account": "account"},
}
CARD_NUMBER_FIELDS: dict[str, str] = {
    DestinationKind.CN_BANK_CARD: "cn_card_number",
    DestinationKind.DEBIT_CARD: "debit_card_number",
}
HOLDER_FIELDS: dict[str, str] = {
    DestinationKind.IBAN: "iban_holder",
    DestinationKind.CN_BANK_CARD: "cn_holder",
    DestinationKind.DEBIT_CARD: "debit_holder",
}


def error_field(kind: str, code: str) -> str | None:
    """The form field a PayoutError (or a step-up refusal) is about; None: the form as a whole."""
    if code.startswith("iban_"):
        return "iban"
    if code.startswith("card_"):
        return CARD_NUMBER_FIELDS.get(kind)
    if code == "bank_unknown":
        return "cn_bank"
    if code == "holder_invalid":
        return HOLDER_FIELDS.get(kind)
    if code == "provider_unknown":
        return "provider"
    if code == "account_invalid":
        return "account"
    if code == "label_invalid":
        return "label"
    if code == "kind_invalid":
        return "kind"
    if code == "reauth_code":
        return "code"
    if code.startswith("reauth_"):
        return "password"
    return None


class CardNumberInput(forms.TextInput):
    """Digits typed once: never written back into the page (after an error the customer types the number
    again), kept out of the browser's autofill history, a number pad on phones."""

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false", **(attrs or {})}
        )

    def format_value(self, value):
        return None


def _digits_input() -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})


class StepUpForm(Form):
    """The password again, and the current 6-digit code for a customer with two-factor on."""

    password = forms.CharField(
        label=_("Current password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, two_factor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if two_factor:
            self.fields["code"] = forms.RegexField(
                label=_("6-digit code"),
                regex=r"^\s*\d{6}\s*$",
                max_length=10,
                error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
            )

    def add_domain_error(self, error, kind: str = "") -> None:
        """Show an action's refusal next to its field (the whole form's message otherwise)."""
        field = error_field(kind, error.code)
        self.add_error(field if field in self.fields else None, str(error.message))


class DestinationForm(StepUpForm):
    kind = forms.ChoiceField(
        label=_("Where should withdrawals go?"), choices=DestinationKind.choices, widget=forms.RadioSelect
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=64,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    iban_holder = forms.CharField(label=_("Account holder"), max_length=200, required=False)
    cn_card_number = forms.CharField(
        label=_("Bank card number"), max_length=64, required=False, widget=CardNumberInput()
    )
    cn_bank = forms.ChoiceField(label=_("Bank"), required=False)
    cn_holder = forms.CharField(label=_("Account holder"), max_length=200, required=False)
    debit_card_number = forms.CharField(
        label=_("Debit card number"), max_length=64, required=False, widget=CardNumberInput()
    )
    debit_holder = forms.CharField(label=_("Name on the card"), max_length=200, required=False)
    provider = forms.ChoiceField(label=_("E-wallet"), required=False)
    account = forms.CharField(
        label=_("Email address or phone number of the e-wallet account"),
        max_length=320,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    label = forms.CharField(
        label=_("Name for this destination (optional)"),
        help_text=_("For example “Salary card”. Only you see it."),
        max_length=60,
        required=False,
    )

    field_order = [
        "kind",
        *(name for fields in KIND_FIELDS.values() for name in fields),
        "label",
        "password",
        "code",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", BLANK_CHOICE_LABEL)]
        self.fields["cn_bank"].choices = blank + [
            (code, validation.cn_bank_name(code)) for code in validation.cn_banks()
        ]
        self.fields["provider"].choices = blank + list(EWalletProvider.choices)
        self.order_fields(self.field_order)

    def kind_data(self) -> dict[str, str]:
        """What the action reads for the chosen kind, under its own names."""
        kind = self.cleaned_data.get("kind", "")
        return {key: self.cleaned_data.get(name) or "" for name, key in KIND_FIELDS.get(kind, {}).items()}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and not any(self.has_error(name) for name in KIND_FIELDS[kind]):
            try:
                destination_fields(kind=kind, data=self.kind_data())  # stores nothing
            except PayoutError as error:
                self.add_domain_error(error, kind)
        return cleaned


class RemoveForm(StepUpForm):
    pass
