from django.apps import AppConfig


class HelpcenterConfig(AppConfig):
    name = "okpay.helpcenter"
    label = "helpcenter"
