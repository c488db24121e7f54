"""The header's language switch: Django's set_language plus, for a signed-in user, the saved
preference."""

from django.conf import settings
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from okpay.core.redirects import safe_next

from .actions import user_language_set


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
