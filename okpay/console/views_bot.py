"""The bot's learning loop: agents mark wrong answers, supervisors accept corrections as training
examples, retrain and choose the active model version."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.bot import actions as bot_actions
from okpay.bot import selectors as bot_selectors
from okpay.bot.catalog import intent_choices
from okpay.core.errors import DomainError
from okpay.core.redirects import safe_next


@permission_required(roles.is_staff)
def turns(request):
    show = request.GET.get("show", "doubtful")
    page = Paginator(bot_selectors.turns_for_review(show=show), 50).get_page(request.GET.get("page"))
    return render(
        request, "console/bot_turns.html", {"page": page, "show": show, "intents": intent_choices()}
    )


@permission_required(roles.is_staff)
@require_POST
def turn_correct(request, turn_id):
    turn = bot_selectors.turn_get(turn_id=turn_id)
    if turn is None:
        raise Http404
    try:
        bot_actions.turn_correct(actor=request.user, turn=turn, intent=request.POST.get("intent", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: a supervisor will review the correction."))
    return redirect(safe_next(request, request.POST.get("next"), "console:bot_turns"))


@permission_required(roles.can_train_bot)
def corrections(request):
    return render(
        request,
        "console/bot_corrections.html",
        {
            "proposed": bot_selectors.corrections_proposed(),
            "examples": bot_selectors.training_examples_recent(),
        },
    )


@permission_required(roles.can_train_bot)
@require_POST
def correction_review(request, turn_id):
    turn = bot_selectors.turn_get(turn_id=turn_id, proposed_only=True)
    if turn is None:
        raise Http404
    bot_actions.correction_review(
        actor=request.user, turn=turn, accept=request.POST.get("decision") == "accept"
    )
    return redirect("console:bot_corrections")


@permission_required(roles.can_train_bot)
def model_versions(request):
    return render(
        request,
        "console/bot_models.html",
        {
            "versions": bot_selectors.model_versions_recent(),
            "examples": bot_selectors.training_examples_count(),
        },
    )


@permission_required(roles.can_train_bot)
@require_POST
def model_activate(request, version_id):
    version = bot_selectors.model_version_get(version_id=version_id)
    if version is None:
        raise Http404
    bot_actions.model_activate(version=version, actor=request.user)
    messages.success(
        request, _("Version %(version)s is now active in every process.") % {"version": version.version}
    )
    return redirect("console:bot_models")


@permission_required(roles.can_train_bot)
@require_POST
def model_retrain(request):
    from okpay.bot.tasks import bot_train_enqueue_once

    if bot_train_enqueue_once(actor_id=request.user.pk):
        messages.success(
            request,
            _(
                "Training started in the background; the new version becomes active when it is ready "
                "(about a minute)."
            ),
        )
    else:
        messages.info(
            request,
            _("A training is already queued or running; its version appears here when it is ready."),
        )
    return redirect("console:bot_models")
