from django.db import models
from django.utils.translation import gettext_lazy as _

from okpay.core import i18n


class ArticleKind(models.TextChoices):
    FAQ = "faq", _("FAQ")
    GUIDE = "guide", _("Guide")
    VIDEO = "video", _("Video tutorial")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# status → statuses it may move to (django-oscar's pipeline style)
STATUS_PIPELINE: dict[str, set[str]] = {
    ArticleStatus.DRAFT: {ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED},
    ArticleStatus.PUBLISHED: {ArticleStatus.DRAFT, ArticleStatus.ARCHIVED},
    ArticleStatus.ARCHIVED: {ArticleStatus.DRAFT, ArticleStatus.PUBLISHED},
}


class FeedbackReason(models.TextChoices):
    DID_NOT_ANSWER = "did_not_answer", _("It did not answer my question")
    UNCLEAR = "unclear", _("It is hard to understand")
    OUTDATED = "outdated", _("It is wrong or out of date")
    NEED_PERSON = "need_person", _("I need to talk to a person")
    OTHER = "other", _("Something else")


class ChannelKind(models.TextChoices):
    CHAT = "chat", _("Chat")
    TICKET = "ticket", _("Submit a question")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


LANGUAGES = i18n.CODES  # the help center's languages are the product's
