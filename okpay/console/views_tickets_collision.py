"""The collision notice on a console question page (issue 15): agents with the same question open see each
other live (who is viewing, who is typing a reply: tickets.presence, polled by
static/js/console_ticket_presence.js), and a reply written on a page that is out of date — someone replied,
added a note or changed the status since it loaded — is not sent: the page comes back with what is new,
the draft kept, a warning and a "Send anyway" button.

The reply form carries what the page showed (`seen_message`: the newest message's id, `seen_status`:
the status; templatetags/console_collision.reply_markers)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.tickets import merge as ticket_merge_module
from okpay.tickets import presence
from okpay.tickets.choices import TicketStatus
from okpay.tickets.forms import AgentReplyForm
from okpay.tickets.models import Ticket, TicketMessage

from . import views_tickets
from .views_tickets import _moves, _render, _ticket

NEWER_SHOWN = 10


def _marker(value) -> int | None:
    """The newest message id the page showed; None when missing or malformed (no check then)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def changes_since(*, ticket: Ticket, seen_message: int | None, seen_status: str, user) -> dict:
    """What others did since the page was loaded: their newer messages (customer, agents, notes, system)
    and the status the page showed, if it has changed. The agent's own messages do not count."""
    newer = (
        list(
            TicketMessage.objects.filter(ticket=ticket, pk__gt=seen_message)
            .exclude(author=user)
            .select_related("author")
            .order_by("created_at", "id")
        )
        if seen_message is not None
        else []
    )
    status_changed = seen_status in TicketStatus.values and seen_status != ticket.status
    return {
        "messages": newer,
        "status_from": dict(TicketStatus.choices)[seen_status] if status_changed else "",
        "status_to": ticket.get_status_display() if status_changed else "",
        "stale": bool(newer) or status_changed,
    }


def _changes_text(changes: dict) -> str:
    parts = []
    if changes["messages"]:
        n = len(changes["messages"])
        parts.append(
            ngettext(
                "%(count)d new message arrived since you opened this question.",
                "%(count)d new messages arrived since you opened this question.",
                n,
            )
            % {"count": n}
        )
    if changes["status_from"]:
        parts.append(
            _("The status changed from “%(old)s” to “%(new)s”.")
            % {"old": changes["status_from"], "new": changes["status_to"]}
        )
    return " ".join(parts)


@require_POST
@permission_required(roles.is_staff)
def ticket_presence(request, number):
    """An agent's page reports (every ~5 s): it is open, typing or not, and what it showed. The answer:
    the other agents on this question and what changed since the page loaded, as texts to show."""
    ticket = _ticket(number)
    if request.POST.get("leave") == "1":
        presence.viewer_leave(ticket_id=ticket.pk, user=request.user)
        return JsonResponse({"viewers": [], "stale": False})
    presence.viewer_report(ticket_id=ticket.pk, user=request.user, typing=request.POST.get("typing") == "1")
    others = presence.viewers(ticket_id=ticket.pk, exclude_user_id=request.user.pk)
    changes = changes_since(
        ticket=ticket,
        seen_message=_marker(request.POST.get("seen_message")),
        seen_status=(request.POST.get("seen_status") or "")[:12],
        user=request.user,
    )
    return JsonResponse(
        {
            "viewers": [
                {
                    "name": viewer["name"],
                    "typing": viewer["typing"],
                    "text": (
                        _("%(name)s is typing a reply…")
                        if viewer["typing"]
                        else _("%(name)s is also viewing")
                    )
                    % {"name": viewer["name"]},
                }
                for viewer in others
            ],
            "stale": changes["stale"],
            "stale_text": (
                _changes_text(changes) + " " + _("Reload the page to see what changed; your draft is kept.")
                if changes["stale"]
                else ""
            ),
        }
    )


@require_POST
@permission_required(roles.is_staff)
def ticket_reply_checked(request, number):
    """The console page's reply: sent as usual (views_tickets.ticket_reply) unless the page was out of
    date; then nothing is sent or written, and the page shows what changed with the draft kept."""
    ticket = _ticket(number)
    if ticket.merged_into_id is not None:
        destination = ticket_merge_module.merge_destination(ticket)
        if destination is not None:  # the conversation continues there: the draft goes with it
            form = AgentReplyForm(request.POST, **_moves(request, destination))
            form.is_valid()
            form.collision = {
                "text": _(
                    "Question %(old)s was merged into %(new)s while you were writing. Your reply was not "
                    "sent: it is here, on %(new)s."
                )
                % {"old": ticket.number, "new": destination.number},
                "messages": [],
            }
            return _render(request, destination, form, status=409)
    if request.POST.get("send_anyway") != "1":
        changes = changes_since(
            ticket=ticket,
            seen_message=_marker(request.POST.get("seen_message")),
            seen_status=(request.POST.get("seen_status") or "")[:12],
            user=request.user,
        )
        if changes["stale"]:
            form = AgentReplyForm(request.POST, **_moves(request, ticket))
            form.is_valid()
            form.collision = {
                "text": _changes_text(changes),
                "messages": changes["messages"][-NEWER_SHOWN:],
            }
            return _render(request, ticket, form, status=409)
    return views_tickets.ticket_reply(request, number)
