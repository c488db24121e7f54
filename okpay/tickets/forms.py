from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from okpay.accounts.choices import Language
from okpay.core.forms import Form
from okpay.core.uploads import KINDS, size_text, upload_check

from .choices import Satisfaction, TicketPriority, TicketStatus, TicketTopic

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ATTACHMENT_KINDS = {"jpeg", "png", "pdf", "txt"}
ATTACHMENT_MAX_COUNT = 3


def attachment_extensions() -> list[str]:
    """The file name endings the upload rules accept (questions and chats), for `accept=` and messages."""
    from okpay.core.uploads import KINDS

    return sorted(e for kind in ATTACHMENT_KINDS for e in KINDS[kind].extensions)


def attachment_max_bytes() -> int:
    """The size limit of one attachment (setting OKPAY_TICKET_ATTACHMENT_MAX_BYTES)."""
    return settings.OKPAY_TICKET_ATTACHMENT_MAX_BYTES


def upload_refusal_text(reason: str) -> str:
    """What the upload handler's refusal ("too_large" / "too_many") means, for the form."""
    if reason == "too_many":
        return gettext("Attach at most %(count)d files.") % {"count": ATTACHMENT_MAX_COUNT}
    return gettext("The file is too large: the limit is %(limit)s.") % {
        "limit": size_text(attachment_max_bytes())
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to three screenshots or documents, each checked by extension and by content."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,.txt"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > ATTACHMENT_MAX_COUNT:
            raise ValidationError(
                _("Attach at most %(count)d files.") % {"count": ATTACHMENT_MAX_COUNT}, code="too_many"
            )
        for upload in files:
            super().clean(upload, initial)
            kind = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())
            upload.okpay_content_type = KINDS[kind].content_type
        return files


class BodyMixin(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"min_length": _("Please tell us a little more (at least 10 characters).")},
    )
    attachments = AttachmentsField(label=_("Screenshots or documents (optional)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = gettext(
            "Up to %(count)d files: JPG, PNG, PDF or TXT, %(size)s each. "
            "Never send your password, full card number or verification codes."
        ) % {"count": ATTACHMENT_MAX_COUNT, "size": size_text(attachment_max_bytes())}

    def upload_refused(self, reasons) -> None:
        """The upload handler dropped files while the request was read: say why."""
        for reason in sorted(reasons):
            self.add_error("attachments", upload_refusal_text(reason))

    def clean_body(self):
        return self.cleaned_data["body"].strip()


class TicketForm(BodyMixin, Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your email"), help_text=_("We reply to this address."))
    topic = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose a topic")), *TicketTopic.choices],
        error_messages={"required": _("Choose what your question is about.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, min_length=3)
    field_order = ["name", "email", "topic", "subject", "body", "attachments"]

    def __init__(self, *args, signed_in: bool = False, conversation_attached: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:  # the account's own name and address are used
            del self.fields["name"]
            del self.fields["email"]
        if conversation_attached:  # the conversation with the bot says it already: no "describe it again"
            body = self.fields["body"]
            body.required = False
            body.label = _("Anything to add? (optional)")
            body.help_text = _("Your conversation with the answer bot is attached to the question.")

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].split())


class ReplyForm(BodyMixin, Form):
    pass


def _status_choices(current: str | None, targets) -> "list[tuple[str, StrOrPromise]]":
    """The question's status and the moves open to the user (actions.ticket_transition_targets), in
    the statuses' order; without a question, every status a move can lead to (never back to new)."""
    if current is None:
        return [(value, label) for value, label in TicketStatus.choices if value != TicketStatus.NEW]
    offered = {current, *targets}
    return [(value, label) for value, label in TicketStatus.choices if value in offered]


class AgentReplyForm(Form):
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    internal = forms.BooleanField(label=_("Internal note (not shown to the customer)"), required=False)
    status = forms.ChoiceField(label=_("Then set the status to"), required=False)

    def __init__(self, *args, current: str | None = None, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        default = (
            _("Waiting for customer (default for replies)")
            if current is None or current == TicketStatus.PENDING or TicketStatus.PENDING in targets
            else _("Leave the status as it is")
        )
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            ("", default),
            *_status_choices(current, targets),
        ]

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write a message."), code="required")
        return body


class StatusForm(Form):
    status = forms.ChoiceField()

    def __init__(self, *args, current: str | None = None, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = _status_choices(current, targets)


class PriorityForm(Form):
    priority = forms.ChoiceField(choices=TicketPriority.choices)


class RatingForm(Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our answer?"),
        coerce=int,
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("Anything we could do better? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MacroForm(forms.ModelForm):
    class Meta:
        from .models import Macro

        model = Macro
        fields = ["title", "body_zh", "body_en", "status_after", "is_active"]
        widgets = {"body_zh": forms.Textarea(attrs={"rows": 5}), "body_en": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"body_zh": _("{name} becomes the customer's name, {number} the question number.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Django's own blank label ("- Select an option -") has no Chinese translation yet
        self.fields["status_after"].choices = [
            ("", _("Leave the status as it is")),
            *_status_choices(None, ()),
        ]


class PhoneTicketForm(Form):
    """An agent logs a phone call as a question."""

    email = forms.EmailField(label=_("Customer's email"))
    name = forms.CharField(label=_("Customer's name"), max_length=150, required=False)
    verified = forms.BooleanField(
        label=_("Identity checked on the call (security questions passed)"),
        required=False,
        help_text=_("Only then is the question attached to the customer's account."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    topic = forms.ChoiceField(label=_("What is it about?"), choices=TicketTopic.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, min_length=3)
    body = forms.CharField(
        label=_("What the customer said"),
        max_length=5000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
