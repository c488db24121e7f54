"""Withdrawing (My Account → 资金转出): the form (balances, amount, destination, speed) → the confirmation
(fee, amount received, total taken from the balance, method, estimated arrival in the customer's time
zone; stores nothing; a one-time key in its form) → the submission (once per key: a double submit lands
on the same withdrawal) → the withdrawal's status page (timeline, cancel while requested or under
review). The customer's withdrawals are listed under history/. Thin: parse the form, call one action,
show its refusal next to the field it is about."""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.core.money import to_major
from okpay.wallet.selectors import balances_for

from . import selectors
from .choices import Method, WithdrawalStatus
from .views import _local_time, acting_user
from .withdrawal_forms import WithdrawForm
from .withdrawal_selectors import (
    available_for,
    withdrawal_for,
    withdrawal_preview,
    withdrawal_steps,
    withdrawals_for,
    withdrawals_of,
)
from .withdrawals import withdrawal_cancel, withdrawal_submit, withdrawal_transition_allowed

HISTORY_PAGE_SIZE = 25
RECENT_ON_FORM = 5
FORM_FIELDS = ("currency", "amount", "destination", "speed")
# where a withdrawal's money is back in the balance, and where it is on its way
MONEY_BACK = (WithdrawalStatus.FAILED, WithdrawalStatus.CANCELED, WithdrawalStatus.REJECTED)


def _default_currency(balances) -> str:
    """The balance with the most money (the wallet's first currency without one)."""
    funded = [a for a in balances if a.available_balance > 0]
    if funded:
        return max(funded, key=lambda a: a.available_balance).currency
    return settings.OKPAY_WALLET_CURRENCIES[0]


def _form_page(request, form, destinations, *, status: int = 200):
    balances = balances_for(user=request.user)
    return render(
        request,
        "payouts/withdraw.html",
        {
            "form": form,
            "balances": balances,
            "has_destinations": bool(destinations),
            "recent": withdrawals_for(user=request.user, limit=RECENT_ON_FORM),
            "sandbox": settings.OKPAY_PAYOUT_PROVIDER == "sandbox",
        },
        status=status,
    )


def _preview(request, form):
    """The quote for a valid form, or None with the refusal next to its field."""
    data = form.cleaned_data
    try:
        return withdrawal_preview(
            user=request.user,
            destination_id=data["destination"],
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            speed=data["speed"],
        )
    except DomainError as error:
        form.add_refusal(error)
        return None


def _query(data) -> str:
    """The form's values for the confirmation's address (the amount as the plain number it parsed to)."""
    return urlencode(
        {
            "currency": data["currency"],
            "amount": str(to_major(data["amount_minor"], data["currency"])),
            "destination": data["destination"],
            "speed": data["speed"],
        }
    )


@never_cache
@permission_required(roles.is_wallet_holder)
def withdraw(request):
    destinations = list(selectors.destinations_for(user=request.user))
    if request.method == "POST":
        form = WithdrawForm(request.POST, destinations=destinations)
        if form.is_valid() and _preview(request, form) is not None:
            return redirect(reverse("payouts:withdraw_confirm") + "?" + _query(form.cleaned_data))
        return _form_page(request, form, destinations, status=400)
    # "Change" on the confirmation comes back with the values in the address
    initial = {name: request.GET[name][:40] for name in FORM_FIELDS if request.GET.get(name)}
    initial.setdefault("currency", _default_currency(balances_for(user=request.user)))
    return _form_page(request, WithdrawForm(initial=initial, destinations=destinations), destinations)


@never_cache
@permission_required(roles.is_wallet_holder)
def withdraw_confirm(request):
    """GET: the confirmation of the values in the address (nothing stored). POST (from the confirmation,
    with its one-time key): submit, then the status page."""
    destinations = list(selectors.destinations_for(user=request.user))
    data = request.POST if request.method == "POST" else request.GET
    if not any(data.get(name) for name in FORM_FIELDS):
        return redirect("payouts:withdraw")
    form = WithdrawForm(data, destinations=destinations)
    if not form.is_valid():
        return _form_page(request, form, destinations, status=400)
    cleaned = form.cleaned_data
    if request.method == "POST":
        # no preview first: a double submit finds the balance already held, and must still land on
        # the same withdrawal; withdrawal_submit checks everything again
        try:
            withdrawal = withdrawal_submit(
                user=acting_user(request.user),
                destination_id=cleaned["destination"],
                amount_minor=cleaned["amount_minor"],
                currency=cleaned["currency"],
                speed=cleaned["speed"],
                key=request.POST.get("idempotency_key", ""),
            )
        except DomainError as error:
            form.add_refusal(error)
            return _form_page(request, form, destinations, status=400)
        return redirect("payouts:withdrawal", withdrawal_id=withdrawal.pk)
    quote = _preview(request, form)
    if quote is None:
        return _form_page(request, form, destinations, status=400)
    available = available_for(user=request.user, currency=quote.currency)
    return render(
        request,
        "payouts/withdraw_confirm.html",
        {
            "form": form,
            "quote": quote,
            "destination": quote.destination,
            "institution": selectors.institution_name(quote.destination),
            "method_label": dict(Method.choices).get(quote.method, quote.method),
            "arrival": _local_time(quote.arrival.latest),
            "balance_after": available - quote.total_minor,
            "idempotency_key": uuid.uuid4().hex,
            "change_query": _query(cleaned),
            "sandbox": settings.OKPAY_PAYOUT_PROVIDER == "sandbox",
        },
    )


def _own(request, withdrawal_id: int):
    withdrawal = withdrawal_for(user=request.user, withdrawal_id=withdrawal_id)
    if withdrawal is None:
        raise Http404
    return withdrawal


@never_cache
@permission_required(roles.is_wallet_holder)
def withdrawal_detail(request, withdrawal_id: int):
    withdrawal = _own(request, withdrawal_id)
    steps = withdrawal_steps(withdrawal)
    return render(
        request,
        "payouts/withdrawal_detail.html",
        {
            "withdrawal": withdrawal,
            "destination": withdrawal.destination,
            "institution": selectors.institution_name(withdrawal.destination),
            "arrival": _local_time(withdrawal.estimated_arrival),
            "paid_at": _local_time(withdrawal.paid_at) if withdrawal.paid_at else "",
            "created": _local_time(withdrawal.created_at),
            "steps": [{"step": step, "at": _local_time(step.at)} for step in steps],
            "can_cancel": withdrawal_transition_allowed(
                withdrawal=withdrawal, to=WithdrawalStatus.CANCELED, actor=request.user
            ),
            "money_back": withdrawal.status in MONEY_BACK,
        },
    )


@never_cache
@permission_required(roles.is_wallet_holder)
def withdrawal_cancel_view(request, withdrawal_id: int):
    """GET: "Cancel this withdrawal?"; POST: cancel it (the money comes back), then its status page."""
    withdrawal = _own(request, withdrawal_id)
    if request.method == "POST":
        try:
            withdrawal_cancel(user=acting_user(request.user), withdrawal_id=withdrawal.pk)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            withdrawal.refresh_from_db()
            if withdrawal.status != WithdrawalStatus.CANCELED:  # cancelled twice: the first one counts
                messages.error(request, _("This withdrawal can no longer be cancelled."))
        else:
            messages.success(request, _("Cancelled. The amount and the fee are back in your balance."))
        return redirect("payouts:withdrawal", withdrawal_id=withdrawal.pk)
    if not withdrawal_transition_allowed(
        withdrawal=withdrawal, to=WithdrawalStatus.CANCELED, actor=request.user
    ):
        return redirect("payouts:withdrawal", withdrawal_id=withdrawal.pk)
    return render(
        request,
        "payouts/withdrawal_cancel.html",
        {
            "withdrawal": withdrawal,
            "destination": withdrawal.destination,
            "institution": selectors.institution_name(withdrawal.destination),
        },
    )


@never_cache
@permission_required(roles.is_wallet_holder)
def withdrawal_history(request):
    paginator = Paginator(withdrawals_of(user=request.user), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "payouts/withdrawal_history.html", {"page": page, "rows": page.object_list})
