"""Public help-center pages. Article, category and search pages take their language from the URL
(so each language has its own address for search engines); other pages follow the visitor."""

import secrets
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from okpay.accounts import roles
from okpay.core import i18n
from okpay.core.ranges import ranged_file_response
from okpay.core.redirects import safe_next

from . import actions, selectors
from .choices import LANGUAGES
from .forms import FeedbackReasonForm, SearchForm
from .models import Article, ArticleFeedback, Category, VideoAsset, VideoCaption
from .search import index_for, snippet

BROWSER_COOKIE = "okpay_bid"
SEARCH_RESULTS = 10


def _language(request) -> str:
    return i18n.current()


def _use_language(request, language: str) -> None:
    if language not in LANGUAGES:
        raise Http404
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _help_links(language: str, article: Article | None = None) -> dict:
    """Where "chat now" and "submit a question" lead: "chat now" (marked data-chat-open in the
    templates) opens the live chat widget, where the answer bot replies first and hands over to a
    person; without JavaScript chat_url is the answer bot's box. A question becomes a ticket with the
    article attached."""
    suffix = f"?article={article.key}" if article else ""
    return {
        "chat_url": reverse("helpcenter:index") + "#ask",
        "ticket_url": reverse("tickets:new") + suffix,
        "contact_url": reverse("helpcenter:contact") + suffix,
    }


def index(request):
    language = _language(request)
    return render(
        request,
        "helpcenter/index.html",
        {
            "search_form": SearchForm(),
            "popular": selectors.popular_articles(language=language),
            "categories": [
                (c, c.name_in(language), c.description_in(language))
                for c in selectors.categories_with_counts()
                if c.published
            ],
            "videos": selectors.video_articles(language=language),
            "channels": selectors.contact_channels(),
            "language": language,
            **_help_links(language),
        },
    )


def category(request, language, slug):
    _use_language(request, language)
    category_obj = get_object_or_404(Category, slug=slug)
    return render(
        request,
        "helpcenter/category.html",
        {
            "category": category_obj,
            "name": category_obj.name_in(language),
            "description": category_obj.description_in(language),
            "articles": selectors.category_articles(category=category_obj, language=language),
            "language_alternates": {
                lang: reverse("helpcenter:category", args=[lang, slug]) for lang in LANGUAGES
            },
        },
    )


def article(request, language, slug):
    _use_language(request, language)
    editor = roles.can_edit_help(request.user)
    view = selectors.article_by_slug(language=language, slug=slug, include_unpublished=editor)
    if view is None:
        # no translation under this address: the other language's text, with a notice — or, when
        # the article does have this language under another slug, that address
        other = i18n.other(language)
        view = selectors.article_by_slug(language=other, slug=slug, include_unpublished=editor)
        if view is None:
            raise Http404
        own = view.article.translations.filter(language=language).first()
        if own is not None:
            return redirect(selectors.article_url(own), permanent=True)
        view = selectors.ArticleView(view.article, view.translation, other, True)
    article_obj = view.article
    seen = request.session.get("help_seen", [])
    if article_obj.pk not in seen and article_obj.is_published:
        actions.article_view_record(article=article_obj)
        request.session["help_seen"] = [*seen[-199:], article_obj.pk]
    all_translations = {t.language: t for t in article_obj.translations.all()}
    alternates = {lang: selectors.article_url(t) for lang, t in all_translations.items()}
    vote = _existing_vote(request, article_obj)
    video = (
        VideoAsset.objects.filter(article=article_obj, language=view.language).first()
        or VideoAsset.objects.filter(article=article_obj).first()
    )
    return render(
        request,
        "helpcenter/article.html",
        {
            "view": view,
            "article": article_obj,
            "translation": view.translation,
            "related": selectors.related_articles(article=article_obj, language=language),
            "category_name": article_obj.category.name_in(language),
            "language_alternates": {
                lang: alternates.get(lang) or reverse("helpcenter:article", args=[lang, slug])
                for lang in LANGUAGES
            },
            "hreflang": alternates,
            "vote": vote,
            "reason_form": FeedbackReasonForm() if vote and not vote.is_helpful and not vote.reason else None,
            "video": video,
            "captions": VideoCaption.objects.filter(article=article_obj).order_by("language"),
            "is_editor": editor,
            **_help_links(language, article_obj),
        },
    )


def _browser_key(request) -> str:
    return request.COOKIES.get(BROWSER_COOKIE, "")[:64]


def _existing_vote(request, article_obj) -> ArticleFeedback | None:
    if request.user.is_authenticated:
        return ArticleFeedback.objects.filter(article=article_obj, user=request.user).first()
    key = _browser_key(request)
    return (
        ArticleFeedback.objects.filter(article=article_obj, user=None, browser_key=key).first()
        if key
        else None
    )


@require_POST
def feedback(request, key):
    article_obj = get_object_or_404(selectors.published_articles(), key=key)
    language = (
        request.POST.get("language") if request.POST.get("language") in LANGUAGES else _language(request)
    )
    translation.activate(language)
    browser_key = _browser_key(request) or secrets.token_urlsafe(24)
    helpful = request.POST.get("helpful")
    vote = _existing_vote(request, article_obj)
    error = None
    if "reason" in request.POST:
        form = FeedbackReasonForm(request.POST)
        if vote is None or vote.is_helpful:
            error = _("Rate the article first.")
        elif form.is_valid():
            vote = actions.feedback_reason_set(
                vote=vote, reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"]
            )
        else:
            error = _("Choose what was wrong.")
    elif helpful in ("yes", "no"):
        user = request.user if request.user.is_authenticated else None
        vote, _created = actions.feedback_submit(
            article=article_obj,
            user=user,
            browser_key=browser_key,
            is_helpful=helpful == "yes",
            language=language,
        )
    else:
        error = _("Choose yes or no.")
    response = render(
        request,
        "helpcenter/_feedback.html",
        {
            "article": article_obj,
            "vote": vote,
            "error": error,
            "language": language,
            "reason_form": FeedbackReasonForm() if vote and not vote.is_helpful and not vote.reason else None,
            **_help_links(language, article_obj),
        },
        status=400 if error else 200,
    )
    if not request.user.is_authenticated and not _browser_key(request):
        response.set_cookie(
            BROWSER_COOKIE,
            browser_key,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    if not request.htmx:
        response.status_code = 303 if not error else 400
        if not error:
            response["Location"] = safe_next(request, request.POST.get("next"), "helpcenter:index")
    return response


def _search(query: str, language: str, *, limit: int = SEARCH_RESULTS, prefix: bool = False):
    """The visitor's language first; when it has no good answer (say, a Chinese query on the English
    site), the other language's articles."""
    if not query:
        return []
    hits = index_for(language).search(query, limit=limit, prefix=prefix)
    if not any(h.is_good for h in hits):
        other = index_for(i18n.other(language)).search(query, limit=limit, prefix=prefix)
        if any(h.is_good for h in other):
            return other
    return hits


def search(request):
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else _language(request)
    translation.activate(language)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    hits = _search(query, language) if query else []
    good = [h for h in hits if h.is_good]
    results = [
        {"hit": h, "snippet": snippet(h.document.sentences, query, lead=h.document.summary)}
        for h in (good or hits)
    ]
    if query:
        actions.search_log(query=query, language=language, hits=hits)
    return render(
        request,
        "helpcenter/search.html",
        {
            "search_form": form,
            "query": query,
            "results": results,
            "weak": bool(hits) and not good,
            "language": language,
            "channels": selectors.contact_channels(),
            **_help_links(language),
            # the customer's own words become the question's subject
            **({"ticket_url": reverse("tickets:new") + "?" + urlencode({"q": query[:200]})} if query else {}),
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


@require_GET
def suggest(request):
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else _language(request)
    translation.activate(language)
    query = (request.GET.get("q") or "").strip()[:200]
    hits = _search(query, language, limit=5, prefix=True) if len(query) >= 1 else []
    return render(request, "helpcenter/_suggestions.html", {"hits": hits, "query": query})


def contact(request):
    language = _language(request)
    article_obj = None
    if request.GET.get("article"):
        view = selectors.article_by_key_for_language(key=request.GET["article"][:100], language=language)
        article_obj = view
    return render(
        request,
        "helpcenter/contact.html",
        {
            "channels": selectors.contact_channels(),
            "about": article_obj,
            "language": language,
            **_help_links(language, article_obj.article if article_obj else None),
        },
    )


def video_file(request, asset_id, part):
    asset = get_object_or_404(VideoAsset.objects.select_related("article"), pk=asset_id)
    if not asset.article.is_published and not roles.can_edit_help(request.user):
        raise Http404
    if part not in ("mp4", "webm", "poster") or not getattr(asset, part):
        raise Http404
    content_type = {"mp4": "video/mp4", "webm": "video/webm", "poster": "image/jpeg"}[part]
    return ranged_file_response(request, getattr(asset, part), content_type)


def caption_file(request, caption_id):
    caption = get_object_or_404(VideoCaption.objects.select_related("article"), pk=caption_id)
    if not caption.article.is_published and not roles.can_edit_help(request.user):
        raise Http404
    return ranged_file_response(request, caption.file, "text/vtt; charset=utf-8")


def sitemap(request):
    entries = []
    for article_obj in selectors.published_articles().prefetch_related("translations"):
        urls = {
            t.language: request.build_absolute_uri(selectors.article_url(t))
            for t in article_obj.translations.all()
        }
        for url in urls.values():
            entries.append({"loc": url, "lastmod": article_obj.updated_at, "alternates": urls})
    for category_obj in Category.objects.all():
        urls = {
            lang: request.build_absolute_uri(reverse("helpcenter:category", args=[lang, category_obj.slug]))
            for lang in LANGUAGES
        }
        entries.extend({"loc": url, "lastmod": None, "alternates": urls} for url in urls.values())
    body = render(request, "helpcenter/sitemap.xml", {"entries": entries}).content
    return HttpResponse(body, content_type="application/xml")
