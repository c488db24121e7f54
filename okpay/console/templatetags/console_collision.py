"""`{% reply_markers ticket %}`: what the question page showed, carried by its reply form and read by the
presence script, so a reply written on an out-of-date page is caught (console.views_tickets_collision)."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def reply_markers(ticket) -> str:
    newest = ticket.messages.order_by("-id").values_list("id", flat=True).first() or 0
    return format_html(
        '<input type="hidden" name="seen_message" value="{}">'
        '<input type="hidden" name="seen_status" value="{}">',
        newest,
        ticket.status,
    )
