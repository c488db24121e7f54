"""Customer side: submit a question (signed in or not), follow it, reply, mark it solved."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from okpay.accounts.roles import is_staff
from okpay.bot.selectors import box_conversation, first_question
from okpay.core.audit import client_ip
from okpay.core.errors import DomainError
from okpay.core.ratelimit import rate_limited
from okpay.core.uploads import UploadLimitHandler, request_content_length, size_text
from okpay.helpcenter.selectors import article_by_key_for_language
from okpay.wallet.selectors import transaction_for_user

from . import actions, selectors
from .choices import TicketChannel
from .forms import ATTACHMENT_MAX_COUNT, RatingForm, ReplyForm, TicketForm, attachment_max_bytes
from .merge import merge_destination
from .models import Ticket, TicketAttachment


def too_many(request) -> bool:
    if request.user.is_authenticated:
        return rate_limited("question_per_customer", str(request.user.pk))
    return rate_limited("question_per_guest_ip", client_ip(request) or "-")


def too_many_text() -> str:
    return _(
        "You have sent several questions in a short time. Please wait an hour, "
        "or add to one you already sent."
    )


def upload_cap() -> int:
    """The largest request a form with attachments accepts: every file at its limit, plus a margin
    for the text fields and the multipart framing."""
    return ATTACHMENT_MAX_COUNT * attachment_max_bytes() + settings.OKPAY_UPLOAD_FORM_MARGIN_BYTES


def _refused(request, *, title: str, message: str, back_url: str, status: int):
    return render(
        request,
        "tickets/refused.html",
        {"title": title, "message": message, "back_url": back_url},
        status=status,
    )


def upload_limited(*, counted: bool, back_url):
    """For a form with attachments, before its body is read:
    - `counted`: every POST is one attempt against the question budget (too_many) — refused or not,
      so failed uploads use it up too; over the budget, the body is not read at all (429);
    - a body larger than `upload_cap()` is not read either (413, a translated page; under ASGI the
      body is not even received: see okpay.core.uploads.RequestBodyLimit);
    - otherwise UploadLimitHandler goes first in the upload handlers, so a file past its limit is
      dropped while it arrives; the view shows why (request.upload_refused).
    The CSRF check reads the body, so it runs after this (csrf_exempt outside, csrf_protect inside,
    as Django's documentation describes for changing upload handlers)."""

    def decorate(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                if counted and too_many(request):
                    return _refused(
                        request,
                        title=_("Please wait a little"),
                        message=too_many_text(),
                        back_url=back_url(request, *args, **kwargs),
                        status=429,
                    )
                if request_content_length(request) > upload_cap():
                    return _refused(
                        request,
                        title=_("The files are too large"),
                        message=_(
                            "You can attach at most %(count)d files of %(size)s each. Nothing was "
                            "saved: please go back and choose smaller files."
                        )
                        % {"count": ATTACHMENT_MAX_COUNT, "size": size_text(attachment_max_bytes())},
                        back_url=back_url(request, *args, **kwargs),
                        status=413,
                    )
                handler = UploadLimitHandler(
                    max_bytes=attachment_max_bytes(), max_files=ATTACHMENT_MAX_COUNT, request=request
                )
                request.upload_handlers.insert(0, handler)
                request.upload_refused = handler.refused
            return protected(request, *args, **kwargs)

        wrapped = csrf_exempt(wrapped)
        wrapped.okpay_body_limit = upload_cap  # read by RequestBodyLimit (ASGI)
        return wrapped

    return decorate


def _grant(request, number: str) -> None:
    granted = request.session.get(selectors.SESSION_ACCESS_KEY, [])
    if number not in granted:
        request.session[selectors.SESSION_ACCESS_KEY] = [*granted[-49:], number]


@upload_limited(counted=True, back_url=lambda request: request.get_full_path())
def new(request):
    """ "Submit a question". Context travels with it: the help article the customer was reading
    (?article=key) or the answer bot conversation that handed over (?from=bot)."""
    language = get_language()
    signed_in = request.user.is_authenticated
    article_key = (request.POST.get("article") or request.GET.get("article") or "")[:100]
    article = article_by_key_for_language(key=article_key, language=language) if article_key else None
    from_bot = (request.POST.get("from") or request.GET.get("from")) == "bot"
    conversation = box_conversation(request) if from_bot else None
    transaction_id = request.POST.get("transaction") or request.GET.get("transaction") or ""
    transaction = (
        transaction_for_user(user=request.user, transaction_id=int(transaction_id))
        if signed_in and transaction_id.isdigit()
        else None
    )
    if request.method == "POST":
        form = TicketForm(
            request.POST, request.FILES, signed_in=signed_in, conversation_attached=conversation is not None
        )
        form.upload_refused(getattr(request, "upload_refused", ()))
        if form.is_valid():  # the attempt was counted against the budget by upload_limited
            data = form.cleaned_data
            ticket = actions.ticket_create(
                requester=request.user,
                email=data.get("email", ""),
                name=data.get("name", ""),
                language=language,
                topic=data["topic"],
                subject=data["subject"],
                # with the bot's conversation attached the message may stay empty: the question it handed
                # off stands for it (the whole conversation is on the question for the team)
                body=data["body"]
                or (first_question(conversation) if conversation else "")
                or data["subject"],
                files=data["attachments"],
                channel=TicketChannel.BOT if conversation else TicketChannel.WEB,
                article_key=article.article.key if article else "",
                bot_conversation=conversation,
                transaction=transaction,
            )
            _grant(request, ticket.number)
            if ticket.receipt_sent:
                text = _(
                    "Thank you — your question %(number)s has reached our team. A confirmation is "
                    "on its way to your email."
                )
            else:
                text = _(
                    "Thank you — your question %(number)s has reached our team. Several confirmations "
                    "went to this email address recently, so we sent none this time: follow your "
                    "question on this page. Our answer will come by email."
                )
            messages.success(request, text % {"number": ticket.number})
            return redirect("tickets:detail", number=ticket.number)
    else:
        initial = {"topic": request.GET.get("topic", "")}
        if transaction is not None:
            initial["subject"] = f"{transaction.get_kind_display()} {transaction.display_reference}"
            initial["topic"] = initial["topic"] or ("dispute" if transaction.kind == "payment" else "topup")
        elif article is not None:
            initial["subject"] = article.translation.title[:200]
        elif conversation is not None:
            initial["subject"] = first_question(conversation)[:200]
        elif request.GET.get("q"):
            initial["subject"] = request.GET["q"].strip()[:200]
        form = TicketForm(
            initial=initial, signed_in=signed_in, conversation_attached=conversation is not None
        )
    return render(
        request,
        "tickets/new.html",
        {
            "form": form,
            "article": article,
            "conversation": conversation,
            "from_bot": from_bot and conversation is not None,
            "transaction": transaction,
        },
    )


@login_required
def mine(request):
    return render(
        request, "tickets/list.html", {"tickets": selectors.tickets_for_customer(user=request.user)}
    )


def _viewer(view):
    """Only the ticket's customer gets in; a visitor who is not signed in is asked to sign in
    (whether or not the number exists), anyone else gets a 404."""

    @wraps(view)
    def wrapped(request, number, *args, **kwargs):
        ticket = selectors.ticket_for_viewer(number=number, user=request.user, session=request.session)
        if ticket is None:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise Http404
        if ticket.merged_into_id is not None:
            return _merged(request, ticket)
        return view(request, ticket, *args, **kwargs)

    return wrapped


def _merged(request, ticket):
    """A question merged into another (merge.py): its links lead to that one when this viewer may see
    it (the same customer: their account, or for a question without an account the emailed link);
    nothing was changed by a form sent to the old page."""
    destination = merge_destination(ticket)
    visible = destination is not None and (
        selectors.ticket_for_viewer(number=destination.number, user=request.user, session=request.session)
        is not None
    )
    if not visible:
        return render(request, "tickets/merged.html", {"ticket": ticket})
    if request.method == "POST":
        messages.warning(
            request,
            _("Question %(old)s was merged into %(new)s, so nothing was sent. Please add it here.")
            % {"old": ticket.number, "new": destination.number},
        )
    else:
        messages.info(
            request,
            _("Question %(old)s was merged into %(new)s: its messages are here.")
            % {"old": ticket.number, "new": destination.number},
        )
    return redirect("tickets:detail", number=destination.number)


def _detail(request, ticket, *, form=None, rating_form=None, status=200):
    article = (
        article_by_key_for_language(key=ticket.article_key, language=get_language())
        if ticket.article_key
        else None
    )
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "thread": selectors.public_messages(ticket),
            "article": article,
            "form": form or ReplyForm(),
            "rating": selectors.rating_for(ticket),
            "rating_form": rating_form or RatingForm(),
            "guest": ticket.requester_id is None,
        },
        status=status,
    )


@_viewer
def detail(request, ticket):
    return _detail(request, ticket)


@upload_limited(counted=False, back_url=lambda request, number: reverse("tickets:detail", args=[number]))
@require_POST
@_viewer
def reply(request, ticket):
    form = ReplyForm(request.POST, request.FILES)
    form.upload_refused(getattr(request, "upload_refused", ()))
    if form.is_valid():
        try:
            actions.ticket_customer_reply(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your reply was added. We will get back to you by email."))
            return redirect("tickets:detail", number=ticket.number)
    return _detail(request, ticket, form=form, status=200 if form.is_valid() else 400)


@require_POST
@_viewer
def solve(request, ticket):
    actions.ticket_customer_solve(ticket=ticket, actor=request.user)
    messages.success(request, _("Marked as solved. Reply any time if you need more help."))
    return redirect("tickets:detail", number=ticket.number)


@require_POST
@_viewer
def rate(request, ticket):
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, rating_form=form, status=400)
    try:
        actions.ticket_rate(
            ticket=ticket,
            actor=request.user,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("tickets:detail", number=ticket.number)


def access(request, token):
    """The link in our emails. A question asked without an account opens in this browser; one that
    belongs to an account asks its owner to sign in."""
    number = actions.access_token_read(token)
    if number is None:
        return render(request, "tickets/link_invalid.html", status=404)
    _grant(request, number)
    merged = Ticket.objects.filter(number=number, merged_into__isnull=False).first()
    destination = merge_destination(merged) if merged is not None else None
    if destination is not None and destination.requester_id is None:
        # the emailed link of a question merged into another: the same address asked both (merge.py)
        _grant(request, destination.number)
    return redirect("tickets:detail", number=number)


def attachment(request, attachment_id):
    item = get_object_or_404(TicketAttachment.objects.select_related("message__ticket"), pk=attachment_id)
    ticket = item.message.ticket
    customer_may_see = (
        item.message.is_public
        and selectors.ticket_for_viewer(number=ticket.number, user=request.user, session=request.session)
        is not None
    )
    if not (is_staff(request.user) or customer_may_see):
        raise Http404
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
