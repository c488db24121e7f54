"""The console's phone pages: the callback queue and outcomes, and calls logged by agents (as a new
question or on an existing one). docs/phone.md."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.tickets import actions as ticket_actions
from okpay.tickets import phone, phone_actions
from okpay.tickets.forms import PhoneTicketForm
from okpay.tickets.models import Callback, Ticket
from okpay.tickets.phone_forms import CallbackOutcomeForm, CallDetailsForm, CallLogForm


@permission_required(roles.is_staff)
def callbacks(request):
    """Open callbacks, the one due soonest first; each with its age and whether it is overdue."""
    return render(
        request,
        "console/callbacks.html",
        {"callbacks": phone.callback_queue()[:200], "form": CallbackOutcomeForm()},
    )


@require_POST
@permission_required(roles.is_staff)
def callback_outcome(request, callback_id: int):
    callback = get_object_or_404(Callback, pk=callback_id)
    form = CallbackOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what happened on the call."))
        return redirect("console:callbacks")
    try:
        callback = phone_actions.callback_outcome_record(
            callback=callback,
            actor=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Callback for %(number)s: %(state)s.")
            % {"number": callback.ticket.number, "state": callback.get_state_display()},
        )
    return redirect("console:callbacks")


@permission_required(roles.is_staff)
def ticket_phone(request):
    """An agent logs a call as a new question: the customer and what was said, with direction and
    duration."""
    form = PhoneTicketForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    call = CallDetailsForm(request.POST or None, prefix="call")
    if request.method == "POST" and form.is_valid() and call.is_valid():
        ticket = ticket_actions.ticket_from_phone(actor=request.user, **form.cleaned_data)
        phone_actions.call_log(
            ticket=ticket,
            actor=request.user,
            direction=call.cleaned_data["direction"],
            duration_seconds=call.cleaned_data["duration_minutes"] * 60,
            summary=form.cleaned_data["body"],
        )
        messages.success(
            request,
            _("Phone call logged as %(number)s; the customer got a confirmation email.")
            % {"number": ticket.number},
        )
        return redirect("console:ticket", number=ticket.number)
    return render(
        request,
        "console/ticket_phone.html",
        {"form": form, "call_form": call},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(roles.is_staff)
def ticket_call(request, number: str):
    """An agent logs a call on an existing question (an internal note with direction and duration)."""
    ticket = get_object_or_404(Ticket, number=number[:12])
    form = CallLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone_actions.call_log(
                ticket=ticket,
                actor=request.user,
                direction=form.cleaned_data["direction"],
                duration_seconds=form.cleaned_data["duration_minutes"] * 60,
                summary=form.cleaned_data["summary"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The call was logged on %(number)s.") % {"number": ticket.number})
            return redirect("console:ticket", number=ticket.number)
    return render(
        request,
        "console/ticket_call.html",
        {"form": form, "ticket": ticket},
        status=400 if request.method == "POST" else 200,
    )
