"""Customer 360 (read-only, every look audited) and the compliance review queue (supervisors)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.accounts.selectors import security_events_list
from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError
from okpay.wallet import selectors as wallet_selectors
from okpay.wallet import selectors_staff
from okpay.wallet.international.actions import international_review_decide
from okpay.wallet.international.screening import REASON_TEXT, review_reason_labels, rules


@permission_required(roles.is_staff)
def customers(request):
    query = request.GET.get("q", "")
    return render(
        request,
        "console/customers.html",
        {"query": query, "customers": selectors_staff.customers_search(query=query)},
    )


@permission_required(roles.is_staff)
def customer_360(request, customer_id):
    customer = selectors_staff.customer_for_staff(customer_id=customer_id)
    if customer is None:
        raise Http404
    audit_event_record(action="console.customer_viewed", actor=request.user, subject_user=customer)
    level = rules()["levels"][str(customer.verification_level)]
    return render(
        request,
        "console/customer_360.html",
        {
            "customer": customer,
            "level": level,
            "balances": wallet_selectors.balances_for(user=customer),
            "transactions": selectors_staff.recent_transactions(user=customer),
            "transfers": selectors_staff.international_for_user(user=customer),
            "events": security_events_list(user=customer, limit=15),
            "panels": _customer_panels(request, customer),
        },
    )


def _customer_panels(request, customer) -> list[tuple[object, str]]:
    """The blocks other apps add to the customer 360 (hooks.CUSTOMER_PANELS): (title, HTML)."""
    from django.template.loader import render_to_string

    from okpay.core import hooks

    return [
        (
            panel.title,
            render_to_string(panel.template, panel.context(customer, request.user), request=request),
        )
        for panel in hooks.items(hooks.CUSTOMER_PANELS)
        if panel.permission(request.user)
    ]


@permission_required(roles.can_decide_reviews)
def reviews(request):
    transfers = list(selectors_staff.review_queue())
    for transfer in transfers:
        transfer.reason_labels = review_reason_labels(transfer.reason_codes)
    return render(request, "console/reviews.html", {"transfers": transfers})


@permission_required(roles.can_decide_reviews)
def review_detail(request, transfer_id):
    transfer = selectors_staff.review_item(transfer_id=transfer_id)
    if transfer is None:
        raise Http404
    return render(
        request,
        "console/review_detail.html",
        {
            "transfer": transfer,
            "quote": transfer.quote,
            "reasons": [str(REASON_TEXT.get(code, code)) for code in transfer.reason_codes],
        },
    )


@permission_required(roles.can_decide_reviews)
@require_POST
def review_decide(request, transfer_id):
    if selectors_staff.review_item(transfer_id=transfer_id) is None:
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("console:review_detail", transfer_id=transfer_id)
    try:
        international_review_decide(
            reviewer=request.user,
            transfer_id=transfer_id,
            approve=decision == "approve",
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console:review_detail", transfer_id=transfer_id)
    messages.success(request, _("Decision recorded."))
    return redirect("console:reviews")
