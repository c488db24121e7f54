from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "okpay.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401  (registers the reply-time policy check)
        from .models import Ticket
        from .selectors import queue_changed

        post_save.connect(queue_changed, sender=Ticket, dispatch_uid="tickets-queue-changed")
        post_delete.connect(queue_changed, sender=Ticket, dispatch_uid="tickets-queue-deleted")
