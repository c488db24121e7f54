from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "okpay.wallet"
    label = "wallet"
