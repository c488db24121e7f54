"""The console's dispute review (交易纠纷): the queue of disputes that need OKPay (urgent first, then the
review deadline), the look-up of every dispute, and one dispute with both sides' evidence side by
side, the conversation, the payment, the merchant's dispute rate, the timeline as OKPay sees it,
internal notes, "Start review" and the decision. Staff read; roles.can_decide_disputes acts. Every
change is an okpay.disputes action; a refusal is its message on the page (4xx)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.disputes import actions, selectors, selectors_staff, timeline
from okpay.disputes.choices import DisputeStatus, Outcome, Party, Reason
from okpay.disputes.forms import DecisionForm
from okpay.disputes.models import Dispute

from .forms_disputes import LookupForm, NoteForm

PAGE_SIZE = 50
SHOW_LABELS = {
    "review": pgettext_lazy("disputes queue", "To review"),
    "mine": pgettext_lazy("disputes queue", "Mine"),
    "unassigned": pgettext_lazy("disputes queue", "Unassigned"),
    "appeals": pgettext_lazy("disputes queue", "Appeals"),
    "urgent": pgettext_lazy("disputes queue", "Urgent"),
    "every": gettext_lazy("Every dispute (look-up)"),
}


def _url(**params) -> str:
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return "?" + urlencode(params) if params else "?"


@never_cache
@permission_required(roles.is_staff)
def disputes(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "review")
    show = show if show in selectors_staff.SHOWS else "review"
    now = timezone.now()
    counts = selectors_staff.queue_counts(user=request.user, now=now)
    context: dict = {
        "show": show,
        "counts": counts,
        "tabs": [
            {"value": value, "label": SHOW_LABELS[value], "count": counts.get(value), "url": _url(show=value)}
            for value in selectors_staff.SHOWS
        ],
    }
    if show == "every":
        form = LookupForm(request.GET)
        lookup = form.lookup()
        page = selectors_staff.disputes_lookup(**lookup, limit=PAGE_SIZE)
        rows = page.rows
        context.update(
            form=form,
            first_url=_url(show=show, q=lookup["query"], status=lookup["status"]) if lookup["before"] else "",
            next_url=_url(show=show, q=lookup["query"], status=lookup["status"], before=page.next_before)
            if page.next_before
            else "",
        )
    else:
        paginator = Paginator(selectors_staff.review_queue(user=request.user, show=show), PAGE_SIZE)
        paginator.count = counts[show]  # counted already, with the tabs (one query fewer)
        paged = paginator.get_page(request.GET.get("page"))
        rows = list(paged)
        context.update(
            page=paged,
            previous_url=_url(show=show, page=paged.previous_page_number()) if paged.has_previous() else "",
            next_url=_url(show=show, page=paged.next_page_number()) if paged.has_next() else "",
        )
    statuses, reasons = dict(DisputeStatus.choices), dict(Reason.choices)
    days_between = selectors_staff.business_days_counter()
    context["rows"] = [
        (
            dispute,
            selectors_staff.review_deadline(dispute, now=now, days_between=days_between),
            statuses.get(dispute.status, ""),
            reasons.get(dispute.reason, ""),
        )
        for dispute in rows
    ]
    return render(request, "console/disputes.html", context)


def _dispute_or_404(number: str) -> Dispute:
    dispute = selectors_staff.dispute_for_staff(number=number)
    if dispute is None:
        raise Http404
    return dispute


def _me(user):
    """The user row itself (request.user is a lazy proxy; actions compare and lock real rows)."""
    return get_user_model().objects.get(pk=user.pk)


def _detail(
    request: HttpRequest,
    dispute: Dispute,
    *,
    decision_form: DecisionForm | None = None,
    note_form: NoteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    window = selectors.timeline_window(dispute, show_all=request.GET.get("timeline") == "all")
    reviewer = roles.can_decide_disputes(user)
    appealed = dispute.status == DisputeStatus.APPEALED
    first_reviewer = appealed and dispute.decided_by_id == user.pk
    context = {
        "dispute": dispute,
        "payment": dispute.payment,
        "deadline": selectors_staff.review_deadline(dispute),
        "evidence": selectors_staff.evidence_by_party(dispute),
        "statements": selectors_staff.statements_by_party(dispute),
        "conversation": selectors.messages_for(dispute),
        "timeline": timeline.timeline(dispute, window.events, party=Party.OKPAY),
        "timeline_hidden": window.hidden,
        "timeline_gap_at": window.gap_at,
        "notes": selectors_staff.internal_notes(dispute),
        "rate": selectors_staff.merchant_dispute_rate(merchant=dispute.merchant),
        "first_reviewer": first_reviewer,
        "can_start": reviewer
        and (
            dispute.status == DisputeStatus.MERCHANT_RESPONDED
            or (appealed and not first_reviewer and dispute.assigned_to_id != user.pk)
        ),
        "can_decide": reviewer
        and (dispute.status == DisputeStatus.UNDER_REVIEW or (appealed and not first_reviewer)),
        "decision_form": decision_form or DecisionForm(currency=dispute.currency),
        "note_form": note_form or NoteForm(),
        "partial": Outcome.REFUND_PARTIAL,
        "error": error,
    }
    return render(request, "console/dispute_detail.html", context, status=status)


@never_cache
@permission_required(roles.is_staff)
def dispute_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _dispute_or_404(number))


@require_POST
@permission_required(roles.can_decide_disputes)
def dispute_review_start(request: HttpRequest, number: str) -> HttpResponse:
    dispute = _dispute_or_404(number)
    try:
        actions.dispute_review_start(reviewer=_me(request.user), dispute_id=dispute.pk)
    except DomainError as error:
        dispute.refresh_from_db()
        return _detail(request, dispute, error=error.message, status=error.status)
    messages.success(request, _("You are reviewing this dispute."))
    return redirect("console:dispute", number=dispute.number)


@require_POST
@permission_required(roles.can_decide_disputes)
def dispute_decide(request: HttpRequest, number: str) -> HttpResponse:
    dispute = _dispute_or_404(number)
    form = DecisionForm(request.POST, currency=dispute.currency)
    if not form.is_valid():
        return _detail(request, dispute, decision_form=form, status=400)
    data = form.cleaned_data
    partial = data["outcome"] == Outcome.REFUND_PARTIAL
    try:
        actions.dispute_decide(
            reviewer=_me(request.user),
            dispute_id=dispute.pk,
            outcome=data["outcome"],
            amount_minor=data.get("amount_minor") if partial else None,
            note_customer=data["note_customer"],
            note_merchant=data["note_merchant"],
        )
    except DomainError as error:
        if error.code == "partial_amount":
            form.add_error("amount", error.message)
        dispute.refresh_from_db()
        return _detail(request, dispute, decision_form=form, error=error.message, status=error.status)
    messages.success(
        request, _("Decision recorded. The customer and the merchant are told, each with their note.")
    )
    return redirect("console:dispute", number=dispute.number)


@require_POST
@permission_required(roles.is_staff)
def dispute_note(request: HttpRequest, number: str) -> HttpResponse:
    dispute = _dispute_or_404(number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _detail(request, dispute, note_form=form, status=400)
    try:
        actions.dispute_note_add(
            author=_me(request.user), dispute_id=dispute.pk, body=form.cleaned_data["body"]
        )
    except DomainError as error:
        return _detail(request, dispute, note_form=form, error=error.message, status=error.status)
    messages.success(request, _("Internal note added. Only staff see it."))
    return redirect("console:dispute", number=dispute.number)
