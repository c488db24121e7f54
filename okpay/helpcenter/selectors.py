"""Reads of the help center. Customers see published articles only; staff editors see all."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import reverse

from okpay.core import i18n

from .choices import ArticleStatus
from .models import Article, ArticleTranslation, Category, ContactChannel, SearchQueryLog
from .render import plain_text, sentences

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


@dataclass
class ArticleView:
    """An article in the language asked for, or in the other one when it has no translation."""

    article: Article
    translation: ArticleTranslation
    language: str
    is_fallback: bool

    @property
    def url(self) -> str:
        return article_url(self.translation)


def article_url(translation: ArticleTranslation) -> str:
    return reverse("helpcenter:article", kwargs={"language": translation.language, "slug": translation.slug})


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED)


def _with_translations(queryset: QuerySet[Article]) -> QuerySet[Article]:
    return queryset.select_related("category").prefetch_related(
        Prefetch("translations", queryset=ArticleTranslation.objects.all())
    )


def pick_translation(article: Article, language: str) -> ArticleView | None:
    by_language = {t.language: t for t in article.translations.all()}
    if language in by_language:
        return ArticleView(article, by_language[language], language, False)
    other = i18n.other(language)
    if other in by_language:
        return ArticleView(article, by_language[other], other, True)
    return None


def article_views(articles, language: str) -> list[ArticleView]:
    return [view for a in articles if (view := pick_translation(a, language)) is not None]


class PublishedCount(TypedDict):
    published: int  # the category's published articles


def categories_with_counts() -> "QuerySet[WithAnnotations[Category, PublishedCount]]":
    return Category.objects.annotate(
        published=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED))
    ).order_by("order", "slug")


def popular_articles(*, language: str, limit: int = 8) -> list[ArticleView]:
    articles = _with_translations(published_articles().filter(popular_rank__isnull=False)).order_by(
        "popular_rank"
    )
    return article_views(articles[:limit], language)


def video_articles(*, language: str, limit: int = 6) -> list[ArticleView]:
    articles = _with_translations(
        published_articles().filter(kind="video").prefetch_related("videos")
    ).order_by("key")
    return article_views(articles[:limit], language)


def category_articles(*, category: Category, language: str) -> list[ArticleView]:
    articles = _with_translations(published_articles().filter(category=category)).order_by(
        F("popular_rank").asc(nulls_last=True), "key"
    )
    return article_views(articles, language)


def article_by_slug(*, language: str, slug: str, include_unpublished: bool = False) -> ArticleView | None:
    translation = (
        ArticleTranslation.objects.select_related("article", "article__category")
        .filter(language=language, slug=slug)
        .first()
    )
    if translation is None:
        return None
    article = translation.article
    if not article.is_published and not include_unpublished:
        return None
    return ArticleView(article, translation, language, False)


def article_by_key_for_language(*, key: str, language: str) -> ArticleView | None:
    article = _with_translations(published_articles().filter(key=key)).first()
    return pick_translation(article, language) if article else None


def related_articles(*, article: Article, language: str) -> list[ArticleView]:
    return article_views(
        _with_translations(published_articles().filter(pk__in=article.related.values("pk"))), language
    )


def contact_channels() -> QuerySet[ContactChannel]:
    return ContactChannel.objects.filter(is_active=True).order_by("order", "id")


def search_documents(*, language: str):
    """Documents for the search index of `language`: every published article, in that language or,
    lacking a translation, in the other."""
    from .search import Document

    documents = []
    articles = _with_translations(published_articles()).order_by("pk")
    for article in articles:
        view = pick_translation(article, language)
        if view is None:
            continue
        t = view.translation
        body_text = plain_text(t.body_html)
        documents.append(
            Document(
                article_id=article.pk,
                key=article.key,
                language=t.language,
                title=t.title,
                summary=t.summary,
                url=article_url(t),
                kind=article.kind,
                body_text=body_text,
                sentences=sentences(t.body_html, language=t.language),
                fields={
                    "title": t.title,
                    "tags": " ".join(article.tags),
                    "summary": t.summary,
                    "body": body_text,
                    "transcript": t.transcript,
                },
            )
        )
    return documents


def help_report(*, limit: int = 10) -> dict:
    most_viewed = published_articles().order_by("-view_count")[:limit]
    rated = published_articles().annotate(votes=F("helpful_yes") + F("helpful_no")).filter(votes__gte=1)
    least_helpful = sorted(
        rated, key=lambda a: (a.helpful_yes / (a.helpful_yes + a.helpful_no), -a.helpful_no)
    )[:limit]
    failed = (
        SearchQueryLog.objects.filter(is_failed=True)
        .values("query", "language")
        .annotate(times=Count("id"))
        .order_by("-times", "query")[: limit * 2]
    )
    return {"most_viewed": most_viewed, "least_helpful": least_helpful, "failed_searches": failed}


# --- editors' reads (console) ------------------------------------------------------------------


def articles_for_editors(*, status: str = "", query: str = "") -> QuerySet[Article]:
    """Every article, any status, for the console's list; filtered by status and key/title words."""
    from django.db.models import Q

    from .choices import ArticleStatus

    articles = (
        Article.objects.select_related("category")
        .prefetch_related("translations")
        .order_by("category__order", "key")
    )
    if status in ArticleStatus.values:
        articles = articles.filter(status=status)
    if query:
        articles = articles.filter(
            Q(key__icontains=query) | Q(translations__title__icontains=query)
        ).distinct()
    return articles


def article_for_editors(*, article_id: int) -> Article | None:
    return Article.objects.filter(pk=article_id).first()


def article_media(*, article: Article | None) -> dict:
    """Revisions, videos and captions of an article for its edit page."""
    from .models import VideoAsset, VideoCaption

    if article is None:
        return {"revisions": [], "videos": [], "captions": []}
    return {
        "revisions": article.revisions.select_related("actor")[:20],
        "videos": VideoAsset.objects.filter(article=article),
        "captions": VideoCaption.objects.filter(article=article),
    }


def categories_in_order() -> list[Category]:
    return list(Category.objects.order_by("order", "slug"))
