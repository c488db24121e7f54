"""Read-only help-center API. Search answers {"results": [{"title", "summary", "url", "kind", "score"}]},
best first — other tools depend on this shape."""

from django.conf import settings
from django.http import Http404
from django.utils.translation import get_language_from_request
from ninja import Query, Router, Schema

from . import selectors
from .choices import LANGUAGES
from .models import Category
from .search import index_for

router = Router(tags=["help center"])


def _language(request, lang: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    detected = get_language_from_request(request)
    return detected if detected in LANGUAGES else settings.LANGUAGE_CODE


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    articles: int


class ArticleSummaryOut(Schema):
    key: str
    title: str
    summary: str
    url: str
    kind: str
    category: str
    language: str


class ArticleOut(ArticleSummaryOut):
    body_markdown: str
    body_html: str
    tags: list[str]
    related: list[str]
    updated_at: str


class SearchResultOut(Schema):
    title: str
    summary: str
    url: str
    kind: str
    score: float


class SearchOut(Schema):
    results: list[SearchResultOut]


def _summary(view) -> dict:
    return {
        "key": view.article.key,
        "title": view.translation.title,
        "summary": view.translation.summary,
        "url": view.url,
        "kind": view.article.kind,
        "category": view.article.category.slug,
        "language": view.language,
    }


@router.get("/help/categories", response=list[CategoryOut], auth=None, summary="Help-center categories")
def categories(request, lang: str | None = None):
    language = _language(request, lang)
    return [
        {
            "slug": c.slug,
            "name": c.name_in(language),
            "description": c.description_in(language),
            "articles": c.published,
        }
        for c in selectors.categories_with_counts()
    ]


@router.get("/help/articles", response=list[ArticleSummaryOut], auth=None, summary="Published articles")
def articles(request, lang: str | None = None, category: str | None = None, kind: str | None = None):
    language = _language(request, lang)
    queryset = selectors.published_articles().select_related("category").prefetch_related("translations")
    if category:
        queryset = queryset.filter(category__in=Category.objects.filter(slug=category))
    if kind:
        queryset = queryset.filter(kind=kind)
    return [
        _summary(v) for v in selectors.article_views(queryset.order_by("category__order", "key"), language)
    ]


@router.get("/help/articles/{key}", response=ArticleOut, auth=None, summary="One published article")
def article(request, key: str, lang: str | None = None):
    view = selectors.article_by_key_for_language(key=key, language=_language(request, lang))
    if view is None:
        raise Http404
    return {
        **_summary(view),
        "body_markdown": view.translation.body,
        "body_html": view.translation.body_html,
        "tags": view.article.tags,
        "related": list(view.article.related.values_list("key", flat=True)),
        "updated_at": view.translation.updated_at.isoformat(),
    }


@router.get("/help/search", response=SearchOut, auth=None, summary="Search the help center (best first)")
def search(
    request, q: str = Query("", max_length=2000), lang: str | None = None, limit: int = Query(10, ge=1, le=50)
):
    language = _language(request, lang)
    q = " ".join(q.split())[:200]
    hits = index_for(language).search(q, limit=limit) if q else []
    return {
        "results": [
            {
                "title": h.document.title,
                "summary": h.document.summary,
                "url": h.document.url,
                "kind": h.document.kind,
                "score": round(h.score, 4),
            }
            for h in hits
        ]
    }
