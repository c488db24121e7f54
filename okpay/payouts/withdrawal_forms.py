"""The withdrawal form (资金转出): the balance's currency, the amount that should arrive (the fee comes on
top), one of the customer's destinations and the speed. Amounts are parsed by the wallet's own rules;
the checks themselves are the withdrawal actions' (`withdrawal_quote`, `withdrawal_submit`), whose
refusals `add_refusal` shows next to the field they are about."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from okpay.core.forms import Form
from okpay.wallet.forms import AmountCurrencyMixin, AmountField, CurrencyField

from . import policy, selectors
from .choices import Method, Speed
from .models import PayoutDestination

# a refusal's code → the field it is about (None: above the form)
REFUSAL_FIELDS: dict[str, str] = {
    "amount_invalid": "amount",
    "amount_too_small": "amount",
    "insufficient_funds": "amount",
    "limit": "amount",
    "cooling_off": "destination",
    "destination_not_found": "destination",
    "speed_unavailable": "speed",
    "currency_invalid": "currency",
    "unsupported_currency": "currency",
}
SPEED_UNAVAILABLE = _("This destination has no such speed. Choose standard.")


def destination_choice_label(destination: PayoutDestination) -> str:
    parts = [f"{destination.get_kind_display()} {destination.masked}"]
    institution = selectors.institution_name(destination)
    if institution:
        parts.append(institution)
    if destination.label:
        parts.append(destination.label)
    return " · ".join(parts)


class WithdrawForm(AmountCurrencyMixin, Form):
    currency = CurrencyField(label=_("From your balance in"))
    amount = AmountField(
        label=_("Amount to receive"),
        help_text=_("The fee is added on top and taken from the same balance."),
    )
    destination = forms.TypedChoiceField(
        label=pgettext_lazy("withdrawal destination", "To"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one of your payout destinations."),
            "invalid_choice": _("Choose one of your payout destinations."),
        },
    )
    speed = forms.ChoiceField(
        label=_("Speed"),
        widget=forms.RadioSelect,
        initial=Speed.STANDARD,
        error_messages={"invalid_choice": SPEED_UNAVAILABLE},
    )
    field_order = ["currency", "amount", "destination", "speed"]

    def __init__(self, *args, destinations: list[PayoutDestination], **kwargs):
        super().__init__(*args, **kwargs)
        destination = cast(forms.TypedChoiceField, self.fields["destination"])
        destination.choices = [(d.pk, destination_choice_label(d)) for d in destinations]
        speed = cast(forms.ChoiceField, self.fields["speed"])
        offered = {value for d in destinations for value in policy.speeds_for(d.kind)} or {Speed.STANDARD}
        speed.choices = [(value, label) for value, label in Speed.choices if value in offered]
        if Speed.INSTANT in offered:
            minutes = policy.rules()["methods"][Method.CARD_INSTANT]["arrival"]["minutes"]
            speed.help_text = _(
                "Instant is for debit cards only: it arrives within %(minutes)s minutes, at a higher fee. "
                "You see the fee before you confirm."
            ) % {"minutes": minutes}
        if len(destinations) == 1:
            destination.initial = destinations[0].pk

    def add_refusal(self, error) -> None:
        """Show an action's refusal (a DomainError) next to its field, or above the form."""
        field = REFUSAL_FIELDS.get(error.code)
        self.add_error(field if field in self.fields else None, str(error.message))
