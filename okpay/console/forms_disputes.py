"""The console's dispute forms: the look-up of every dispute and the internal note. The decision is
okpay.disputes.forms.DecisionForm."""

from django import forms
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import Form
from okpay.disputes import policy
from okpay.disputes.choices import DisputeStatus

MAX_ID = 2**62  # a page cursor beyond any id is ignored, never a database error


class LookupForm(Form):
    q = forms.CharField(
        label=_("Dispute number or email"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "placeholder": "D-…"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *DisputeStatus.choices]
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def lookup(self) -> dict:
        """The look-up's arguments; an invalid value is left out (the list shows every dispute)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "status": data.get("status") or "",
            "before": data.get("before"),
        }


class NoteForm(Form):
    body = forms.CharField(
        label=_("Internal note"),
        help_text=_("Only OKPay staff see internal notes; neither the customer nor the merchant ever does."),
        max_length=policy.rules()["message_max_chars"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
