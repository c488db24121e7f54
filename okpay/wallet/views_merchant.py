"""Merchant area pages: payments received, refunds, payment links."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required

from . import actions, selectors
from .errors import WalletError
from .forms import PaymentLinkForm, RefundForm
from .views import run_idempotent


def link_url(link) -> str:
    """The shareable address of a payment link, from the configured site URL (never the Host header)."""
    return settings.SITE_URL + reverse("paylink:pay", kwargs={"token": link.token})


@permission_required(roles.is_merchant)
def merchant_home(request):
    return render(
        request,
        "merchant/home.html",
        {
            "balances": selectors.balances_for(user=request.user),
            "payments": selectors.payments_for_merchant(merchant=request.user),
            "totals": selectors.merchant_fee_totals(merchant=request.user),
        },
    )


@permission_required(roles.is_merchant)
def payment_detail(request, payment_id: int):
    payment = selectors.payment_for_merchant(merchant=request.user, payment_id=payment_id)
    if payment is None:
        raise Http404
    form = RefundForm(request.POST or None, currency=payment.currency)
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        if data["amount_minor"] > payment.refundable_minor:
            form.add_error("amount", _("You can refund at most the amount not yet refunded."))
        elif "confirm" not in request.POST:
            # a refund moves money at once: a confirmation step first, as a payment has
            return render(
                request,
                "merchant/refund_confirm.html",
                {"payment": payment, "form": form, "data": data},
            )
    if request.method == "POST" and "confirm" in request.POST and form.is_valid():
        data = form.cleaned_data
        body = run_idempotent(
            request,
            form,
            scope="refund",
            payload={"payment": payment.pk, "amount_minor": data["amount_minor"], "reason": data["reason"]},
            run=lambda: {
                "refund": actions.refund_create(
                    merchant=request.user,
                    payment=payment,
                    amount_minor=data["amount_minor"],
                    reason=data["reason"],
                    key=data["idempotency_key"],
                ).pk
            },
        )
        if body is not None:
            messages.success(request, _("The refund was sent to the customer."))
            return redirect("merchant:payment", payment_id=payment.pk)
    return render(
        request,
        "merchant/payment_detail.html",
        {
            "payment": payment,
            "refunds": selectors.refunds_for_payment(payment=payment),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@permission_required(roles.is_merchant)
def payment_links(request):
    form = PaymentLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.payment_link_create(
                merchant=request.user,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                description=data["description"],
            )
        except WalletError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Payment link created. Share its address from the list below."))
            return redirect("merchant:links")
    links = [(link, link_url(link)) for link in selectors.payment_links_for_merchant(merchant=request.user)]
    return render(
        request, "merchant/links.html", {"form": form, "links": links}, status=400 if form.errors else 200
    )
