from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from okpay.core.errors import DomainError
from okpay.core.forms import BLANK_CHOICE_LABEL, Form
from okpay.core.money import countries_sorted

from ..money import parse_amount
from .screening import (
    destination_countries,
    destination_country,
    full_details_from_eur,
    full_details_required,
    recipient_account_normalise,
)

ADDRESS_FIELDS = ("recipient_address", "sender_address")
# the label says from which amount; the error says what to do
ADDRESS_REQUIRED = {
    "recipient_address": _("Enter the recipient's address: this amount needs it."),
    "sender_address": _("Enter your address: this amount needs it."),
}


def country_choices(language: str | None = None):
    """The destinations a customer may choose (supported, not sanctioned: screening's rule), by
    their CLDR name, in the order the language sorts (pinyin for Chinese)."""
    return [(code, f"{name} ({code})") for code, name in countries_sorted(destination_countries(), language)]


def target_currency_choices():
    from ..fx import latest_rate_set

    rate_set = latest_rate_set()
    codes = set(rate_set.rates.values_list("currency", flat=True)) if rate_set else set()
    codes.add("EUR")
    return [(c, c) for c in sorted(codes)]


def eur_equivalent(amount_minor: int, currency: str) -> int | None:
    """The amount in EUR minor units at the newest reference rates (None: no rates for it)."""
    from ..fx import eur_equivalent_minor, latest_rate_set

    rate_set = latest_rate_set()
    if rate_set is None:
        return None
    try:
        return eur_equivalent_minor(rate_set, amount_minor, currency)
    except (DomainError, LookupError, ArithmeticError):
        return None


def per_eur_rates() -> dict[str, str]:
    """{wallet currency: units per EUR} of the newest rates, for the form's script (which shows the
    address fields as the amount crosses the threshold; the server decides)."""
    from ..fx import latest_rate_set

    rate_set = latest_rate_set()
    rates = {"EUR": "1"}
    if rate_set is not None:
        for currency, per_eur in rate_set.rates.filter(
            currency__in=settings.OKPAY_WALLET_CURRENCIES
        ).values_list("currency", "per_eur"):
            rates[currency] = str(per_eur)
    return rates


class QuoteForm(Form):
    from_currency = forms.ChoiceField(label=_("You send in"))
    amount = forms.CharField(
        label=_("Amount you send"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    # a CharField with a select: a posted code outside the list gets screening's own message
    # (sanctions or unsupported), not a generic "valid choice" one
    recipient_country = forms.CharField(label=_("Recipient's country"), widget=forms.Select)
    to_currency = forms.ChoiceField(label=_("Recipient gets"))
    recipient_name = forms.CharField(label=_("Recipient's full name"), max_length=140)
    recipient_account = forms.CharField(label=_("Recipient's IBAN or account number"), max_length=40)
    recipient_address = forms.CharField(
        label=_("Recipient's address (needed from 1,000 EUR)"), max_length=200, required=False
    )
    sender_address = forms.CharField(
        label=_("Your address (needed from 1,000 EUR)"), max_length=200, required=False
    )
    purpose = forms.CharField(label=_("Purpose (optional)"), max_length=140, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_currency"].choices = [(c, c) for c in settings.OKPAY_WALLET_CURRENCIES]
        # no country is preselected: the customer picks one (a refused one is not shown as another)
        self.fields["recipient_country"].widget.choices = [("", BLANK_CHOICE_LABEL), *country_choices()]
        self.fields["to_currency"].choices = target_currency_choices()
        self.fields["amount"].widget.attrs["data-full-details-from-eur"] = full_details_from_eur()
        for name in ADDRESS_FIELDS:
            self.fields[name].widget.attrs["data-address"] = ""

    def clean_recipient_country(self):
        try:
            return destination_country(self.cleaned_data["recipient_country"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean_recipient_account(self):
        try:
            return recipient_account_normalise(self.cleaned_data["recipient_account"])
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_currency") and cleaned.get("from_currency") == cleaned.get("to_currency"):
            self.add_error(
                "to_currency",
                _("Choose a different currency for the recipient: this is not an international transfer."),
            )
        currency = cleaned.get("from_currency")
        if currency and "amount" in cleaned:
            try:
                cleaned["amount_minor"] = parse_amount(cleaned["amount"], currency)
            except DomainError as error:
                self.add_error("amount", error.message)
        if self.addresses_needed:
            for name, message in ADDRESS_REQUIRED.items():
                if name in cleaned and not cleaned[name].strip():
                    self.add_error(name, message)
        return cleaned

    @property
    def addresses_needed(self) -> bool:
        """Whether the amount (at the newest rates) needs both addresses: screening's threshold."""
        cleaned = getattr(self, "cleaned_data", {})
        if "amount_minor" not in cleaned:
            return False
        eur = eur_equivalent(cleaned["amount_minor"], cleaned["from_currency"])
        return eur is not None and full_details_required(eur)

    @property
    def show_addresses(self) -> bool:
        """The address fields are on the page (not hidden) when the amount needs them or they hold
        something — the page without a script shows them after the server asked for them."""
        if self.addresses_needed or any(self[name].errors for name in ADDRESS_FIELDS):
            return True
        if not self.is_bound and self.initial.get("amount"):  # "change the details": as it was
            try:
                amount = parse_amount(self.initial["amount"], self.initial.get("from_currency", ""))
            except DomainError:
                amount = None
            eur = eur_equivalent(amount, self.initial["from_currency"]) if amount else None
            if eur is not None and full_details_required(eur):
                return True
        return any(str(self[name].value() or "").strip() for name in ADDRESS_FIELDS)
