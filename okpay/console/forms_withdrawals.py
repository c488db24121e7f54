"""The withdrawal queue's filters and the operators' forms (console/withdrawals)."""

import unicodedata
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import Form
from okpay.payouts.choices import Method, WithdrawalStatus
from okpay.payouts.selectors_staff import QueueFilters
from okpay.wallet.forms import currency_choices
from okpay.wallet.money import AMOUNT_RE

STATUS_CHOICES = [
    ("open", _("Open (to review, to send, processing)")),
    ("all", _("All statuses")),
    *WithdrawalStatus.choices,
]
AGE_CHOICES = [
    ("", _("Any age")),
    ("1h", _("Waiting 1 hour or more")),
    ("24h", _("Waiting 24 hours or more")),
    ("3d", _("Waiting 3 days or more")),
    ("7d", _("Waiting 7 days or more")),
]
SORT_CHOICES = [("oldest", _("Oldest first")), ("newest", _("Newest first"))]


def _amount(text: str) -> Decimal | None:
    """An amount in plain decimal notation (after NFKC: full-width digits are read), or None."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return None
    if len(raw) > 24 or not AMOUNT_RE.fullmatch(raw):
        raise forms.ValidationError(_("Enter the amount as a number, e.g. 100.50."), code="amount")
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - AMOUNT_RE admits only numbers
        raise forms.ValidationError(_("Enter the amount as a number, e.g. 100.50."), code="amount") from None


class WithdrawalQueueForm(Form):
    """GET filters of the queue; an invalid value is dropped (the page says which)."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("All methods")), *Method.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    amount_min = forms.CharField(label=_("Amount from"), required=False, max_length=40)
    amount_max = forms.CharField(label=_("Amount up to"), required=False, max_length=40)
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("All currencies")), *currency_choices()]
        for name in ("amount_min", "amount_max"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean_amount_min(self) -> Decimal | None:
        return _amount(self.cleaned_data.get("amount_min", ""))

    def clean_amount_max(self) -> Decimal | None:
        return _amount(self.cleaned_data.get("amount_max", ""))

    def queue_filters(self) -> tuple[QueueFilters, list[str]]:
        """(the filters, labels of the fields whose values were ignored)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        ignored = [str(self.fields[name].label) for name in self.errors if name in self.fields]
        return (
            QueueFilters(
                status=data.get("status") or "open",
                method=data.get("method") or "",
                currency=data.get("currency") or "",
                amount_min=data.get("amount_min"),
                amount_max=data.get("amount_max"),
                age=data.get("age") or "",
                sort=data.get("sort") or "oldest",
            ),
            ignored,
        )


class BatchExportForm(Form):
    """What goes into a payout batch: every requested withdrawal of the manual provider, or one
    method's or currency's."""

    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("All methods")), *Method.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "export-%s")
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("All currencies")), *currency_choices()]
