from django.conf import settings
from django.contrib.auth.decorators import login_required
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
    response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
    if request.GET.get("probe") == "startup":
        # `okpay serve` asking whether it may print its address: "not yet" is not an error to log
        response._has_been_logged = True  # read by django.utils.log.log_response
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


@never_cache
@login_required
def notices(request):
    """The signed-in person's notices, newest first; opening the page marks them read."""
    from .notices import notices_for, notices_mark_read

    rows = list(notices_for(request.user)[:100])
    unread = {row.pk for row in rows if row.read_at is None}
    notices_mark_read(request.user)
    return render(request, "core/notices.html", {"notices": rows, "unread": unread})
