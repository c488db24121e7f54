from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "okpay.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from okpay.console.registry import ConsolePage, console_page_register
        from okpay.core.demo import demo_step_register

        def queue_status() -> str:
            from django.utils.translation import gettext

            from .selectors import queue_counts

            counts = queue_counts()
            text = gettext("%(active)s waiting for us") % counts
            return text + (" · " + gettext("%(overdue)s overdue") % counts if counts["overdue"] else "")

        console_page_register(
            ConsolePage(
                key="tickets",
                title=_("Tickets"),
                url_name="console:tickets",
                roles=frozenset({"agent", "supervisor", "admin"}),
                order=5,
                status=queue_status,
            )
        )

        def demo_tickets():
            from .demo import tickets_demo_load

            return tickets_demo_load()

        demo_step_register(40, "tickets", demo_tickets)
