"""Agents' workflow on the questions queue and a question's page (issue 15 item 4): bulk changes
(assign, status, tag, group) from the queue's checkboxes, a question's tags and its group. Plain forms
that work without JavaScript; every change goes through okpay.tickets.workflow (staff only, audited)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.core.redirects import safe_next
from okpay.tickets import selectors as ticket_selectors
from okpay.tickets import workflow
from okpay.tickets.choices import SupportGroup, TicketStatus

REFUSALS_SHOWN = 10
# which form field carries each bulk action's value
BULK_FIELDS = {"assign": "assignee", "status": "status", "tag": "tags", "group": "group"}


def queue_workflow_context(filters) -> dict:
    """The queue page's group pills, tag filter and bulk bar (views_tickets.tickets adds these)."""

    def link(**change) -> str:
        current = {
            "view": filters.view,
            "status": filters.status,
            "channel": filters.channel,
            "group": filters.group,
            "tag": filters.tag,
        }
        current.update(change)
        return "?" + urlencode({k: v for k, v in current.items() if v})

    return {
        "groups": [
            {"label": label, "url": link(group=value), "on": filters.group == value}
            for value, label in SupportGroup.choices
        ],
        "any_group": link(group=""),
        "tag_clear": link(tag=""),
        "bulk": {
            "agents": workflow.assignable_staff(),
            "statuses": [c for c in TicketStatus.choices if c[0] != TicketStatus.NEW],  # nothing goes back
            "groups": SupportGroup.choices,
            "max": workflow.BULK_MAX,
        },
    }


def _back(request):
    return redirect(safe_next(request, request.POST.get("next"), "console:tickets"))


@require_POST
@permission_required(roles.is_staff)
def tickets_bulk(request):
    """One bulk change to the questions ticked on the queue page ("all" ticked: every question listed
    on it). Reports how many changed and each refusal with its reason."""
    action = request.POST.get("action", "")
    numbers = request.POST.getlist("page_number" if request.POST.get("all") == "1" else "number")
    try:
        value = workflow.bulk_value(
            action=action, actor=request.user, raw=request.POST.get(BULK_FIELDS.get(action, ""), "")
        )
        result = workflow.tickets_bulk_change(actor=request.user, numbers=numbers, action=action, value=value)
    except DomainError as error:  # nothing selected, too many, a bad value: nothing changed
        messages.error(request, error.message)
        return _back(request)
    summary = _("%(changed)s changed · %(unchanged)s unchanged · %(refused)s refused") % {
        "changed": len(result.changed),
        "unchanged": len(result.unchanged),
        "refused": len(result.refused),
    }
    (messages.success if result.changed and not result.refused else messages.warning)(request, summary)
    for number, reason in result.refused[:REFUSALS_SHOWN]:
        messages.error(request, _("%(number)s: %(reason)s") % {"number": number, "reason": reason})
    if len(result.refused) > REFUSALS_SHOWN:
        messages.error(request, _("… and %(n)s more refused.") % {"n": len(result.refused) - REFUSALS_SHOWN})
    if result.missing:
        messages.warning(request, _("%(n)s selected questions no longer exist.") % {"n": result.missing})
    return _back(request)


def _ticket(number):
    ticket = ticket_selectors.ticket_for_staff(number=number)
    if ticket is None:
        raise Http404
    return ticket


def _to_ticket(ticket):
    return redirect("console:ticket", number=ticket.number)


@require_POST
@permission_required(roles.is_staff)
def ticket_tags(request, number):
    """Add tags (several, comma-separated) to a question."""
    ticket = _ticket(number)
    try:
        added = workflow.ticket_tags_add(
            ticket=ticket, actor=request.user, names=workflow.tag_names_parse(request.POST.get("tags", ""))
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tags added.") if added else _("The question already has these tags."))
    return _to_ticket(ticket)


@require_POST
@permission_required(roles.is_staff)
def ticket_tag_remove(request, number):
    ticket = _ticket(number)
    try:
        workflow.ticket_tag_remove(ticket=ticket, actor=request.user, name=request.POST.get("tag", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tag removed."))
    return _to_ticket(ticket)


@require_POST
@permission_required(roles.is_staff)
def ticket_group(request, number):
    """Move a question to another group (the new team's round robin takes it over)."""
    ticket = _ticket(number)
    try:
        workflow.ticket_group_set(ticket=ticket, actor=request.user, group=request.POST.get("group", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Moved to the group."))
    return _to_ticket(ticket)
