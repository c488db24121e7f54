from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import Form
from okpay.core.money import country_name

from ..errors import WalletError
from .screening import recipient_account_normalise, rules


def country_choices():
    names = {code: country_name(code) for code in rules()["countries"]}
    codes = sorted(names, key=lambda c: names[c])
    return [(code, f"{names[code]} ({code})") for code in codes]


def target_currency_choices():
    from ..fx import latest_rate_set

    rate_set = latest_rate_set()
    codes = set(rate_set.rates.values_list("currency", flat=True)) if rate_set else set()
    codes.add("EUR")
    return [(c, c) for c in sorted(codes)]


class QuoteForm(Form):
    from_currency = forms.ChoiceField(label=_("You send in"))
    amount = forms.CharField(
        label=_("Amount you send"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    recipient_country = forms.ChoiceField(label=_("Recipient's country"))
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
        self.fields["recipient_country"].choices = country_choices()
        self.fields["to_currency"].choices = target_currency_choices()

    def clean_recipient_account(self):
        try:
            return recipient_account_normalise(self.cleaned_data["recipient_account"])
        except WalletError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_currency") and cleaned.get("from_currency") == cleaned.get("to_currency"):
            self.add_error(
                "to_currency",
                _("Choose a different currency for the recipient: this is not an international transfer."),
            )
        return cleaned
