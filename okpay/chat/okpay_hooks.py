"""What live chat plugs into core's extension points (okpay.core.hooks): its API router, its
websocket route (ws/chat/), its console pages (the agents' inbox, the supervisors' dashboard), its
audit labels, the upload limit of its file endpoints and the sweeps' periodic job (sweeps.py)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _api_router():
    from .api import router

    return router


def _consumer():
    from .consumers import ChatConsumer

    return ChatConsumer.as_asgi()


def _inbox_status() -> str:
    from django.utils.translation import gettext, ngettext

    from .selectors import waiting_summary

    summary = waiting_summary()
    text = gettext("%(waiting)s waiting") % summary
    if summary["waiting"]:
        text += (
            " · "
            + ngettext(
                "longest %(longest_minutes)s min",
                "longest %(longest_minutes)s min",
                summary["longest_minutes"],
            )
            % summary
        )
    return text


def _file_body_limit() -> int:
    from django.conf import settings

    from okpay.tickets.forms import attachment_max_bytes

    return attachment_max_bytes() + settings.OKPAY_UPLOAD_FORM_MARGIN_BYTES


hooks.register(hooks.API_ROUTERS, _api_router, order=60)
hooks.register(
    hooks.BODY_LIMITS,
    hooks.BodyLimit(r"/api/v1/chat/(agent/)?conversations/[^/]+/files", _file_body_limit),
)
hooks.register(hooks.WEBSOCKET_ROUTES, path("ws/chat/", _consumer()))
hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="chat",
        title=_("Live chat"),
        url_name="console:chat_inbox",
        permission=roles.is_staff,
        status=_inbox_status,
    ),
    order=4,
)
hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="chat_dashboard",
        title=_("Live chat dashboard"),
        url_name="console:chat_dashboard",
        permission=roles.is_supervisor,
    ),
    order=6,
)
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)


def _sweep_schedule():
    from .sweeps import chat_sweep_schedule

    return chat_sweep_schedule()


hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("chat sweep", _sweep_schedule))


def _agent_availability(*, group: str) -> list[hooks.AvailableAgent]:
    """Who may take a new question of `group` now: online staff serving it (an agent's presence with no
    groups serves every group), with the languages they set (away and offline agents are not listed)."""
    from .routing import online_presences, serving_group

    return [
        hooks.AvailableAgent(user_id=presence.user_id, languages=tuple(presence.languages or ()))
        for presence in serving_group(online_presences(), group=group)
    ]


hooks.register(hooks.AGENT_AVAILABILITY, _agent_availability)
