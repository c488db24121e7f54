from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "okpay.payouts"
    label = "payouts"
