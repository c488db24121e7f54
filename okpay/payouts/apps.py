from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "okpay.payouts"
    label = "payouts"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy check)
