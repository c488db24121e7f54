from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "okpay.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import (
            checks,  # noqa: F401 - registers the deploy checks
            hooks,
        )

        hooks.discover()  # every app's okpay_hooks.py fills the extension points
