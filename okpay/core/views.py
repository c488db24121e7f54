from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from okpay.accounts.actions import user_language_set

from .health import health_report
from .models import OutboxEmail
from .redirects import safe_next


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_POST
def set_language(request):
    """Django's set_language (cookie + redirect), and for a signed-in user the saved preference."""
    language = request.POST.get("language")
    # pages with a per-language address (help articles) name one for each language
    candidate = request.POST.get(f"next_{language}") or request.POST.get("next")
    referer = safe_next(request, request.META.get("HTTP_REFERER"), "/")
    request.POST = request.POST.copy()
    request.POST["next"] = safe_next(request, candidate, referer)
    response = django_set_language(request)
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user=request.user, language=language)
    return response


def _demo_only():
    if not settings.DEMO_MODE:
        raise Http404


def outbox(request):
    _demo_only()
    return render(request, "core/outbox.html", {"emails": OutboxEmail.objects.all()[:100]})


def outbox_detail(request, pk):
    _demo_only()
    return render(request, "core/outbox_detail.html", {"email": get_object_or_404(OutboxEmail, pk=pk)})
