from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "okpay.bot"
    label = "bot"
    verbose_name = _("Answer bot")

    def ready(self):
        from okpay.console.registry import ConsolePage, console_page_register
        from okpay.core.demo import demo_step_register

        console_page_register(
            ConsolePage(
                key="bot",
                title=_("Answer bot: conversations"),
                url_name="console:bot_turns",
                roles=frozenset({"agent", "supervisor", "admin"}),
                order=30,
            )
        )
        console_page_register(
            ConsolePage(
                key="bot_models",
                title=_("Answer bot: corrections and versions"),
                url_name="console:bot_models",
                roles=frozenset({"supervisor", "admin"}),
                order=31,
            )
        )

        def train_if_missing():
            """Queue the first training for the worker (≈ 3 min on two cores), so that `make run`
            serves at once; until it is active the bot hands every question to a person."""
            from django.conf import settings

            from .models import BotModelVersion
            from .tasks import bot_train_task

            if (
                not settings.OKPAY_BOT_TRAIN_ON_DEMO
                or BotModelVersion.objects.filter(is_active=True).exists()
            ):
                return None
            bot_train_task.enqueue()
            return "answer bot: first training queued for the worker (about 3 minutes)"

        demo_step_register(30, "bot", train_if_missing)
