from django import template

from okpay.bot import catalog, choices
from okpay.bot.selectors import box_history, box_questions

register = template.Library()


@register.filter
def intent_label(name):
    """`{{ turn.intent|intent_label }}`: the intent's label in the reader's language ("" for none)."""
    return catalog.intent_label(name)


@register.filter
def correction_status_label(value):
    """`{{ turn.correction_status|correction_status_label }}`: proposed, accepted or rejected, in words."""
    return choices.correction_status_label(value)


@register.simple_tag(takes_context=True)
def bot_history(context):
    request = context.get("request")
    # error pages can render before the session or authentication middleware ran (a bad Host header)
    if request is None or not hasattr(request, "session") or not hasattr(request, "user"):
        return []
    return box_history(request)


@register.simple_tag(takes_context=True)
def bot_questions(context):
    """The numbers of the questions this browser's conversation was handed off as."""
    request = context.get("request")
    if request is None or not hasattr(request, "session") or not hasattr(request, "user"):
        return []
    return box_questions(request)
