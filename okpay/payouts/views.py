"""The customer's payout destinations (My Account → Payout destinations): the list, adding one and
removing one, each change behind the password again (and the 6-digit code with two-factor on). Thin:
parse the form, call one action, show its refusal next to the field it is about."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from okpay.accounts import roles
from okpay.accounts.actions import has_two_factor, ip_network_key
from okpay.accounts.permissions import permission_required
from okpay.core.audit import audit_context_current
from okpay.core.errors import DomainError

from . import actions, selectors
from .forms import DestinationForm, RemoveForm

# never in an error report: what identifies an account, and the password
SENSITIVE = ("password", "code", "iban", "cn_card_number", "debit_card_number", "account")


def request_network() -> str:
    """The address the password check counts failures for: this request's, as sign-in counts it."""
    return ip_network_key(audit_context_current().ip_address)


def acting_user(user):
    """The user object itself: `request.user` is a lazy proxy, and destination_add locks the customer's
    row through `type(user)`, which a proxy does not have."""
    return get_user_model().objects.get(pk=user.pk)


def _local_time(moment) -> str:
    """The date in the page language and a 24-hour time, in the customer's time zone (as the list shows
    it; "4:29 p.m." would end the sentence with two full stops)."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATE_FORMAT')} {formats.time_format(local, 'H:i')}"


def _refusal_status(error: DomainError) -> int:
    return 429 if error.status == 429 else 400


@never_cache
@permission_required(roles.is_wallet_holder)
def destination_list(request):
    rows = [
        {
            "destination": d,
            "institution": selectors.institution_name(d),
            "until": _local_time(d.usable_for_large_after),
        }
        for d in selectors.destinations_for(user=request.user)
    ]
    hours = int(settings.OKPAY_PAYOUT_COOLING_OFF.total_seconds() // 3600)
    return render(request, "payouts/destination_list.html", {"rows": rows, "cooling_off_hours": hours})


@never_cache
@sensitive_post_parameters(*SENSITIVE)
@permission_required(roles.is_wallet_holder)
def destination_new(request):
    two_factor = has_two_factor(request.user)
    form = DestinationForm(request.POST if request.method == "POST" else None, two_factor=two_factor)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                added = actions.destination_add(
                    user=acting_user(request.user),
                    kind=data["kind"],
                    data=form.kind_data(),
                    label=data["label"],
                    password=data["password"],
                    code=data.get("code", ""),
                    network=request_network(),
                )
            except DomainError as error:
                form.add_domain_error(error, data["kind"])
                status = _refusal_status(error)
            else:
                when = _local_time(added.usable_for_large_after)
                messages.success(
                    request, _("Added. Large withdrawals to it are possible from %(time)s.") % {"time": when}
                )
                return redirect("payouts:destinations")
    return render(
        request,
        "payouts/destination_new.html",
        {"form": form, "two_factor": two_factor},
        status=status,
    )


@never_cache
@sensitive_post_parameters(*SENSITIVE)
@permission_required(roles.is_wallet_holder)
def destination_remove(request, destination_id: int):
    destination = selectors.destination_for(user=request.user, destination_id=destination_id)
    if destination is None:
        raise Http404
    two_factor = has_two_factor(request.user)
    form = RemoveForm(request.POST if request.method == "POST" else None, two_factor=two_factor)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.destination_remove(
                    user=acting_user(request.user),
                    destination=destination,
                    password=form.cleaned_data["password"],
                    code=form.cleaned_data.get("code", ""),
                    network=request_network(),
                )
            except DomainError as error:
                if error.status == 404:
                    raise Http404 from None
                form.add_domain_error(error)
                status = _refusal_status(error)
            else:
                messages.success(request, _("Removed. Withdrawals can no longer go to it."))
                return redirect("payouts:destinations")
    return render(
        request,
        "payouts/destination_remove.html",
        {
            "form": form,
            "destination": destination,
            "institution": selectors.institution_name(destination),
            "two_factor": two_factor,
        },
        status=status,
    )
