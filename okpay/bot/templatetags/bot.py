from django import template

from okpay.bot.selectors import box_history

register = template.Library()


@register.simple_tag(takes_context=True)
def bot_history(context):
    request = context.get("request")
    # error pages can render before the session or authentication middleware ran (a bad Host header)
    if request is None or not hasattr(request, "session") or not hasattr(request, "user"):
        return []
    return box_history(request)
