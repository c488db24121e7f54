"""The reply-time policy file reads and names only known calendars (okpay.E021)."""

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def reply_time_policy_valid(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    from . import policy

    try:
        policy.rules()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="docs/policies.md, “Reply times”", id="okpay.E021")]
    return []
