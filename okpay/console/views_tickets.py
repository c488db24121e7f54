"""The ticket queue and one ticket: thread, customer, context, reply or note, assignment, status."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.bot.selectors import conversation_turns
from okpay.core.audit import audit_event_record
from okpay.core.errors import DomainError
from okpay.helpcenter.selectors import article_by_key_for_language
from okpay.tickets import actions as ticket_actions
from okpay.tickets import selectors as ticket_selectors
from okpay.tickets.choices import TicketChannel, TicketStatus
from okpay.tickets.forms import AgentReplyForm, MacroForm, PriorityForm, StatusForm
from okpay.tickets.merge import merge_destination
from okpay.tickets.models import Macro
from okpay.wallet import selectors as wallet_selectors
from okpay.wallet import selectors_staff

from . import views_tickets_workflow


def _with_labels(rows) -> None:
    """Each row's topic, channel, status and priority label, from one translated map per field for
    the whole page (get_FOO_display translates the lazy label again for every row: ~0.12 ms each, four
    a row)."""
    from okpay.tickets.models import Ticket

    fields = {name: Ticket._meta.get_field(name) for name in ("topic", "channel", "status", "priority")}
    maps = {
        name: {value: str(label) for value, label in getattr(field, "choices", None) or ()}
        for name, field in fields.items()
    }
    for row in rows:
        row.labels = {
            name: labels.get(getattr(row, name), getattr(row, name)) for name, labels in maps.items()
        }


@permission_required(roles.is_staff)
def tickets(request):
    """The queue: a view (open, mine, unassigned, breaching soon, all) with status and channel filters
    and search, 50 at a time (keyset: ?after=), each tab with its capped count."""
    filters = ticket_selectors.QueueFilters.parse(request.GET)
    page = ticket_selectors.queue_page(filters, user=request.user, after=request.GET.get("after", ""))
    params = {
        k: v
        for k, v in (
            ("view", filters.view),
            ("status", filters.status),
            ("channel", filters.channel),
            ("group", filters.group),
            ("tag", filters.tag),
            ("q", filters.query),
        )
        if v
    }
    _with_labels(page.rows)
    return render(
        request,
        "console/tickets.html",
        {
            "tickets": page.rows,
            "next_query": urlencode({**params, "after": page.next_after}) if page.next_after else "",
            "first_page": bool(request.GET.get("after")),
            "filters": filters,
            "tabs": _tabs(filters, ticket_selectors.queue_tab_counts(filters, user=request.user)),
            **ticket_selectors.queue_header_figures(),  # overdue, satisfaction
            **views_tickets_workflow.queue_workflow_context(filters),  # groups, tag filter, bulk bar
        },
    )


def _tabs(filters, counts) -> dict:
    """Each tab's label, count and link (the other filters kept)."""
    labels = {
        "open": _("Waiting for us"),
        "mine": _("Mine"),
        "unassigned": _("Unassigned"),
        "breaching": _("Breaching soon"),
        "all": _("All"),
    }

    def link(**change) -> str:
        current = {"view": filters.view, "status": filters.status, "channel": filters.channel}
        current.update(group=filters.group, tag=filters.tag)
        current.update(change)
        return "?" + urlencode({k: v for k, v in current.items() if v})

    return {
        "views": [
            {"label": labels[v], "count": counts["views"][v], "url": link(view=v), "on": filters.view == v}
            for v in ticket_selectors.VIEWS
        ],
        "statuses": [
            {
                "label": label,
                "count": counts["statuses"][value],
                "url": link(status=value),
                "on": filters.status == value,
            }
            for value, label in TicketStatus.choices
        ],
        "channels": [
            {
                "label": label,
                "count": counts["channels"][value],
                "url": link(channel=value),
                "on": filters.channel == value,
            }
            for value, label in TicketChannel.choices
        ],
        "any_status": link(status=""),
        "any_channel": link(channel=""),
    }


def _ticket(number):
    ticket = ticket_selectors.ticket_for_staff(number=number)
    if ticket is None:
        raise Http404
    return ticket


def _moves(request, ticket) -> dict:
    """The status select's options: the question's status and the moves open to this user."""
    return {
        "current": ticket.status,
        "targets": ticket_actions.ticket_transition_targets(ticket=ticket, actor=request.user),
    }


def _reply_form(request, ticket) -> AgentReplyForm:
    """The reply box, filled from a saved reply when one is chosen (?macro=)."""
    macro = (
        ticket_selectors.macros_in_use().filter(pk=request.GET.get("macro") or 0).first()
        if (request.GET.get("macro") or "").isdigit()
        else None
    )
    if macro is None:
        return AgentReplyForm(**_moves(request, ticket))
    return AgentReplyForm(
        initial={"body": macro.render(ticket), "status": macro.status_after}, **_moves(request, ticket)
    )


def _render(request, ticket, form=None, status=200):
    article = (
        article_by_key_for_language(key=ticket.article_key, language=request.LANGUAGE_CODE)
        if ticket.article_key
        else None
    )
    others = (
        ticket_selectors.tickets_for_customer(user=ticket.requester).exclude(pk=ticket.pk)[:10]
        if ticket.requester_id
        else []
    )
    glance = None
    if (
        ticket.requester_id
    ):  # the customer's account at a glance; a look at account data is audited, as in 360
        audit_event_record(
            action="console.customer_viewed",
            actor=request.user,
            subject_user=ticket.requester,
            data={"ticket": ticket.number},
        )
        glance = {
            "balances": wallet_selectors.balances_for(user=ticket.requester),
            "transactions": selectors_staff.recent_transactions(user=ticket.requester, limit=5),
        }
    return render(
        request,
        "console/ticket_detail.html",
        {
            "ticket": ticket,
            "thread": ticket_selectors.all_messages(ticket),
            "article": article,
            "others": others,
            "glance": glance,
            "form": form or _reply_form(request, ticket),
            # each saved reply's text for this question, so the page inserts it at the cursor without a
            # reload (static/js/console_tickets.js); ?macro= stays the no-script way
            "macros": [(macro, macro.render(ticket)) for macro in ticket_selectors.macros_in_use()],
            "status_form": StatusForm(initial={"status": ticket.status}, **_moves(request, ticket)),
            "priority_form": PriorityForm(initial={"priority": ticket.priority}),
            "staff_view": True,
            "rating": ticket_selectors.rating_for(ticket),
            # the answer bot's conversation that handed over, in this agent's language and time zone
            "bot_turns": conversation_turns(ticket.bot_conversation),
        },
        status=status,
    )


@permission_required(roles.is_staff)
def ticket_detail(request, number):
    ticket = _ticket(number)
    if ticket.merged_into_id is not None:  # a duplicate merged into another (tickets.merge): go there
        destination = merge_destination(ticket)
        if destination is not None:
            messages.info(
                request,
                _("Question %(old)s was merged into %(new)s.")
                % {"old": ticket.number, "new": destination.number},
            )
            return redirect("console:ticket", number=destination.number)
    return _render(request, ticket)


@require_POST
@permission_required(roles.is_staff)
def ticket_reply(request, number):
    ticket = _ticket(number)
    form = AgentReplyForm(request.POST, **_moves(request, ticket))
    if not form.is_valid():
        return _render(request, ticket, form, status=400)
    data = form.cleaned_data
    try:
        ticket_actions.ticket_agent_reply(
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            internal=data["internal"],
            status=data["status"] or None,
        )
    except DomainError as error:  # e.g. the question moved meanwhile: nothing was written or sent
        form.add_error("status", error.message)
        return _render(request, _ticket(number), form, status=error.status)
    messages.success(
        request, _("Note saved.") if data["internal"] else _("Reply sent to the customer by email.")
    )
    return redirect("console:ticket", number=ticket.number)


def _one_field_change(request, number, form_class, field, action, done, invalid, **form_options):
    """A one-select form (status, priority): apply it through `action(ticket=…, actor=…, <field>=…)`;
    a refusal (DomainError) is shown on the page and changes nothing."""
    ticket = _ticket(number)
    form = form_class(request.POST, **form_options)
    if form.is_valid():
        try:
            action(ticket=ticket, actor=request.user, **{field: form.cleaned_data[field]})
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    else:
        messages.error(request, invalid)
    return redirect("console:ticket", number=ticket.number)


@require_POST
@permission_required(roles.is_staff)
def ticket_status(request, number):
    return _one_field_change(
        request,
        number,
        StatusForm,
        "status",
        ticket_actions.ticket_status_set,
        _("Status changed."),
        _("Choose a valid status."),
    )  # any status a move leads to is accepted here; ticket_transition refuses the moves not allowed


@require_POST
@permission_required(roles.is_staff)
def ticket_assign(request, number):
    ticket = _ticket(number)
    if request.POST.get("to") not in ("me", "queue"):
        messages.error(request, _("Choose whom to assign it to."))
        return redirect("console:ticket", number=ticket.number)
    assignee = request.user if request.POST["to"] == "me" else None
    ticket_actions.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)
    messages.success(request, _("Assigned to you.") if assignee else _("Back in the shared queue."))
    return redirect("console:ticket", number=ticket.number)


@require_POST
@permission_required(roles.is_staff)
def ticket_priority(request, number):
    return _one_field_change(
        request,
        number,
        PriorityForm,
        "priority",
        ticket_actions.ticket_priority_set,
        _("Priority changed."),
        _("Choose a valid priority."),
    )


@permission_required(roles.can_manage_macros)
def macros(request):
    return render(request, "console/macros.html", {"macros": Macro.objects.all()})


@permission_required(roles.can_manage_macros)
def macro_edit(request, macro_id=None):
    macro = get_object_or_404(Macro, pk=macro_id) if macro_id else None
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST" and form.is_valid():
        ticket_actions.macro_save(actor=request.user, macro=macro, **form.cleaned_data)
        messages.success(request, _("Saved reply stored."))
        return redirect("console:macros")
    return render(
        request,
        "console/macro_edit.html",
        {"form": form, "macro": macro},
        status=400 if request.method == "POST" else 200,
    )
