"""Merging a duplicate question into another from the console (issue 15, tickets.merge): the question
page's "Merge into…" box takes the other question's number, a confirmation page shows both questions
(subject, customer, status, what they hold) and the merge happens only when confirmed there."""

import re
import unicodedata

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.core.errors import DomainError
from okpay.tickets import merge as ticket_merge_module
from okpay.tickets import selectors as ticket_selectors
from okpay.tickets.mailthread import NUMBER_TEXT

from .views_tickets import _ticket

NUMBER = re.compile(NUMBER_TEXT)


def _number_read(value: str) -> str | None:
    """A question number as typed ("q-abc2345", full-width, spaces around): Q-XXXXXXX, or None."""
    text = unicodedata.normalize("NFKC", (value or "")[:40]).strip().upper().replace(" ", "")
    if text and not text.startswith("Q-"):
        text = "Q-" + text.removeprefix("Q")
    return text if NUMBER.fullmatch(text) else None


def _number_html(number: str) -> str:
    return format_html('<span class="nowrap">{}</span>', number)


@permission_required(roles.is_staff)
def ticket_merge(request, number):
    """GET ?into=Q-…: the confirmation page (both questions, or why they cannot be merged).
    POST into=Q-…: merge this question into that one, then show that one."""
    source = _ticket(number)
    if source.merged_into_id is not None:
        destination = ticket_merge_module.merge_destination(source)
        if destination is not None:
            messages.info(
                request,
                _("Question %(old)s was merged into %(new)s.")
                % {"old": source.number, "new": destination.number},
            )
            return redirect("console:ticket", number=destination.number)
    data = request.POST if request.method == "POST" else request.GET
    typed = (data.get("into") or "").replace("\x00", "")[:40]
    target = None
    error = ""
    if typed.strip():
        into = _number_read(typed)
        target = ticket_selectors.ticket_for_staff(number=into) if into else None
        if into is None:
            error = _("Enter a question number like Q-ABC2345.")
        elif target is None:
            error = _("There is no question %(number)s.") % {"number": into}
        else:
            try:
                ticket_merge_module.ticket_merge_check(source=source, target=target, actor=request.user)
            except DomainError as refused:
                error = refused.message
    elif request.method == "POST" or "into" in request.GET:
        error = _("Enter the number of the question to merge this one into.")

    if request.method == "POST" and target is not None and not error:
        try:
            target = ticket_merge_module.ticket_merge(source=source, target=target, actor=request.user)
        except DomainError as refused:  # changed meanwhile (merged, closed): nothing was merged
            error = refused.message
        else:
            messages.success(
                request,
                _("Question %(old)s was merged into this one. Nobody was emailed.") % {"old": source.number},
            )
            return redirect("console:ticket", number=target.number)

    status = 200
    if error:
        status = 409 if target is not None else 400
    return render(
        request,
        "console/ticket_merge.html",
        {
            "source": ticket_merge_module.merge_preview(source),
            "target": ticket_merge_module.merge_preview(target) if target is not None else None,
            "can_merge": target is not None and not error,
            "typed": typed.strip(),
            # the numbers inside translated sentences, each kept on one line (Q-… never breaks at its hyphen)
            "source_number": _number_html(source.number),
            "target_number": _number_html(target.number) if target is not None else "",
            "error": error,
        },
        status=status,
    )
