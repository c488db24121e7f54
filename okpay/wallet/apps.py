from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "okpay.wallet"
    label = "wallet"
    verbose_name = _("Wallet")

    def ready(self):
        from okpay.console.registry import ConsolePage, console_page_register
        from okpay.core.demo import demo_step_register

        console_page_register(
            ConsolePage(
                key="customers",
                title=_("Customers (360)"),
                url_name="console:customers",
                roles=frozenset({"agent", "supervisor", "admin"}),
                order=10,
            )
        )
        console_page_register(
            ConsolePage(
                key="reviews",
                title=_("Compliance review queue"),
                url_name="console:reviews",
                roles=frozenset({"supervisor", "admin"}),
                order=20,
            )
        )

        def demo_wallet():
            from .demo import wallet_demo_load

            return wallet_demo_load()

        demo_step_register(20, "wallet", demo_wallet)

        from okpay.bot.registry import bot_action_register

        from . import bot_actions

        for key in ("charged_twice", "recent_payments", "balances", "exchange_rate"):
            bot_action_register(key, getattr(bot_actions, key))
