from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "okpay.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from okpay.bot.registry import bot_action_register

        from . import bot_actions

        bot_action_register("reset_password", bot_actions.reset_password)
        bot_action_register("lost_device", bot_actions.lost_device)
