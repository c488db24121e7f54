"""Wallet forms. Amounts are typed as text and parsed into integer minor units with the wallet's own
rules (`parse_amount`), so every refusal carries the same translated message as the API's."""

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.core.forms import Form

from . import selectors
from .choices import TransactionKind, TransactionStatus
from .errors import WalletError
from .money import parse_amount, payment_amount_check, supported_currency


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.OKPAY_WALLET_CURRENCIES]


class IdempotentForm(Form):
    """A money-moving form: a one-time key is generated when the form is first shown and travels
    with every re-submission, so a double click cannot move money twice."""

    idempotency_key = forms.CharField(
        max_length=255,
        widget=forms.HiddenInput,
        initial=new_idempotency_key,
        error_messages={"required": _("This form has expired. Please start again.")},
    )

    def clean(self):
        cleaned = super().clean()
        if "idempotency_key" in self._errors:  # a hidden field: say it above the form
            self.add_error(None, self._errors.pop("idempotency_key"))
        return cleaned


class AmountField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Amount"))
        kwargs.setdefault("max_length", 40)
        attrs = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
        super().__init__(widget=forms.TextInput(attrs=attrs), **kwargs)


class CurrencyField(forms.CharField):
    """A select of the wallet currencies; a tampered value gets the wallet's own message."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Currency"))
        super().__init__(max_length=10, widget=forms.Select(choices=currency_choices()), **kwargs)


class AmountCurrencyMixin:
    """clean(): currency → supported_currency, amount → cleaned_data["amount_minor"]; forms for
    payments also apply the payment minimum (`is_payment`), the same check the action makes."""

    fixed_currency: str | None = None
    is_payment = False

    def clean_currency(self):
        try:
            return supported_currency(self.cleaned_data["currency"])
        except WalletError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean(self):
        cleaned = super().clean()
        currency = self.fixed_currency or cleaned.get("currency")
        if currency and cleaned.get("amount") is not None and "amount" not in self.errors:
            try:
                cleaned["amount_minor"] = parse_amount(cleaned["amount"], currency)
                if self.is_payment:
                    payment_amount_check(cleaned["amount_minor"], currency)
            except WalletError as error:
                self.add_error("amount", forms.ValidationError(error.message, code=error.code))
            except ArithmeticError:  # e.g. "1e999999999": decimal.Overflow inside parse_amount
                self.add_error(
                    "amount", forms.ValidationError(_("The amount is too large."), code="amount_too_large")
                )
        return cleaned


class TopupForm(AmountCurrencyMixin, IdempotentForm):
    amount = AmountField()
    currency = CurrencyField()
    field_order = ["amount", "currency"]


class PaymentForm(AmountCurrencyMixin, IdempotentForm):
    is_payment = True
    merchant = forms.ModelChoiceField(
        label=_("Merchant"),
        queryset=selectors.merchants(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a merchant from the list.")},
    )
    amount = AmountField()
    currency = CurrencyField()
    description = forms.CharField(
        label=_("What are you paying for?"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["merchant", "amount", "currency", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].label_from_instance = lambda user: user.display_name


class ConfirmForm(IdempotentForm):
    """Only the key: what is paid is fixed by the payment link."""


class RefundForm(AmountCurrencyMixin, IdempotentForm):
    amount = AmountField(label=_("Amount to refund"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["amount", "reason"]

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_currency = currency


class PaymentLinkForm(AmountCurrencyMixin, Form):
    is_payment = True
    amount = AmountField()
    currency = CurrencyField()
    description = forms.CharField(
        label=_("Description"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class TransactionFilterForm(Form):
    """GET filters of the history. Invalid values are dropped one by one (the view says which)."""

    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *TransactionKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *TransactionStatus.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("All currencies")), *currency_choices()]

    def valid_filters(self) -> tuple[dict, list[str]]:
        """(filters for selectors.transactions_for_user, labels of the fields that were ignored)."""
        self.is_valid()
        filters = {
            name: self.cleaned_data[name]
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name)
        }
        ignored = [str(self.fields[name].label) for name in self.errors if name in self.fields]
        return filters, ignored
