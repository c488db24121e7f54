from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "okpay.console"
    label = "console"
