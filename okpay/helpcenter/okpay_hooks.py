"""What the help center plugs into core's extension points (okpay.core.hooks)."""

from django.utils.translation import gettext_lazy as _

from okpay.accounts import roles
from okpay.core import hooks

from .audit_labels import AUDIT_LABELS


def _load_content():
    from .shipped import content_load

    counts = content_load()
    return "help center: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + " added"


def _editors_group():
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


def _api_router():
    from .api import router

    return router


def _warm_up():
    from .search import warm_up

    warm_up()


hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="help",
        title=_("Help center articles"),
        url_name="console:help_list",
        permission=roles.can_edit_help,
    ),
    order=50,
)
hooks.register(
    hooks.CONSOLE_PAGES,
    hooks.ConsolePage(
        key="help_report",
        title=_("Help center report"),
        url_name="console:help_report",
        permission=roles.can_edit_help,
    ),
    order=51,
)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("helpcenter", _load_content), order=10)
hooks.register(hooks.DEMO_STEPS, hooks.DemoStep("helpcenter-editors", _editors_group), order=11)
hooks.register(hooks.API_ROUTERS, _api_router, order=20)
hooks.register(hooks.WARM_UPS, _warm_up, order=10)
hooks.register(hooks.AUDIT_LABELS, AUDIT_LABELS)
