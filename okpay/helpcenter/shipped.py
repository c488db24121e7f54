"""The help center that ships with the product (`okpay/helpcenter/content/`): categories, articles
in both languages, video tutorials with captions, contact channels. `content_load()` is idempotent
(`okpay helpcenter_load`, `okpay demo`): what exists is left as staff may have edited it."""

import json
from datetime import time as dtime
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .actions import _revision, search_index_invalidate, translation_save, vtt_text
from .choices import LANGUAGES, ArticleStatus
from .models import Article, ArticleTranslation, Category, ContactChannel, VideoAsset, VideoCaption

CONTENT_DIR = Path(__file__).resolve().parent / "content"


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
