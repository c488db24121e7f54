from django import template

from okpay.bot.selectors import box_history

register = template.Library()


@register.simple_tag(takes_context=True)
def bot_history(context):
    request = context.get("request")
    return box_history(request) if request is not None and hasattr(request, "session") else []
