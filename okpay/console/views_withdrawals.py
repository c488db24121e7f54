"""The operators' withdrawal queue (资金转出): staff read it; supervisors decide the withdrawals held for
review (roles.can_decide_reviews) and run the manual provider (roles.can_operate_payouts): send to the
bank, mark paid or failed, export a payout batch, see a destination's full account number (audited).
Every change goes through okpay.payouts (withdrawals.*, operations.*); a refusal is a message."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core import i18n
from okpay.core.errors import DomainError
from okpay.core.money import format_money
from okpay.payouts import policy
from okpay.payouts.choices import OPEN_STATUSES, DestinationKind, FailureCode, WithdrawalStatus
from okpay.payouts.models import Withdrawal
from okpay.payouts.operations import (
    batch_csv,
    withdrawal_batch_export,
    withdrawal_destination_reveal,
    withdrawal_operator_move,
)
from okpay.payouts.providers import ManualProvider
from okpay.payouts.selectors import institution_name
from okpay.payouts.selectors_staff import (
    queue_summary,
    withdrawal_age,
    withdrawal_for_staff,
    withdrawal_queue,
    withdrawal_status_counts,
    withdrawal_timeline,
    withdrawals_of_customer,
)
from okpay.payouts.withdrawals import withdrawal_review_decide

from .forms_withdrawals import BatchExportForm, WithdrawalQueueForm

PAGE_SIZE = 50


def _query(params, **changes) -> str:
    merged = {key: value for key, value in params.items() if key != "page" and value}
    merged.update(changes)
    merged = {key: value for key, value in merged.items() if value}
    return "?" + urlencode(merged) if merged else "?"


@permission_required(roles.is_staff)
def withdrawals(request):
    form = WithdrawalQueueForm(request.GET)
    filters, ignored = form.queue_filters()
    now = timezone.now()
    page = Paginator(withdrawal_queue(filters=filters, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = withdrawal_status_counts(filters=filters, now=now)
    labels = dict(WithdrawalStatus.choices)
    tabs = [("open", pgettext("withdrawals", "Open"), sum(counts[status] for status in OPEN_STATUSES))]
    tabs += [(status, labels[status], counts[status]) for status in WithdrawalStatus.values]
    tabs.append(("all", _("All"), sum(counts.values())))
    return render(
        request,
        "console/withdrawals.html",
        {
            "form": form,
            "filters": filters,
            "ignored": ignored,
            "filters_active": any(
                request.GET.get(name) for name in ("method", "currency", "amount_min", "amount_max", "age")
            ),
            "tabs": [
                {"value": value, "label": label, "count": n, "url": _query(request.GET, status=value)}
                for value, label, n in tabs
            ],
            "page": page,
            "rows": [(withdrawal, withdrawal_age(withdrawal, now=now)) for withdrawal in page],
            "previous_query": _query(request.GET, page=page.previous_page_number())
            if page.has_previous()
            else "",
            "next_query": _query(request.GET, page=page.next_page_number()) if page.has_next() else "",
            "summary": queue_summary(),
            "export_form": BatchExportForm(),
        },
    )


@permission_required(roles.can_operate_payouts)
@require_POST
def withdrawals_export(request):
    form = BatchExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a method and currency from the lists."))
        return redirect("console:withdrawals")
    try:
        batch = withdrawal_batch_export(
            operator=request.user,
            method=form.cleaned_data["method"],
            currency=form.cleaned_data["currency"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console:withdrawals")
    messages.success(
        request,
        ngettext(
            "Payout batch %(batch)s: %(n)s withdrawal exported and moved to processing.",
            "Payout batch %(batch)s: %(n)s withdrawals exported and moved to processing.",
            len(batch.withdrawals),
        )
        % {"batch": batch.reference, "n": len(batch.withdrawals)},
    )
    response = HttpResponse(batch_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="okpay-{batch.reference}.csv"'
    add_never_cache_headers(response)
    return response


def _withdrawal_or_404(withdrawal_id: int) -> Withdrawal:
    withdrawal = withdrawal_for_staff(withdrawal_id=withdrawal_id)
    if withdrawal is None:
        raise Http404
    return withdrawal


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    action: str
    actor: str
    change: str
    note: str


def _timeline(withdrawal: Withdrawal) -> list[TimelineRow]:
    labels = dict(WithdrawalStatus.choices)
    failures = dict(FailureCode.choices)
    rows = []
    for event in withdrawal_timeline(withdrawal=withdrawal):
        data = {key: str(value or "") for key, value in (event.data or {}).items()}
        if event.action == "withdrawal.status_changed":
            change = f"{labels.get(data.get('from', ''), '')} → {labels.get(data.get('to', ''), '')}"
        elif event.action == "withdrawal.submitted":
            change = str(labels.get(data.get("status", ""), ""))
        else:
            change = ""
        note = data.get("note", "")
        if data.get("failure_code"):
            note = " — ".join(filter(None, [str(failures.get(data["failure_code"], "")), note]))
        actor = event.actor.email if event.actor else _("System")
        rows.append(TimelineRow(event.created_at, event.action, actor, change, note))
    return rows


def _reasons(withdrawal: Withdrawal) -> list[str]:
    data, language = policy.rules(), i18n.current()
    text = {
        "large_withdrawal": _("Large withdrawal: %(amount)s or more (EUR equivalent).")
        % {"amount": format_money(data["review_single_eur"], "EUR", language)},
        "first_to_destination": _(
            "First withdrawal to this destination, of %(amount)s or more (EUR equivalent)."
        )
        % {"amount": format_money(data["review_first_to_destination_eur"], "EUR", language)},
    }
    return [text.get(code, code) for code in withdrawal.review_reasons]


def _grouped(account: str, kind: str) -> str:
    """An IBAN or a bank card number in groups of four, as people read them out."""
    if kind in (DestinationKind.IBAN, DestinationKind.CN_BANK_CARD):
        return " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    return account


def _detail(request, withdrawal: Withdrawal, *, revealed: str = ""):
    user = request.user
    own = user.pk == withdrawal.user_id
    manual = withdrawal.provider == ManualProvider.name
    operator = roles.can_operate_payouts(user) and not own
    destination = withdrawal.destination
    return render(
        request,
        "console/withdrawal_detail.html",
        {
            "withdrawal": withdrawal,
            "destination": destination,
            "institution": institution_name(destination),
            "age": withdrawal_age(withdrawal),
            "reasons": _reasons(withdrawal),
            "timeline": _timeline(withdrawal),
            "recent": withdrawals_of_customer(user=withdrawal.user, exclude=withdrawal.pk),
            "own": own,
            "manual": manual,
            "can_decide": roles.can_decide_reviews(user)
            and not own
            and withdrawal.status == WithdrawalStatus.UNDER_REVIEW,
            "can_send": operator and manual and withdrawal.status == WithdrawalStatus.REQUESTED,
            "can_settle": operator and manual and withdrawal.status == WithdrawalStatus.PROCESSING,
            "can_reveal": roles.can_operate_payouts(user)
            and bool(destination.account)
            and destination.kind != DestinationKind.DEBIT_CARD,
            "revealed": _grouped(revealed, destination.kind) if revealed else "",
            "failure_codes": FailureCode.choices,
        },
    )


@permission_required(roles.is_staff)
def withdrawal_detail(request, withdrawal_id):
    return _detail(request, _withdrawal_or_404(withdrawal_id))


@permission_required(roles.can_operate_payouts)
@require_POST
@never_cache
def withdrawal_reveal(request, withdrawal_id):
    """The destination's full number, shown on this response only (never stored in the page before
    the operator asks); the look is an audit row."""
    withdrawal = _withdrawal_or_404(withdrawal_id)
    try:
        revealed = withdrawal_destination_reveal(operator=request.user, withdrawal=withdrawal)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console:withdrawal", withdrawal_id=withdrawal.pk)
    return _detail(request, withdrawal, revealed=revealed)


@permission_required(roles.can_decide_reviews)
@require_POST
def withdrawal_decide(request, withdrawal_id):
    withdrawal = _withdrawal_or_404(withdrawal_id)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("console:withdrawal", withdrawal_id=withdrawal.pk)
    try:
        withdrawal_review_decide(
            withdrawal=withdrawal,
            reviewer=request.user,
            approve=decision == "approve",
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("console:withdrawal", withdrawal_id=withdrawal.pk)


STEP_DONE = {
    WithdrawalStatus.PROCESSING: gettext_lazy("Marked as sent to the bank."),
    WithdrawalStatus.PAID: gettext_lazy("Marked as paid. The customer gets an email."),
    WithdrawalStatus.FAILED: gettext_lazy(
        "Marked as failed. The amount and the fee are back in the customer's balance."
    ),
}


@permission_required(roles.can_operate_payouts)
@require_POST
def withdrawal_step(request, withdrawal_id):
    withdrawal = _withdrawal_or_404(withdrawal_id)
    to = request.POST.get("to", "")
    try:
        withdrawal_operator_move(
            operator=request.user,
            withdrawal=withdrawal,
            to=to,
            failure_code=request.POST.get("failure_code", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(STEP_DONE[to]))
    return redirect("console:withdrawal", withdrawal_id=withdrawal.pk)
