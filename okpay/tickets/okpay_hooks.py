"""What questions (tickets) plug into core's extension points (okpay.core.hooks)."""

from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _queue_status() -> str:
    from django.utils.translation import gettext

    from .selectors import queue_counts

    counts = queue_counts()
    text = gettext("%(active)s waiting for us") % counts
    return text + (" · " + gettext("%(overdue)s overdue") % counts if counts["overdue"] != "0" else "")


def _demo_tickets():
    from .demo import tickets_demo_load

    return tickets_demo_load()


def _sweep_schedule():
    from .tasks import tickets_sweep_schedule

    return tickets_sweep_schedule()


def _imap_poll_schedule():
    from .tasks import tickets_imap_poll_schedule

    return tickets_imap_poll_schedule()


def _api_router():
    from .api import router

    return router


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="tickets",
        title=_("Tickets"),
        url_name="console:tickets",
        permission=roles.is_staff,
        status=_queue_status,
    ),
    order=5,
)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("tickets", _demo_tickets), order=40)
hooks.register(hooks.API_ROUTERS, _api_router, order=50)
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("tickets sweep", _sweep_schedule))
hooks.register(hooks.WORKER_SCHEDULES, hooks.Schedule("tickets IMAP poll", _imap_poll_schedule))


def _callback_request(user, language):
    """The bot's answer to "请给我回电话 / call me back" (intent action "callback_request"): the phone
    hours and a link to the callback form (phone.py owns both)."""
    from django.urls import reverse
    from django.utils import translation

    from .phone import phone_hours

    with translation.override(language):
        hours = phone_hours()
        if hours is None:
            return hooks.ActionResult(
                text=str(_("Callbacks are not available at the moment. Please submit a question instead.")),
                links=[hooks.ActionLink(label=str(_("Submit a question")), url=reverse("tickets:new"))],
            )
        return hooks.ActionResult(
            text=str(_("Choose a time and we call you back: %(hours)s.") % {"hours": hours.hours_text()}),
            items=[str(_("Our numbers: %(numbers)s")) % {"numbers": " · ".join(hours.numbers)}]
            if hours.numbers
            else [],
            links=[hooks.ActionLink(label=str(_("Request a callback")), url=reverse("tickets:callback"))],
        )


hooks.register(hooks.BOT_ACTIONS, hooks.BotAction("callback_request", _callback_request))


def _demo_phone():
    from .phone_demo import phone_demo_load

    return phone_demo_load()


hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("phone", _demo_phone), order=41)


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="ticket_reports",
        title=_("Question reports"),
        url_name="console:ticket_reports",
        permission=roles.is_staff,  # an agent sees the team's figures and their own (tickets.reports)
    ),
    order=7,
)


def _demo_every_channel():
    from .demo import every_channel_demo_load

    return every_channel_demo_load()


# after the phone step (it takes the even phone-hour slots; this one the odd ones)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("tickets-every-channel", _demo_every_channel), order=42)
