"""The customer's pages of live chat outside the widget: a chat's transcript opened from the link that
"email me this transcript" sends to an address we have not confirmed."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from okpay.core import i18n

from . import actions


@require_GET
def transcript(request, token: str):
    conversation = actions.transcript_from_token(token)
    if conversation is None:
        return render(
            request,
            "chat/transcript_invalid.html",
            {"link_days": settings.OKPAY_CHAT_TRANSCRIPT_LINK_DAYS},
            status=404,
        )
    rows = actions.transcript_rows(conversation, language=i18n.current())
    response = render(request, "chat/transcript.html", {"conversation": conversation, "rows": rows})
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
