from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "okpay.disputes"
    label = "disputes"
