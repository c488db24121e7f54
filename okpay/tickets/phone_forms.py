"""Forms of the phone pages: a customer's callback request, an agent's callback outcome and call log."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from okpay.core.forms import Form

from . import phone
from .choices import CallDirection, CallOutcome, TicketTopic


class CallbackForm(Form):
    """The slot is posted as its start in ISO 8601 (the offered ones are listed in the customer's
    time zone); phone.slot_check says why any other time is refused."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your email"), help_text=_("We send the question's number here."))
    phone = forms.CharField(
        label=_("Phone number to call"),
        max_length=40,
        help_text=_("Mainland China numbers without a country code; others with it, e.g. +852 9123 4567."),
    )
    slot = forms.CharField(label=_("When should we call?"), max_length=40)
    topic = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose a topic")), *TicketTopic.choices],
        error_messages={"required": _("Choose what your question is about.")},
    )
    note = forms.CharField(
        label=_("Anything we should know before calling? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, signed_in: bool = False, slots=(), zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:  # the account's own name and address are used
            del self.fields["name"]
            del self.fields["email"]
        self.fields["slot"].widget = forms.Select(
            choices=[("", _("Choose a time"))]
            + [(start.isoformat(), phone.slot_label(start, end, zone)) for start, end in slots]
        )

    def clean_phone(self):
        try:
            return phone.phone_number_clean(self.cleaned_data["phone"])
        except phone.CallbackRefused as error:
            raise ValidationError(error.message) from None

    def clean_slot(self):
        raw = self.cleaned_data["slot"].strip()
        try:
            start = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError(_("Please choose one of the times offered.")) from None
        if start.tzinfo is None:
            raise ValidationError(_("Please choose one of the times offered."))
        try:
            phone.slot_check(start)
        except phone.CallbackRefused as error:
            raise ValidationError(error.message) from None
        return start


class CallbackOutcomeForm(Form):
    outcome = forms.ChoiceField(label=_("What happened?"), choices=CallOutcome.choices)
    note = forms.CharField(label=_("Note (internal)"), max_length=1000, required=False)


class CallDetailsForm(Form):
    """Direction and duration of a call logged as a new question (what was said is its first message)."""

    direction = forms.ChoiceField(label=_("Direction"), choices=CallDirection.choices)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, max_value=360)


class CallLogForm(CallDetailsForm):
    """A call logged on an existing question."""

    summary = forms.CharField(
        label=_("What was said"), max_length=5000, min_length=3, widget=forms.Textarea(attrs={"rows": 5})
    )
