"""Every change to help-center content: save, publish, feedback, views, uploads, search logging.
Content changes write an ArticleRevision and an audit event and move the search index version."""

import json
import re
from datetime import time as dtime
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
    ContactChannel,
    SearchIndexState,
    SearchQueryLog,
    VideoAsset,
    VideoCaption,
)
from .render import markdown_render

CONTENT_DIR = Path(__file__).resolve().parent / "content"
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
    if created:
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
    lines = []
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
        caption.file.storage.delete(caption.file.name)
        caption.file.save("captions.vtt", ContentFile(raw.encode()), save=True)
    ArticleTranslation.objects.filter(article=article, language=language).update(transcript=vtt_text(raw))
    _revision(article=article, actor=actor, action="captions_uploaded", language=language)
    if article.is_published:
        search_index_invalidate()
    return caption


# --- shipped content -------------------------------------------------------------------------


def _read_markdown(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").split("\n")
    title = lines[0].removeprefix("# ").strip()
    summary = lines[2].removeprefix("> ").strip() if len(lines) > 2 else ""
    body = "\n".join(lines[4:]).strip() + "\n"
    return {"title": title, "summary": summary, "body": body}


def _channels_load() -> int:
    data = json.loads((CONTENT_DIR / "channels.json").read_text(encoding="utf-8"))
    created = 0
    for row in data:
        _channel, was_created = ContactChannel.objects.get_or_create(
            kind=row["kind"],
            value=row.get("value", ""),
            defaults={
                "order": row["order"],
                "label": row["label"],
                "hours": row["hours"],
                "response_time": row["response_time"],
                "opens_at": dtime.fromisoformat(row["opens_at"]) if row.get("opens_at") else None,
                "closes_at": dtime.fromisoformat(row["closes_at"]) if row.get("closes_at") else None,
            },
        )
        created += was_created
    return created


@transaction.atomic
def content_load(*, content_dir: Path = CONTENT_DIR) -> dict:
    """Load the shipped help center (categories, articles, videos, contact channels). Idempotent:
    what exists is left as staff may have edited it; only missing pieces are added."""
    counts = {"categories": 0, "articles": 0, "videos": 0, "channels": 0}
    for row in json.loads((content_dir / "categories.json").read_text(encoding="utf-8")):
        _category, created = Category.objects.get_or_create(
            slug=row["slug"],
            defaults={"order": row["order"], "name": row["name"], "description": row.get("description", {})},
        )
        counts["categories"] += created
    metas = {}
    for folder in sorted((content_dir / "articles").iterdir()):
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        metas[meta["slug"]] = meta
        if Article.objects.filter(key=meta["slug"]).exists():
            continue
        article = Article.objects.create(
            key=meta["slug"],
            category=Category.objects.get(slug=meta["category"]),
            kind=meta["kind"],
            tags=meta.get("tags", []),
            popular_rank=meta.get("popular"),
            status=ArticleStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        for language in LANGUAGES:
            path = folder / f"{language}.md"
            if path.exists():
                translation_save(
                    article=article, language=language, slug=meta["slug"], **_read_markdown(path)
                )
        counts["articles"] += 1
        counts["videos"] += _videos_load(
            article=article,
            folder=content_dir / "videos" / meta["slug"],
            duration=int(meta.get("duration_s") or 0),
        )
        _revision(article=article, actor=None, action="loaded")
    for key, meta in metas.items():
        article = Article.objects.get(key=key)
        if not article.related.exists() and meta.get("related"):
            article.related.set(Article.objects.filter(key__in=meta["related"]))
    if (content_dir / "channels.json").exists():
        counts["channels"] = _channels_load()
    if counts["articles"]:
        search_index_invalidate()
    return counts


def _videos_load(*, article: Article, folder: Path, duration: int) -> int:
    if not folder.is_dir():
        return 0
    loaded = 0
    for language in LANGUAGES:
        files = {
            part: folder / f"{language}.{ext}"
            for part, ext in (("mp4", "mp4"), ("webm", "webm"), ("poster", "jpg"))
        }
        if not any(p.exists() for p in files.values()):
            continue
        asset = VideoAsset.objects.create(article=article, language=language, duration_seconds=duration)
        for part, path in files.items():
            if path.exists():
                getattr(asset, part).save(path.name, ContentFile(path.read_bytes()), save=False)
        asset.save()
        loaded += 1
        vtt = folder / f"{language}.vtt"
        if vtt.exists():
            raw = vtt.read_text(encoding="utf-8")
            VideoCaption.objects.create(
                article=article, language=language, file=ContentFile(raw.encode(), name=f"{language}.vtt")
            )
            ArticleTranslation.objects.filter(article=article, language=language).update(
                transcript=vtt_text(raw)
            )
    return loaded
