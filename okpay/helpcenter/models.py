from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from okpay.core.i18n import translated

from .choices import ArticleKind, ArticleStatus, ChannelKind, FeedbackReason


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.JSONField(_("name"), default=dict, help_text='{"zh-hans": "…", "en": "…"}')
    description = models.JSONField(_("description"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.slug

    def name_in(self, language: str) -> str:
        return translated(self.name, language)

    def description_in(self, language: str) -> str:
        return translated(self.description, language)


class Article(models.Model):
    key = models.SlugField(
        _("key"), max_length=100, unique=True, help_text=_("Stable identifier, also the default slug.")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ArticleKind.choices, default=ArticleKind.FAQ)
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    related = models.ManyToManyField(
        "self", symmetrical=False, blank=True, verbose_name=_("related articles")
    )
    popular_rank = models.PositiveIntegerField(_("most-asked rank"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["category__order", "popular_rank", "key"]
        indexes = [models.Index(fields=["status", "category"], name="helpcenter_article_status_cat")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ArticleStatus.values), name="helpcenter_article_status_valid"
            )
        ]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.key

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    transcript = models.TextField(_("video transcript"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="helpcenter_translation_one_per_language"
            ),
            models.UniqueConstraint(fields=["language", "slug"], name="helpcenter_translation_slug_unique"),
        ]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language}"


def video_upload_to(instance, filename: str) -> str:
    import uuid
    from pathlib import Path

    return f"helpcenter/videos/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class VideoAsset(models.Model):
    """One recording of a video tutorial in one language (MP4 and/or WebM), its poster and captions."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="videos")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    mp4 = models.FileField(_("MP4 file"), upload_to=video_upload_to, blank=True)
    webm = models.FileField(_("WebM file"), upload_to=video_upload_to, blank=True)
    poster = models.FileField(_("poster image"), upload_to=video_upload_to, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="helpcenter_video_one_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language}"


class VideoCaption(models.Model):
    """WebVTT captions in one language; shared by every recording of the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="captions")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    file = models.FileField(_("WebVTT file"), upload_to=video_upload_to)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="helpcenter_caption_one_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language}"


class ArticleRevision(models.Model):
    """Who changed what and when; a snapshot of the translation after the change."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    language = models.CharField(max_length=8, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.action}"


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    browser_key = models.CharField(max_length=64, blank=True)
    is_helpful = models.BooleanField()
    reason = models.CharField(max_length=20, choices=FeedbackReason.choices, blank=True)
    comment = models.CharField(max_length=1000, blank=True)
    language = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="helpcenter_feedback_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "browser_key"],
                condition=Q(user__isnull=True),
                name="helpcenter_feedback_one_per_browser",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{'yes' if self.is_helpful else 'no'}"


class SearchQueryLog(models.Model):
    query = models.CharField(max_length=200)
    language = models.CharField(max_length=8)
    result_count = models.PositiveIntegerField()
    top_score = models.FloatField(default=0)
    is_failed = models.BooleanField(default=False, db_index=True)
    clicked_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.query


class SearchIndexState(models.Model):
    """A single row: bumped whenever published content changes, so every process rebuilds its index."""

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.version)


class ContactChannel(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=ChannelKind.choices)
    order = models.PositiveIntegerField(_("order"), default=100)
    label = models.JSONField(_("label"), default=dict)
    value = models.CharField(_("address or number"), max_length=200, blank=True)
    hours = models.JSONField(_("service hours"), default=dict, help_text='{"zh-hans": "…", "en": "…"}')
    response_time = models.JSONField(_("expected response"), default=dict)
    opens_at = models.TimeField(
        _("opens (China time)"), null=True, blank=True, help_text=_("Empty for 24/7.")
    )
    closes_at = models.TimeField(_("closes (China time)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("contact channel")
        verbose_name_plural = _("contact channels")

    def __str__(self) -> str:
        return self.kind
