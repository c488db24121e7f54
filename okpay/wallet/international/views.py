"""International transfer: quote → confirmation (everything disclosed) → receipt; cancel."""

import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from okpay.core.errors import DomainError
from okpay.core.idempotency import IdempotencyError, idempotent
from okpay.core.money import to_major

from .. import fx
from ..models import InternationalTransfer, Quote
from . import actions as international
from .forms import ADDRESS_FIELDS, QuoteForm, per_eur_rates
from .screening import REASON_TEXT, country_currency, destination_countries

RECIPIENT_FIELDS = (
    "recipient_name",
    "recipient_country",
    "recipient_account",
    "recipient_address",
    "sender_address",
    "purpose",
)


FORM_FIELDS = ("from_currency", "amount", "to_currency", *RECIPIENT_FIELDS)


def _typed(request, quote_id) -> dict | None:
    """What the customer typed for a quote (kept in their session), for "change the details"."""
    try:
        quote_key = uuid.UUID(str(quote_id))
    except ValueError:
        return None
    typed = request.session.get(f"intl-form:{quote_key}")
    if typed is None:  # a quote made before the typed form was kept: what the quote knows
        quote = Quote.objects.filter(pk=quote_key, user=request.user).first()
        recipient = request.session.get(f"intl:{quote_key}")
        if quote is None or recipient is None:
            return None
        typed = {
            "from_currency": quote.from_currency,
            "amount": str(to_major(quote.source_amount_minor, quote.from_currency)),
            "to_currency": quote.to_currency,
            **recipient,
        }
    return {name: typed.get(name, "") for name in FORM_FIELDS}


@login_required
def international_new(request):
    initial = _typed(request, request.GET.get("edit", "")) if request.method == "GET" else None
    form = QuoteForm(request.POST or None, initial=initial or None)
    rate_set = fx.latest_rate_set()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quote = fx.quote_create(
                user=request.user,
                from_currency=data["from_currency"],
                to_currency=data["to_currency"],
                source_amount_minor=data["amount_minor"],
                recipient_country=data["recipient_country"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session[f"intl:{quote.pk}"] = {f: data[f] for f in RECIPIENT_FIELDS}
            request.session[f"intl-form:{quote.pk}"] = {f: request.POST.get(f, "")[:200] for f in FORM_FIELDS}
            return redirect("international:confirm", quote_id=quote.pk)
    return render(
        request,
        "wallet/international_new.html",
        {
            "form": form,
            "address_fields": ADDRESS_FIELDS,
            "per_eur": json.dumps(per_eur_rates()),
            "country_currencies": json.dumps({c: country_currency(c) for c in destination_countries()}),
            "rate_set": rate_set,
            "rate_age": fx.rate_age_days(rate_set) if rate_set else None,
        },
        status=400 if form.errors else 200,
    )


def _own_quote(request, quote_id) -> Quote:
    quote = Quote.objects.select_related("rate_set").filter(pk=quote_id, user=request.user).first()
    if quote is None:
        raise Http404
    return quote


@login_required
def international_confirm(request, quote_id):
    quote = _own_quote(request, quote_id)
    recipient = request.session.get(f"intl:{quote.pk}")
    if recipient is None or (quote.used_at is not None and request.method != "POST"):
        messages.error(request, _("This quote has already been used. Start again to get a new quote."))
        return redirect("international:new")
    error = None
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")
        try:
            _status, body = idempotent(
                user=request.user,
                key=key,
                scope="international",
                payload={"quote": str(quote.pk), **recipient},
                action=lambda: (
                    302,
                    {
                        "transfer": international.international_submit(
                            user=request.user, quote_id=quote.pk, key=key, **recipient
                        ).pk
                    },
                ),
            )
        except (DomainError, IdempotencyError) as failure:
            error = failure.message
        else:  # a double-submitted form gets the stored answer: the same receipt
            return redirect("international:detail", transfer_id=body["transfer"])
    return render(
        request,
        "wallet/international_confirm.html",
        {
            "quote": quote,
            "recipient": recipient,
            "error": error,
            "idempotency_key": uuid.uuid4().hex,
            "rate_age": fx.rate_age_days(quote.rate_set),
            "expired": quote.expires_at <= timezone.now(),
            "markup": settings.OKPAY_FX_MARKUP_PERCENT,
            "fee_percent": settings.OKPAY_FX_FEE_PERCENT,
        },
        status=400 if error else 200,
    )


@login_required
def international_detail(request, transfer_id):
    transfer = (
        InternationalTransfer.objects.select_related("quote", "quote__rate_set", "transaction")
        .filter(pk=transfer_id, user=request.user)
        .first()
    )
    if transfer is None:
        raise Http404
    return render(
        request,
        "wallet/international_detail.html",
        {
            "transfer": transfer,
            "quote": transfer.quote,
            "reasons": [str(REASON_TEXT.get(code, code)) for code in transfer.reason_codes],
            "can_cancel": international.transfer_cancellable(transfer=transfer, actor=request.user),
            "in_progress": international.transfer_in_progress(transfer),
            "markup": settings.OKPAY_FX_MARKUP_PERCENT,
            "fee_percent": settings.OKPAY_FX_FEE_PERCENT,
        },
    )


@login_required
def international_cancel(request, transfer_id):
    """GET: the one confirmation step (what is cancelled, what comes back); POST: cancel."""
    if request.method == "GET":
        transfer = (
            InternationalTransfer.objects.select_related("quote", "quote__rate_set")
            .filter(pk=transfer_id, user=request.user)
            .first()
        )
        if transfer is None:
            raise Http404
        if not international.transfer_cancellable(transfer=transfer, actor=request.user):
            messages.error(request, str(international.CANCEL_REFUSED))
            return redirect("international:detail", transfer_id=transfer_id)
        return render(
            request, "wallet/international_cancel.html", {"transfer": transfer, "quote": transfer.quote}
        )
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        international.international_cancel(user=request.user, transfer_id=transfer_id)
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, error.message)
    else:
        messages.success(request, _("The transfer is cancelled and the money is back in your balance."))
    return redirect("international:detail", transfer_id=transfer_id)
