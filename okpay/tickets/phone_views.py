"""Customer side of the phone: book a callback (signed in, or a visitor like the question form)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from okpay.core.errors import DomainError

from . import phone, phone_actions
from .phone_forms import CallbackForm
from .views import _grant, _refused, too_many, too_many_text


def callback_new(request):
    """ "Call me back": the slots inside the phone hours for the next business days, shown in the
    customer's time zone. Every POST counts against the question budget (too_many)."""
    signed_in = request.user.is_authenticated
    hours = phone.phone_hours()
    zone = timezone.get_current_timezone()
    slots = phone.slots(hours=hours) if hours is not None else []
    if request.method == "POST":
        if too_many(request):
            return _refused(
                request,
                title=_("Please wait a little"),
                message=too_many_text(),
                back_url=request.get_full_path(),
                status=429,
            )
        form = CallbackForm(request.POST, signed_in=signed_in, slots=slots, zone=zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                callback = phone_actions.callback_request(
                    requester=request.user if signed_in else None,
                    email=data.get("email", ""),
                    name=data.get("name", ""),
                    language=get_language(),
                    topic=data["topic"],
                    phone_number=data["phone"],
                    slot_start=data["slot"],
                    time_zone=str(zone),
                    note=data["note"],
                )
            except DomainError as error:  # the slot went by while the form was open
                form.add_error(None, error.message)
            else:
                ticket = callback.ticket
                _grant(request, ticket.number)
                messages.success(
                    request,
                    _("We will call you on %(when)s about question %(number)s.")
                    % {
                        "when": phone.slot_label(callback.slot_start, callback.slot_end, zone),
                        "number": ticket.number,
                    },
                )
                return redirect("tickets:detail", number=ticket.number)
    else:
        form = CallbackForm(
            initial={"topic": request.GET.get("topic", "")}, signed_in=signed_in, slots=slots, zone=zone
        )
    return render(
        request,
        "tickets/callback.html",
        {"form": form, "hours": hours, "has_slots": bool(slots), "zone": zone},
        status=400 if request.method == "POST" else 200,
    )
