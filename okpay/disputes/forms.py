"""The disputes' forms. They parse and offer choices; the rules themselves (windows, amounts, who may,
evidence limits) are the actions', whose refusals the views show on the form."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import Form
from okpay.core.uploads import KINDS
from okpay.wallet.forms import AmountCurrencyMixin, AmountField

from . import policy
from .choices import EvidenceKind, Outcome, Reason


def accepted_extensions() -> str:
    return ",".join(e for kind in policy.evidence_rules()["kinds"] for e in KINDS[kind].extensions)


def _files_help_text() -> str:
    return gettext(
        "Screenshots, chat records, receipts, proof of delivery or refund: "
        "jpg, png, gif, webp, pdf or txt; "
        "up to %(count)d files at a time, %(size)d MB each."
    ) % {
        "count": policy.evidence_rules()["max_files_per_submission"],
        "size": policy.evidence_rules()["max_bytes_per_file"] // (1024 * 1024),
    }


# evaluated when shown, in the page's language (fields are built once, when the module is imported)
files_help_text = lazy(_files_help_text, str)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files; each is checked (type by content, size, count, the dispute's total) by the action."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Files"))
        kwargs.setdefault("help_text", files_help_text())
        super().__init__(widget=MultipleFileInput(attrs={"accept": accepted_extensions()}), **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class ContactForm(Form):
    body = forms.CharField(
        label=_("Your message to the merchant"),
        max_length=policy.rules()["message_max_chars"],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what went wrong and what you would like: a refund, a replacement, a delivery date."),
    )
    attachments = FilesField()


class MessageForm(Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=policy.rules()["message_max_chars"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = FilesField()


class OpenForm(AmountCurrencyMixin, Form):
    reason = forms.ChoiceField(label=_("What went wrong"), choices=Reason.choices, widget=forms.RadioSelect)
    amount = AmountField(label=_("Amount to dispute"))
    description = forms.CharField(
        label=_("What happened"),
        max_length=policy.rules()["description_max_chars"],
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = FilesField(label=_("Evidence"))
    secure_account = forms.BooleanField(
        required=False,
        label=_("If you did not make this payment: also sign me out of every other session now"),
    )

    def __init__(self, *args, currency: str, **kwargs):
        self.fixed_currency = currency
        super().__init__(*args, **kwargs)


class EvidenceForm(Form):
    kind = forms.ChoiceField(label=_("What the files show"), choices=EvidenceKind.choices)
    attachments = FilesField(required=True)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=policy.evidence_rules()["note_max_chars"],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefuseForm(Form):
    body = forms.CharField(
        label=_("Why you cannot do what the customer asks"),
        max_length=policy.rules()["message_max_chars"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RespondForm(Form):
    ACCEPT, CONTEST = "accept", "contest"
    decision = forms.ChoiceField(
        label=_("Your response"),
        choices=[
            (ACCEPT, _("Accept: refund the disputed amount to the customer")),
            (CONTEST, _("Contest: OKPay reviews both sides' evidence")),
        ],
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("Your statement"),
        required=False,
        max_length=policy.rules()["description_max_chars"],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = FilesField(label=_("Evidence"))


class AppealForm(Form):
    reason = forms.CharField(
        label=_("Why the decision should change"),
        max_length=policy.rules()["description_max_chars"],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = FilesField(label=_("New evidence"), required=True)


class WithdrawForm(Form):
    reason = forms.CharField(
        label=_("Why (optional)"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(AmountCurrencyMixin, Form):
    """OKPay's decision (the console)."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices, widget=forms.RadioSelect)
    amount = AmountField(label=_("Partial refund amount"), required=False)
    note_customer = forms.CharField(
        label=_("Reason, written for the customer"),
        max_length=policy.rules()["decision_note_max_chars"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_merchant = forms.CharField(
        label=_("Reason, written for the merchant"),
        max_length=policy.rules()["decision_note_max_chars"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, currency: str, **kwargs):
        self.fixed_currency = currency
        super().__init__(*args, **kwargs)

    def clean_amount(self):
        """Only a partial refund has an amount: an empty field is no amount (None), not a bad one."""
        return self.cleaned_data.get("amount") or None
