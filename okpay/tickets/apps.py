from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "okpay.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the reply-time policy check)
