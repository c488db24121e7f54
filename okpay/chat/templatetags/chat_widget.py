"""The customer chat widget's configuration: its UI strings (in the page's language), the API and
websocket addresses, the chat channel's service hours and who is asking — one JSON data block that
static/js/chat/widget.js reads (no strings in the JS, no inline script)."""

import json

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from okpay.core import i18n

register = template.Library()

_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _strings() -> dict:
    """Every text the widget shows; %(name)s placeholders are filled in by the script."""
    return {
        "title": gettext("Ask OKPay"),
        "close": gettext("Close the chat window"),
        "intro_hours": gettext(
            "Our answer bot replies at once, day and night. People from our team answer in this chat "
            "from %(opens)s to %(closes)s (China time); outside those hours your chat becomes a "
            "question and we reply by email."
        ),
        "intro_always": gettext(
            "Our answer bot replies at once, day and night. Ask for a person at any time; if nobody is "
            "free, your chat becomes a question and we reply by email."
        ),
        "placeholder": gettext("Type your message"),
        "message_label": pgettext("chat composer", "Your chat message"),
        "send": pgettext("chat composer", "Send"),
        "talk_to_person": gettext("Talk to a person"),
        "end_chat": gettext("End chat"),
        "leave_queue": gettext("Leave the queue"),
        "you": gettext("You"),
        "bot": gettext("OKPay answer bot"),
        "agent": gettext("Agent"),
        "system": pgettext("chat sender", "Notice"),
        "queue_position": gettext("You are number %(position)s in the queue."),
        "wait_minutes": gettext("Estimated wait: about %(minutes)s min."),
        "wait_soon": gettext("An agent will be with you shortly."),
        "with_agent": gettext("You are chatting with %(name)s."),
        "typing_agent": gettext("%(name)s is typing…"),
        "mark_pending": pgettext("chat message mark", "Sending…"),
        "mark_sent": pgettext("chat message mark", "Sent"),
        "mark_delivered": pgettext("chat message mark", "Delivered"),
        "mark_read": pgettext("chat message mark", "Read"),
        "mark_failed": gettext("Not sent yet: we will try again."),
        "reconnecting": gettext("Connection lost. Reconnecting…"),
        "polling": gettext("Live connection unavailable: checking for new messages every few seconds."),
        "nobody_free": gettext(
            "Nobody from our team can take a chat right now: it is outside our chat hours or everyone "
            "is busy. Leave your email address and your chat becomes a question; we reply by email."
        ),
        "email_label": gettext("Your email address"),
        "email_send": gettext("Send to our team"),
        "ticket_made": gettext("Your chat is now question %(number)s."),
        "ticket_link": gettext("View the question"),
        "read_article": gettext("Read the article"),
        "rate_prompt": gettext("How did we do? Rate this chat"),
        "rate_score": gettext("%(score)s of 5"),
        "rate_thanks": gettext("Thank you for your rating."),
        "new_chat": gettext("Start a new chat"),
        "submit_question": gettext("Submit a question"),
        "error": gettext("Something went wrong. Please try again."),
        "transcript": gettext("Email me this chat"),
        "transcript_send": gettext("Send the chat"),
        "transcript_email_label": gettext("Email address to send the chat to"),
        "transcript_sent": gettext("We emailed this chat to %(email)s."),
        "transcript_link_sent": gettext(
            "We emailed %(email)s a link to read this chat; it works for %(days)s days."
        ),
        "attach": gettext("Send a file"),
        "attach_rules": gettext("Send a screenshot or document: JPG, PNG, PDF or TXT, up to %(size)s."),
        "file_type": gettext("This type of file is not accepted. Allowed: %(types)s."),
        "file_size": gettext("The file is too large: the limit is %(limit)s."),
    }


def _files() -> dict:
    """What the widget may send (the questions' upload rules), checked again by the server."""
    from okpay.core.uploads import size_text
    from okpay.tickets.forms import attachment_extensions, attachment_max_bytes

    extensions = attachment_extensions()
    return {
        "accept": ",".join(extensions),
        "extensions": extensions,
        "max_bytes": attachment_max_bytes(),
        "max_size": str(size_text(attachment_max_bytes())),
    }


@register.simple_tag(takes_context=True)
def chat_widget_config(context):
    from okpay.chat import routing

    request = context.get("request")
    user = getattr(request, "user", None)
    hours = routing.service_hours()
    config = {
        "language": i18n.current(),
        "signed_in": bool(getattr(user, "is_authenticated", False)),
        "csrf": str(context.get("csrf_token", "")),
        "api": "/api/v1/chat/",
        "ws": "/ws/chat/",
        "ticket_url": reverse("tickets:detail", args=["NUMBER"]),
        "question_url": reverse("tickets:new") + "?from=bot",
        "hours": [hours[0].strftime("%H:%M"), hours[1].strftime("%H:%M")] if hours else None,
        "guest_cookie": settings.OKPAY_CHAT_GUEST_COOKIE,
        "files": _files(),
        "transcript_link_days": settings.OKPAY_CHAT_TRANSCRIPT_LINK_DAYS,
        "strings": _strings(),
    }
    data = json.dumps(config, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html(
        '<script type="application/json" id="chat-config" nonce="{}">{}</script>',
        str(context.get("csp_nonce", "")),
        mark_safe(data),  # noqa: S308 - JSON with <, > and & escaped: safe inside a script element
    )
