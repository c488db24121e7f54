from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "okpay.core"
    label = "core"
