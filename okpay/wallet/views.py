"""My Account (customer) pages and the payment-link page. Thin: parse the form, call one action
through the idempotency guard, render or redirect. Reads go through permission-scoped selectors."""

import csv
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache

from okpay.core import hooks, i18n
from okpay.core.idempotency import IdempotencyError, idempotent
from okpay.core.money import format_money, to_major

from . import actions, selectors
from .choices import TransactionKind
from .errors import WalletError, insufficient_funds
from .forms import ConfirmForm, PaymentForm, TopupForm, TransactionFilterForm
from .international.limits import limits_remaining
from .international.screening import rules

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
RECENT_ON_HOME = 10
CSV_BATCH = 500
MAX_ID = 2**63 - 1
CSV_HEADER = [
    "date",
    "type",
    "status",
    "amount",
    "fee",
    "currency",
    "counterparty",
    "description",
    "reference",
]

# Verification levels as docs/policies.md states them (limits in EUR equivalent, minor units).
LEVEL_CHECKS = {
    0: gettext_lazy("email + phone"),
    1: gettext_lazy("ID document"),
    2: gettext_lazy("ID + address + source of funds"),
}


def verification_levels() -> dict[int, dict]:
    """The levels as the screening rules define them (data/screening.json), for display."""
    levels = {}
    for number, rule in sorted(rules()["levels"].items()):
        international: StrOrPromise
        if not rule["international"]:
            international = gettext_lazy("not available")
        elif rule["international_max"] is not None:
            international = gettext_lazy("up to %(amount)s per transfer") % {
                "amount": format_money(rule["international_max"], "EUR", i18n.current())
            }
        else:
            international = pgettext_lazy("international transfers", "available")
        levels[int(number)] = {
            "checked": LEVEL_CHECKS[int(number)],
            "per_transfer": rule["per_transfer"],
            "day": rule["day"],
            "month": rule["month"],
            "international": international,
        }
    return levels


def _balances_by_currency(user) -> dict[str, int]:
    """Available balance per currency (read only: no account is created by looking)."""
    return {account.currency: account.available_balance for account in selectors.balances_for(user=user)}


def run_idempotent(request, form, *, scope: str, payload: dict, run) -> dict | None:
    """Run `run()` (returns the response body) once per form key. On refusal the reason is put on the
    form and None returned; nothing has moved."""
    try:
        _status, body = idempotent(
            user=request.user,
            key=form.cleaned_data["idempotency_key"],
            scope=scope,
            payload=payload,
            action=lambda: (302, run()),
        )
    except (WalletError, IdempotencyError) as error:
        form.add_error(None, str(error.message))
        return None
    return body


# --- home -----------------------------------------------------------------------------------------


@login_required
def account_home(request):
    level = request.user.verification_level
    levels = verification_levels()
    return render(
        request,
        "wallet/home.html",
        {
            "balances": selectors.balances_for(user=request.user),
            "recent": selectors.transactions_for_user(user=request.user, limit=RECENT_ON_HOME),
            "level": level,
            "level_info": levels[level],
            "levels": sorted(levels.items()),
            "remaining": limits_remaining(user=request.user),
        },
    )


# --- history --------------------------------------------------------------------------------------


def _parse_cursor(value: str) -> tuple[datetime, int] | None:
    """`<iso datetime>_<id>` → (created_at, id); anything else (tampered, naive, negative) → None."""
    created, _sep, pk = (value or "").rpartition("_")
    try:
        parsed, number = datetime.fromisoformat(created), int(pk)
        moment = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    if moment is None or not 0 < number <= MAX_ID:
        return None
    return moment, number


def _cursor(row) -> str:
    return f"{row.created_at.astimezone(UTC).isoformat()}_{row.pk}"


def _query(params, **changes) -> str:
    merged = {key: value for key, value in params.items() if key not in ("before", "format") and value}
    merged.update({key: value for key, value in changes.items() if value})
    return "?" + urlencode(merged) if merged else "?"


class _Echo:
    def write(self, value):
        return value


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(user, filters):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    before = None
    while True:
        rows = selectors.transactions_for_user(user=user, before=before, limit=CSV_BATCH, **filters)
        for row in rows:
            yield writer.writerow(
                [
                    timezone.localtime(row.created_at).isoformat(),
                    row.kind,
                    row.status,
                    str(to_major(row.amount_minor, row.currency)),
                    str(to_major(row.fee_minor, row.currency)),
                    row.currency,
                    _csv_safe(row.counterparty),
                    _csv_safe(row.description),
                    _csv_safe(row.reference),
                ]
            )
        if len(rows) < CSV_BATCH:
            return
        before = (rows[-1].created_at, rows[-1].pk)


@login_required
@never_cache
def transaction_list(request):
    form = TransactionFilterForm(request.GET or None)
    filters, ignored = form.valid_filters() if request.GET else ({}, [])
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            _csv_rows(request.user, filters), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="okpay-transactions.csv"'
        return response
    before = _parse_cursor(request.GET.get("before", ""))
    rows = selectors.transactions_for_user(user=request.user, before=before, limit=PAGE_SIZE + 1, **filters)
    has_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "wallet/transactions.html",
        {
            "form": form,
            "rows": rows,
            "ignored": ignored,
            "is_first_page": before is None,
            "filters_active": bool(filters or ignored),
            "older_query": _query(request.GET, before=_cursor(rows[-1])) if has_older else "",
            "newest_query": _query(request.GET),
            "csv_query": _query(request.GET, format="csv"),
        },
    )


@login_required
def transaction_detail(request, transaction_id: int):
    row = selectors.transaction_for_user(user=request.user, transaction_id=transaction_id)
    if row is None:
        raise Http404
    payment = selectors.payment_for_transaction(row=row) if row.kind == TransactionKind.PAYMENT else None
    help_url = reverse("tickets:new") + "?" + urlencode({"transaction": row.pk})
    # the disputes app's "Contact the merchant" / "Open a dispute" (or the dispute in progress)
    problem_links = [
        link for links in hooks.items(hooks.TRANSACTION_LINKS) for link in links(row, request.user)
    ]
    return render(
        request,
        "wallet/transaction_detail.html",
        {
            "row": row,
            "events": row.events.all(),
            "payment": payment,
            "help_url": help_url,
            "problem_links": problem_links,
            "is_payment": row.kind == TransactionKind.PAYMENT,
            "international": getattr(row, "international", None)
            if row.kind == TransactionKind.INTERNATIONAL
            else None,
        },
    )


# --- demo top-up ----------------------------------------------------------------------------------


@login_required
def topup(request):
    if not settings.DEMO_MODE:
        raise Http404
    form = TopupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        body = run_idempotent(
            request,
            form,
            scope="topup",
            payload={"amount_minor": data["amount_minor"], "currency": data["currency"]},
            run=lambda: {
                "transaction": actions.topup_demo(
                    user=request.user,
                    amount_minor=data["amount_minor"],
                    currency=data["currency"],
                    key=data["idempotency_key"],
                ).pk
            },
        )
        if body is not None:
            messages.success(request, _("Demo money added to your balance."))
            return redirect("wallet:transaction", transaction_id=body["transaction"])
    return render(request, "wallet/topup.html", {"form": form}, status=400 if form.errors else 200)


# --- paying a merchant ----------------------------------------------------------------------------


def _pay(request, form, *, merchant, amount_minor: int, currency: str, description: str, link=None):
    """The one payment path of the demo shop and of payment links. Returns a redirect or None."""
    payload = {
        "merchant": merchant.pk,
        "amount_minor": amount_minor,
        "currency": currency,
        "description": description,
        "link": link.pk if link else None,
    }

    def run():
        payment = actions.payment_create(
            customer=request.user,
            merchant=merchant,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            key=form.cleaned_data["idempotency_key"],
            link=link,
        )
        return {"transaction": selectors.payment_transaction_for_customer(payment=payment).pk}

    body = run_idempotent(request, form, scope="payment", payload=payload, run=run)
    if body is None:
        return None
    messages.success(request, _("Payment complete."))
    return redirect("wallet:transaction", transaction_id=body["transaction"])


def _balance_after(request, form, *, amount_minor: int, currency: str) -> int | None:
    """What is left after paying, or None (with the refusal on the form) when it is not enough."""
    after = _balances_by_currency(request.user).get(currency, 0) - amount_minor
    if after < 0:
        form.add_error(None, insufficient_funds().message)
        return None
    return after


@login_required
def pay(request):
    """Demo shop: form → confirmation (merchant, amount, no fee for you, balance after) → receipt."""
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        data = form.cleaned_data
        if "confirm" in request.POST:
            response = _pay(
                request,
                form,
                merchant=data["merchant"],
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                description=data["description"],
            )
            if response is not None:
                return response
        else:
            after = _balance_after(
                request, form, amount_minor=data["amount_minor"], currency=data["currency"]
            )
            if after is not None:
                return render(
                    request, "wallet/pay_confirm.html", {"form": form, "data": data, "balance_after": after}
                )
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "wallet/pay.html", {"form": form}, status=status)


@never_cache
def payment_link_pay(request, token: str):
    link = selectors.payment_link_active(token=token[:64])
    if link is None:
        raise Http404
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()})
        return render(request, "wallet/paylink.html", {"link": link, "login_url": login_url})
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _pay(
            request,
            form,
            merchant=link.merchant,
            amount_minor=link.amount_minor,
            currency=link.currency,
            description=link.description,
            link=link,
        )
        if response is not None:
            return response
    available = _balances_by_currency(request.user).get(link.currency, 0)
    return render(
        request,
        "wallet/paylink.html",
        {
            "link": link,
            "form": form,
            "balance_after": available - link.amount_minor,
        },
        status=400 if form.errors else 200,
    )
