from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "okpay.tickets"
    label = "tickets"
