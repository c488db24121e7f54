"""Every change to help-center content: save, publish, feedback, views, uploads, search logging.
Content changes write an ArticleRevision and an audit event and move the search index version."""

import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from okpay.core.audit import audit_event_record
from okpay.core.uploads import image_reencode, upload_check

from .choices import LANGUAGES, STATUS_PIPELINE, ArticleStatus
from .models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleTranslation,
    Category,
    SearchIndexState,
    SearchQueryLog,
    VideoAsset,
    VideoCaption,
)
from .render import markdown_render

MAX_VIDEO_BYTES = 300 * 1024 * 1024
MAX_POSTER_BYTES = 5 * 1024 * 1024
MAX_CAPTION_BYTES = 1024 * 1024


def search_index_invalidate() -> None:
    updated = SearchIndexState.objects.update(version=F("version") + 1, changed_at=timezone.now())
    if not updated:
        SearchIndexState.objects.create(version=2)


def _snapshot(article: Article) -> dict:
    return {
        "status": article.status,
        "category": article.category.slug,
        "kind": article.kind,
        "tags": article.tags,
        "translations": {
            t.language: {"slug": t.slug, "title": t.title, "summary": t.summary, "body": t.body}
            for t in article.translations.all()
        },
    }


def _revision(*, article: Article, actor, action: str, language: str = "") -> None:
    ArticleRevision.objects.create(
        article=article, actor=actor, action=action, language=language, snapshot=_snapshot(article)
    )
    if actor is not None:
        audit_event_record(
            action=f"helpcenter.article_{action}",
            actor=actor,
            subject_user=None,
            data={"article": article.key, "language": language},
        )


def translation_save(
    *,
    article: Article,
    language: str,
    title: str,
    summary: str,
    body: str,
    slug: str = "",
    transcript: str | None = None,
) -> ArticleTranslation:
    slug = slug or slugify(article.key) or article.key
    translation, _created = ArticleTranslation.objects.get_or_create(
        article=article, language=language, defaults={"slug": slug, "title": title}
    )
    translation.slug, translation.title, translation.summary, translation.body = slug, title, summary, body
    translation.body_html = markdown_render(body)
    if transcript is not None:
        translation.transcript = transcript
    translation.updated_at = timezone.now()
    translation.save()
    return translation


@transaction.atomic
def article_save(
    *,
    actor,
    article: Article | None,
    key: str,
    category: Category,
    kind: str,
    tags: list[str],
    popular_rank: int | None,
    related_keys: list[str],
    translations: dict[str, dict],
) -> Article:
    """Create or update an article and its translations (a dict per language with title, summary,
    body, slug; an empty title removes that language)."""
    created = article is None
    if article is None:
        article = Article(key=key)
    article.category, article.kind, article.tags, article.popular_rank = category, kind, tags, popular_rank
    article.updated_at = timezone.now()
    article.save()
    for language in LANGUAGES:
        data = translations.get(language) or {}
        if data.get("title"):
            translation_save(
                article=article,
                language=language,
                title=data["title"],
                summary=data.get("summary", ""),
                body=data.get("body", ""),
                slug=data.get("slug", ""),
            )
        elif not created:
            ArticleTranslation.objects.filter(article=article, language=language).delete()
    article.related.set(Article.objects.filter(key__in=related_keys).exclude(pk=article.pk))
    _revision(article=article, actor=actor, action="created" if created else "edited")
    if article.is_published:
        search_index_invalidate()
    return article


@transaction.atomic
def article_status_set(*, actor, article: Article, status: str) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    if status == article.status:
        return article
    if status not in STATUS_PIPELINE.get(article.status, set()):
        raise ValidationError(
            _("An article cannot move from %(old)s to %(new)s.") % {"old": article.status, "new": status}
        )
    if status == ArticleStatus.PUBLISHED and not article.translations.exists():
        raise ValidationError(_("Add a title and text in at least one language before publishing."))
    article.status = status
    if status == ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
    article.save(update_fields=["status", "published_at"])
    _revision(
        article=article,
        actor=actor,
        action={"published": "published", "draft": "unpublished", "archived": "archived"}[status],
    )
    search_index_invalidate()
    return article


def article_view_record(*, article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def feedback_submit(
    *, article: Article, user, browser_key: str, is_helpful: bool, language: str
) -> tuple[ArticleFeedback, bool]:
    """One vote per signed-in user, or per browser for visitors. Returns (vote, created); a repeated
    vote changes nothing."""
    identity = {"user": user} if user is not None else {"user": None, "browser_key": browser_key}
    existing = ArticleFeedback.objects.filter(article=article, **identity).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            vote = ArticleFeedback.objects.create(
                article=article,
                is_helpful=is_helpful,
                language=language,
                browser_key="" if user is not None else browser_key,
                user=user,
            )
    except IntegrityError:
        return ArticleFeedback.objects.get(article=article, **identity), False
    counter = "helpful_yes" if is_helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return vote, True


def feedback_reason_set(*, vote: ArticleFeedback, reason: str, comment: str) -> ArticleFeedback:
    if vote.is_helpful:
        raise ValidationError(_("A reason is only asked for when an article did not help."))
    vote.reason, vote.comment = reason, comment[:1000]
    vote.save(update_fields=["reason", "comment"])
    return vote


def search_log(*, query: str, language: str, hits: list) -> SearchQueryLog | None:
    query = " ".join(query.split())[:200]
    if not query:
        return None
    top = hits[0] if hits else None
    return SearchQueryLog.objects.create(
        query=query,
        language=language,
        result_count=len(hits),
        top_score=top.score if top else 0.0,
        is_failed=top is None or not top.is_good,
    )


@transaction.atomic
def categories_reorder(*, actor, order: dict[int, int]) -> None:
    for category in Category.objects.select_for_update().filter(pk__in=order):
        category.order = order[category.pk]
        category.save(update_fields=["order"])
    audit_event_record(action="helpcenter.categories_reordered", actor=actor, data={"order": order})


@transaction.atomic
def video_upload(*, actor, article: Article, language: str, upload, part: str) -> VideoAsset:
    """part: "mp4", "webm" or "poster". Checked by extension and content; posters re-encoded."""
    if part == "poster":
        upload_check(upload, allowed={"jpeg", "png", "webp"}, max_bytes=MAX_POSTER_BYTES)
        content = image_reencode(upload)
    else:
        upload_check(upload, allowed={part}, max_bytes=MAX_VIDEO_BYTES)
        content = upload
    asset, _created = VideoAsset.objects.get_or_create(article=article, language=language)
    old = getattr(asset, part)
    getattr(asset, part).save(
        f"{part}{Path(getattr(content, 'name', '') or '.bin').suffix or '.bin'}", content, save=False
    )
    asset.save()
    if old and old.name != getattr(asset, part).name:
        old.storage.delete(old.name)
    _revision(article=article, actor=actor, action=f"video_{part}_uploaded", language=language)
    return asset


def vtt_text(raw: str) -> str:
    """The spoken text of a WebVTT file (cue text only), for the searchable transcript."""
    lines: list[str] = []
    for block in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").lstrip("\ufeff")):
        rows = [r for r in block.strip().split("\n") if r.strip()]
        if not rows or rows[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        cue_rows = rows[1:] if "-->" in rows[0] else (rows[2:] if len(rows) > 1 and "-->" in rows[1] else [])
        lines.extend(re.sub(r"<[^>]+>", "", r).strip() for r in cue_rows)
    return " ".join(line for line in lines if line)


@transaction.atomic
def caption_upload(*, actor, article: Article, language: str, upload) -> VideoCaption:
    upload_check(upload, allowed={"vtt"}, max_bytes=MAX_CAPTION_BYTES)
    raw = upload.read().decode("utf-8", errors="strict") if hasattr(upload, "read") else ""
    upload.seek(0)
    caption, _created = VideoCaption.objects.get_or_create(
        article=article, language=language, defaults={"file": ContentFile(raw.encode(), name="captions.vtt")}
    )
    if not _created:
        if caption.file.name:  # always, for a stored caption (the file is required)
            caption.file.storage.delete(caption.file.name)
        caption.file.save("captions.vtt", ContentFile(raw.encode()), save=True)
    ArticleTranslation.objects.filter(article=article, language=language).update(transcript=vtt_text(raw))
    _revision(article=article, actor=actor, action="captions_uploaded", language=language)
    if article.is_published:
        search_index_invalidate()
    return caption
