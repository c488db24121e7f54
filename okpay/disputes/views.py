"""The customer's and the merchant's pages of a dispute. Thin: parse a form, call one action, show its
refusal on the form. Another user's dispute or payment answers 404; internal notes are never read here.

Customer (My Account → a payment → "Contact the merchant" / "Open a dispute"):
  contact/<payment>/   first message to the merchant (or the dispute, if one exists)
  open/<payment>/      the dispute form (after the merchant conversation, or at once if unauthorised)
  <number>/            conversation, evidence, timeline, next deadline; message, files, withdraw, appeal
Merchant (Merchant area → Disputes): the list (waiting for you first) and each dispute: answer or
decline the customer's request, accept or contest the dispute with evidence, appeal.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.core.money import to_major
from okpay.core.uploads import UploadLimitHandler, image_reencode, request_content_length, size_text
from okpay.wallet.models import Payment
from okpay.wallet.selectors import payment_id_of

from . import actions, forms, policy, selectors, timeline
from .choices import FINISHED_STATUSES, RESOLVED_STATUSES, DeadlineKind, DisputeStatus, Party, Reason


def upload_cap() -> int:
    """The largest body a dispute form may send: a full submission of files plus the text fields."""
    rules = policy.evidence_rules()
    return rules["max_files_per_submission"] * rules["max_bytes_per_file"] + 1024 * 1024


def uploads_limited(view):
    """Before the body is read: a body over `upload_cap()` is refused (413, nothing saved; under ASGI
    not even received, okpay.core.uploads.RequestBodyLimit), and each file is dropped as soon as it
    passes the per-file limit (the action then refuses the submission). CSRF is checked after the
    upload handlers are set, as Django's documentation describes."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            rules = policy.evidence_rules()
            if request_content_length(request) > upload_cap():
                return render(
                    request,
                    "disputes/too_large.html",
                    {
                        "count": rules["max_files_per_submission"],
                        "size": size_text(rules["max_bytes_per_file"]),
                        "back_url": request.path,
                    },
                    status=413,
                )
            handler = UploadLimitHandler(
                max_bytes=rules["max_bytes_per_file"],
                max_files=rules["max_files_per_submission"],
                request=request,
            )
            request.upload_handlers.insert(0, handler)
            request.upload_refused = handler.refused
        return protected(request, *args, **kwargs)

    wrapped = csrf_exempt(wrapped)
    wrapped.okpay_body_limit = upload_cap  # read by RequestBodyLimit
    return wrapped


def _upload_refusal(request, form) -> bool:
    """Whether the upload handler dropped a file; the form then says why (nothing is saved)."""
    refused: set[str] = getattr(request, "upload_refused", set())
    if not refused:
        return False
    rules = policy.evidence_rules()
    if "too_many" in refused:
        form.add_error(
            None,
            _("Attach at most %(count)d files at a time.") % {"count": rules["max_files_per_submission"]},
        )
    else:
        form.add_error(
            None,
            _("The file is too large: the limit is %(limit)s.")
            % {"limit": size_text(rules["max_bytes_per_file"])},
        )
    return True


def _me(user):
    """The user row itself (request.user is a lazy proxy; actions compare and lock real rows)."""
    return get_user_model().objects.get(pk=user.pk)


def _refused(form, error: DomainError, field: str | None = None) -> None:
    form.add_error(field, error.message)


def _payment_of(user, payment_id: int) -> Payment:
    payment = Payment.objects.select_related("merchant").filter(pk=payment_id, customer=user).first()
    if payment is None:
        raise Http404
    return payment


def next_deadline_of(dispute) -> tuple[DeadlineKind, object] | None:
    """(kind, when) of the dispute's current deadline, or None (the pages and the API show it)."""
    status = dispute.status
    if status == DisputeStatus.MERCHANT_CONTACT and dispute.merchant_refused_at is None:
        return (DeadlineKind.MERCHANT_ANSWER, dispute.merchant_answer_due_at)
    if status == DisputeStatus.OPEN:
        return (DeadlineKind.MERCHANT_RESPONSE, dispute.response_due_at)
    if status in (DisputeStatus.MERCHANT_RESPONDED, DisputeStatus.UNDER_REVIEW, DisputeStatus.APPEALED):
        return (DeadlineKind.REVIEW, dispute.review_due_at)
    if status in RESOLVED_STATUSES and dispute.decided_by_id and not dispute.appealed_by:
        return (DeadlineKind.APPEAL_WINDOW, dispute.appeal_until)
    return None


def next_deadline(dispute, party: str) -> tuple[object, object] | None:
    """(what, when) of the next date that matters to this party, or None."""
    found = next_deadline_of(dispute)
    return (found[0].label, found[1]) if found else None


def _page_context(request, dispute, party: str) -> dict:
    targets = actions.dispute_transition_targets(dispute=dispute, actor=request.user)
    may_appeal = (
        DisputeStatus.APPEALED in targets
        and dispute.decided_by_id is not None
        and not dispute.appealed_by
        and dispute.appeal_until is not None
        and timezone.now() <= dispute.appeal_until
    )
    window = selectors.timeline_window(dispute, show_all=request.GET.get("timeline") == "all")
    return {
        "dispute": dispute,
        "party": party,
        "payment": dispute.payment,
        "timeline": timeline.timeline(dispute, window.events, party=party),
        "timeline_hidden": window.hidden,
        "timeline_gap_at": window.gap_at,
        "conversation": selectors.messages_for(dispute),
        "evidence": selectors.evidence_for(dispute),
        "next_deadline": next_deadline(dispute, party),
        "is_finished": dispute.status in FINISHED_STATUSES,
        "may_open": party == Party.CUSTOMER and actions.may_open(dispute),
        "may_withdraw": DisputeStatus.WITHDRAWN in targets,
        "may_appeal": may_appeal,
        "may_refuse": party == Party.MERCHANT
        and dispute.status == DisputeStatus.MERCHANT_CONTACT
        and dispute.merchant_refused_at is None,
        "may_respond": party == Party.MERCHANT and dispute.status == DisputeStatus.OPEN,
        "may_accept": party == Party.MERCHANT and DisputeStatus.RESOLVED_CUSTOMER in targets,
        "message_form": forms.MessageForm(),
        "evidence_form": forms.EvidenceForm(),
        "appeal_form": forms.AppealForm(),
        "withdraw_form": forms.WithdrawForm(),
        "refuse_form": forms.RefuseForm(),
        "respond_form": forms.RespondForm(),
        "policy": policy.rules(),
        "post_name": "merchant_disputes:post" if party == Party.MERCHANT else "disputes:post",
        "list_url": reverse("merchant_disputes:list" if party == Party.MERCHANT else "disputes:list"),
    }


def _detail(request, dispute, party: str, *, forms_override: dict | None = None, status: int = 200):
    context = _page_context(request, dispute, party)
    context.update(forms_override or {})
    return render(request, "disputes/dispute_detail.html", context, status=status)


# --- customer ---------------------------------------------------------------------------------------


@never_cache
@permission_required(roles.is_wallet_holder)
def dispute_list(request):
    return render(
        request,
        "disputes/dispute_list.html",
        {"disputes": selectors.disputes_of_customer(user=request.user)[:100]},
    )


@never_cache
@uploads_limited
@permission_required(roles.is_wallet_holder)
def contact(request, payment_id: int):
    payment = _payment_of(request.user, payment_id)
    existing = selectors.dispute_for_payment(payment_id=payment.pk, user=request.user)
    if existing is not None:
        return redirect("disputes:detail", number=existing.number)
    form = forms.ContactForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not _upload_refusal(request, form) and form.is_valid():
        try:
            dispute = actions.dispute_contact_start(
                customer=_me(request.user),
                payment_id=payment.pk,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except DomainError as error:
            _refused(form, error, "attachments" if error.code == "bad_file" else None)
        else:
            messages.success(request, _("Your message was sent to the merchant."))
            return redirect("disputes:detail", number=dispute.number)
    return render(
        request,
        "disputes/contact.html",
        {
            "form": form,
            "payment": payment,
            "policy": policy.rules(),
            "filing_until": policy.filing_deadline(payment.created_at),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@uploads_limited
@permission_required(roles.is_wallet_holder)
def dispute_open(request, payment_id: int):
    payment = _payment_of(request.user, payment_id)
    existing = selectors.dispute_for_payment(payment_id=payment.pk, user=request.user)
    if existing is not None and existing.status != DisputeStatus.MERCHANT_CONTACT:
        return redirect("disputes:detail", number=existing.number)
    initial = {"amount": to_major(payment.refundable_minor, payment.currency)}
    if request.GET.get("reason") in Reason.values:
        initial["reason"] = request.GET["reason"]
    form = forms.OpenForm(
        request.POST or None, request.FILES or None, currency=payment.currency, initial=initial
    )
    if request.method == "POST" and not _upload_refusal(request, form) and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = actions.dispute_open(
                customer=_me(request.user),
                payment_id=payment.pk,
                reason=data["reason"],
                amount_minor=data["amount_minor"],
                description=data["description"],
                files=data["attachments"],
            )
        except DomainError as error:
            field = {"amount_too_large": "amount", "invalid_amount": "amount", "bad_file": "attachments"}.get(
                error.code
            )
            _refused(form, error, field)
        else:
            if data["reason"] == Reason.UNAUTHORIZED and data.get("secure_account"):
                from okpay.accounts.sessions import sessions_end_others

                ended = sessions_end_others(request=request)
                messages.success(
                    request,
                    _(
                        "Your dispute is open. We signed you out of %(count)d other session(s); "
                        "now change your password."
                    )
                    % {"count": ended},
                )
                return redirect("accounts:password_change")
            messages.success(request, _("Your dispute is open."))
            return redirect("disputes:detail", number=dispute.number)
    return render(
        request,
        "disputes/open.html",
        {
            "form": form,
            "payment": payment,
            "dispute": existing,
            "may_open": existing is not None and actions.may_open(existing),
            "policy": policy.rules(),
            "filing_until": policy.filing_deadline(payment.created_at),
        },
        status=400 if form.errors else 200,
    )


def _dispute_or_404(request, number: str, party: str):
    dispute = selectors.dispute_for_party(number=number, user=request.user, party=party)
    if dispute is None:
        raise Http404
    return dispute


@never_cache
@permission_required(roles.is_wallet_holder)
def dispute_detail(request, number: str):
    return _detail(request, _dispute_or_404(request, number, Party.CUSTOMER), Party.CUSTOMER)


@never_cache
@permission_required(roles.is_merchant)
def merchant_list(request):
    return render(
        request,
        "disputes/merchant_list.html",
        {"disputes": selectors.disputes_of_merchant(user=request.user)[:200]},
    )


@never_cache
@permission_required(roles.is_merchant)
def merchant_detail(request, number: str):
    return _detail(request, _dispute_or_404(request, number, Party.MERCHANT), Party.MERCHANT)


# --- posts of both parties -------------------------------------------------------------------------------

FORM_OF = {
    "message": ("message_form", forms.MessageForm),
    "evidence": ("evidence_form", forms.EvidenceForm),
    "appeal": ("appeal_form", forms.AppealForm),
    "withdraw": ("withdraw_form", forms.WithdrawForm),
    "refuse": ("refuse_form", forms.RefuseForm),
    "respond": ("respond_form", forms.RespondForm),
}
MERCHANT_ONLY = {"refuse", "respond"}
CUSTOMER_ONLY = {"withdraw"}


def _act(what: str, user, dispute, data: dict):
    me = _me(user)
    if what == "message":
        return actions.dispute_message_add(
            user=me, dispute_id=dispute.pk, body=data["body"], files=data["attachments"]
        )
    if what == "evidence":
        return actions.evidence_add(
            user=me,
            dispute_id=dispute.pk,
            files=[(f, data["kind"]) for f in data["attachments"]],
            note=data["note"],
        )
    if what == "appeal":
        return actions.dispute_appeal(
            user=me, dispute_id=dispute.pk, reason=data["reason"], files=data["attachments"]
        )
    if what == "withdraw":
        return actions.dispute_withdraw(customer=me, dispute_id=dispute.pk, reason=data["reason"])
    if what == "refuse":
        return actions.dispute_merchant_refuse(merchant=me, dispute_id=dispute.pk, body=data["body"])
    if data["decision"] == forms.RespondForm.ACCEPT:
        return actions.dispute_merchant_accept(
            merchant=me, dispute_id=dispute.pk, statement=data["statement"]
        )
    return actions.dispute_merchant_contest(
        merchant=me, dispute_id=dispute.pk, statement=data["statement"], files=data["attachments"]
    )


DONE = {
    "message": _("Message sent."),
    "evidence": _("Files added."),
    "appeal": _("Your appeal was sent. Another reviewer decides."),
    "withdraw": _("You withdrew the dispute."),
    "refuse": _("Your answer was sent to the customer."),
    "respond": _("Your response was recorded."),
}


def _post(request, number: str, what: str, party: str):
    if (
        what not in FORM_OF
        or (what in MERCHANT_ONLY and party != Party.MERCHANT)
        or (what in CUSTOMER_ONLY and party != Party.CUSTOMER)
    ):
        raise Http404
    dispute = _dispute_or_404(request, number, party)
    name, form_class = FORM_OF[what]
    form = form_class(request.POST, request.FILES)
    if not _upload_refusal(request, form) and form.is_valid():
        try:
            _act(what, request.user, dispute, form.cleaned_data)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, str(DONE[what]))
            return redirect(request.path.rsplit("/", 2)[0] + "/")
    dispute.refresh_from_db()
    return _detail(request, dispute, party, forms_override={name: form, "failed_form": what}, status=400)


@require_POST
@uploads_limited
@permission_required(roles.is_wallet_holder)
def customer_post(request, number: str, what: str):
    return _post(request, number, what, Party.CUSTOMER)


@require_POST
@uploads_limited
@permission_required(roles.is_merchant)
def merchant_post(request, number: str, what: str):
    return _post(request, number, what, Party.MERCHANT)


# --- files -----------------------------------------------------------------------------------------------


@never_cache
def evidence_file(request, evidence_id: int):
    """A file for its dispute's customer, merchant and staff, always as a download; images may be
    shown inline (`?inline=1`) after re-encoding (only pixels reach the browser)."""
    item = selectors.evidence_for_viewer(evidence_id=evidence_id, user=request.user)
    if item is None:
        raise Http404
    if request.GET.get("inline") == "1" and item.is_image:
        with item.file.open("rb") as handle:
            try:
                image = image_reencode(handle)
            except Exception:  # an unreadable image is shown as a download link instead
                raise Http404 from None
        response: HttpResponse | FileResponse = HttpResponse(image.read(), content_type="image/jpeg")
        response["Content-Disposition"] = "inline"
    else:
        response = FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.original_name,
            content_type=item.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def payment_dispute_links(row, user) -> list[tuple[str, str]]:
    """The transaction page's links for a payment (wallet's TRANSACTION_ACTIONS hook)."""
    payment_id = payment_id_of(row)
    if payment_id is None or row.user_id != user.pk:
        return []
    existing = selectors.dispute_for_payment(payment_id=payment_id, user=user)
    if existing is not None:
        return [
            (
                _("See your dispute %(number)s") % {"number": existing.number},
                reverse("disputes:detail", args=[existing.number]),
            )
        ]
    return [
        (_("Contact the merchant"), reverse("disputes:contact", args=[payment_id])),
        (
            _("Report an unauthorised payment"),
            reverse("disputes:open", args=[payment_id]) + "?reason=unauthorized",
        ),
    ]
