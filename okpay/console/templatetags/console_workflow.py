"""The question page's tags and group panel: `{% ticket_workflow ticket %}`."""

from django import template

from okpay.tickets.choices import SupportGroup
from okpay.tickets.workflow import TAG_MAX_LENGTH

register = template.Library()


@register.inclusion_tag("console/_ticket_workflow.html", takes_context=True)
def ticket_workflow(context, ticket) -> dict:
    return {
        "ticket": ticket,
        "tags": list(ticket.tags.all()),
        "groups": SupportGroup.choices,
        "tag_max": TAG_MAX_LENGTH,
        "csrf_token": context.get("csrf_token"),
    }
