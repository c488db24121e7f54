from django.db import models
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    MERCHANT = "merchant", _("Merchant")
    AGENT = "agent", _("Support agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class Language(models.TextChoices):
    """A language of the product: Simplified Chinese or English."""

    ZH_HANS = i18n.ZH, "简体中文"  # the codes are okpay.core.i18n's
    EN = i18n.EN, "English"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")
