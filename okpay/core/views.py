from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from .health import health_report
from .models import OutboxEmail


def home(request):
    return render(request, "core/home.html")


@never_cache
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def _demo_only():
    if not settings.DEMO_MODE:
        raise Http404


def outbox(request):
    _demo_only()
    return render(request, "core/outbox.html", {"emails": OutboxEmail.objects.all()[:100]})


def outbox_detail(request, pk):
    _demo_only()
    return render(request, "core/outbox_detail.html", {"email": get_object_or_404(OutboxEmail, pk=pk)})
