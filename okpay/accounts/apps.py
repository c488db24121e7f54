from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "okpay.accounts"
    label = "accounts"
