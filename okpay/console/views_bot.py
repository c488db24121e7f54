"""The bot's learning loop: agents mark wrong answers, supervisors accept corrections as training
examples, retrain and choose the active model version."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts.choices import Role
from okpay.accounts.permissions import role_required
from okpay.bot import actions as bot_actions
from okpay.bot.catalog import catalog
from okpay.bot.models import BotModelVersion, BotTrainingExample, BotTurn
from okpay.core.redirects import safe_next

STAFF = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


@role_required(*STAFF)
def turns(request):
    rows = BotTurn.objects.select_related("conversation", "corrected_by")
    show = request.GET.get("show", "doubtful")
    if show == "doubtful":
        rows = rows.filter(confidence__lt=0.6) | rows.filter(abstained=True) | rows.filter(hand_off=True)
    page = Paginator(rows.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request, "console/bot_turns.html", {"page": page, "show": show, "intents": sorted(catalog())}
    )


@role_required(*STAFF)
@require_POST
def turn_correct(request, turn_id):
    turn = get_object_or_404(BotTurn, pk=turn_id)
    try:
        bot_actions.turn_correct(actor=request.user, turn=turn, intent=request.POST.get("intent", ""))
    except ValueError:
        messages.error(request, _("Choose an intent from the list."))
    else:
        messages.success(request, _("Thank you: a supervisor will review the correction."))
    return redirect(safe_next(request, request.POST.get("next"), "console:bot_turns"))


@role_required(Role.SUPERVISOR, Role.ADMIN)
def corrections(request):
    return render(
        request,
        "console/bot_corrections.html",
        {
            "proposed": BotTurn.objects.filter(correction_status="proposed").select_related("corrected_by"),
            "examples": BotTrainingExample.objects.order_by("-created_at")[:50],
        },
    )


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def correction_review(request, turn_id):
    turn = get_object_or_404(BotTurn, pk=turn_id, correction_status="proposed")
    bot_actions.correction_review(
        actor=request.user, turn=turn, accept=request.POST.get("decision") == "accept"
    )
    return redirect("console:bot_corrections")


@role_required(Role.SUPERVISOR, Role.ADMIN)
def model_versions(request):
    return render(
        request,
        "console/bot_models.html",
        {
            "versions": BotModelVersion.objects.select_related("created_by")[:30],
            "examples": BotTrainingExample.objects.count(),
        },
    )


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def model_activate(request, version_id):
    version = get_object_or_404(BotModelVersion, pk=version_id)
    bot_actions.model_activate(version=version, actor=request.user)
    messages.success(
        request, _("Version %(version)s is now active in every process.") % {"version": version.version}
    )
    return redirect("console:bot_models")


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def model_retrain(request):
    from okpay.bot.tasks import bot_train_task

    transaction.on_commit(lambda: bot_train_task.enqueue(actor_id=request.user.pk))
    messages.success(
        request,
        _(
            "Training started in the background; the new version becomes active when it is ready (about a minute)."
        ),
    )
    return redirect("console:bot_models")
