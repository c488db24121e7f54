"""Knowledge-base editing for staff with the right permission (supervisors, admins, and agents in a
group with `helpcenter.change_article`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.helpcenter import actions as help_actions
from okpay.helpcenter import selectors as help_selectors
from okpay.helpcenter.choices import LANGUAGES, ArticleStatus
from okpay.helpcenter.forms import LANGUAGE_NAMES, ArticleForm, VideoUploadForm
from okpay.helpcenter.models import Article
from okpay.helpcenter.render import markdown_render

editor_required = permission_required(roles.can_edit_help)


def _article_or_404(article_id: int) -> Article:
    article = help_selectors.article_for_editors(article_id=article_id)
    if article is None:
        raise Http404
    return article


@editor_required
def help_list(request):
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:100]
    articles = help_selectors.articles_for_editors(status=status, query=query)
    return render(
        request,
        "console/help_list.html",
        {"articles": articles, "status": status, "query": query, "statuses": ArticleStatus.choices},
    )


def _initial(article: Article) -> dict:
    initial = {
        "key": article.key,
        "category": article.category_id,
        "kind": article.kind,
        "tags": ", ".join(article.tags),
        "popular_rank": article.popular_rank,
        "related": ", ".join(article.related.values_list("key", flat=True)),
    }
    for t in article.translations.all():
        initial.update(
            {
                f"title_{t.language}": t.title,
                f"slug_{t.language}": t.slug,
                f"summary_{t.language}": t.summary,
                f"body_{t.language}": t.body,
            }
        )
    return initial


@editor_required
def help_edit(request, article_id=None):
    article = _article_or_404(article_id) if article_id else None
    form = ArticleForm(request.POST or None, article=article, initial=_initial(article) if article else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = help_actions.article_save(
            actor=request.user,
            article=article,
            key=data["key"],
            category=data["category"],
            kind=data["kind"],
            tags=data["tags"],
            popular_rank=data["popular_rank"],
            related_keys=data["related"],
            translations=form.translations(),
        )
        messages.success(request, _("Saved."))
        return redirect("console:help_edit", article.pk)
    return render(
        request,
        "console/help_edit.html",
        {
            "form": form,
            "article": article,
            "language_fields": [
                (
                    language,
                    LANGUAGE_NAMES[language],
                    [form[f"{name}_{language}"] for name in ("title", "slug", "summary", "body")],
                )
                for language in LANGUAGES
            ],
            **help_selectors.article_media(article=article),
            "upload_form": VideoUploadForm(),
            "statuses": ArticleStatus,
        },
        status=400 if form.errors else 200,
    )


@editor_required
@require_POST
def help_status(request, article_id):
    article = _article_or_404(article_id)
    try:
        help_actions.article_status_set(
            actor=request.user, article=article, status=request.POST.get("status", "")
        )
        messages.success(
            request,
            _("Status changed to %(status)s.") % {"status": ArticleStatus(request.POST["status"]).label},
        )
    except (ValidationError, ValueError) as error:
        messages.error(
            request, error.messages[0] if isinstance(error, ValidationError) else _("Unknown status.")
        )
    return redirect("console:help_edit", article.pk)


@editor_required
@require_POST
def help_preview(request):
    body = next((value for key, value in request.POST.items() if key.startswith("body")), "")[:100_000]
    return HttpResponse(markdown_render(body) or "<p class='muted'>—</p>")


@editor_required
@require_POST
def help_upload(request, article_id):
    article = _article_or_404(article_id)
    form = VideoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["part"] == "captions":
                help_actions.caption_upload(
                    actor=request.user, article=article, language=data["language"], upload=data["file"]
                )
            else:
                help_actions.video_upload(
                    actor=request.user,
                    article=article,
                    language=data["language"],
                    upload=data["file"],
                    part=data["part"],
                )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        except UnicodeDecodeError:
            messages.error(request, _("Captions must be UTF-8 text."))
        else:
            messages.success(request, _("File uploaded."))
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect("console:help_edit", article.pk)


@editor_required
def help_categories(request):
    categories = help_selectors.categories_in_order()
    if request.method == "POST":
        order = {}
        for category in categories:
            raw = request.POST.get(f"order_{category.pk}", "")
            if not raw.isdigit() or int(raw) > 10_000:
                messages.error(request, _("Each position must be a whole number from 0 to 10000."))
                return render(request, "console/help_categories.html", {"categories": categories}, status=400)
            order[category.pk] = int(raw)
        help_actions.categories_reorder(actor=request.user, order=order)
        messages.success(request, _("Category order saved."))
        return redirect("console:help_categories")
    return render(request, "console/help_categories.html", {"categories": categories})


@editor_required
def help_report(request):
    return render(request, "console/help_report.html", help_selectors.help_report())
