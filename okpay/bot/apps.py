from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "okpay.bot"
    label = "bot"
