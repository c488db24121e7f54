from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "okpay.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help center")

    def ready(self):
        from okpay.console.registry import ConsolePage, console_page_register
        from okpay.core.demo import demo_step_register

        console_page_register(
            ConsolePage(
                key="help",
                title=_("Help center articles"),
                url_name="console:help_list",
                roles=frozenset({"supervisor", "admin"}),
                order=50,
                permission="helpcenter.change_article",
            )
        )
        console_page_register(
            ConsolePage(
                key="help_report",
                title=_("Help center report"),
                url_name="console:help_report",
                roles=frozenset({"supervisor", "admin"}),
                order=51,
                permission="helpcenter.change_article",
            )
        )

        def load_content():
            from .actions import content_load

            counts = content_load()
            return "help center: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + " added"

        demo_step_register(10, "helpcenter", load_content)

        def editors_group():
            from django.contrib.auth.models import Group, Permission

            from okpay.accounts.models import User

            group, _created = Group.objects.get_or_create(name="Help center editors")
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="helpcenter", codename__in=["add_article", "change_article"]
                )
            )
            agent = User.objects.filter(email="agent@example.com").first()
            if agent is not None:
                agent.groups.add(group)
            return "help center editors: agent@example.com"

        demo_step_register(11, "helpcenter-editors", editors_group)
