"""Live chat in the console (docs/chat.md): the agent's inbox and presence, one conversation (accept,
reply, notes, saved replies, transfer, convert, close, agent assist, marking a bot answer wrong) and
the supervisor's dashboard. Views only: reads through okpay.chat.selectors (a conversation the user
may not act on is 404 and nothing changes), every change through okpay.chat.actions, which hold the
rules (the transition table decides who may transfer or close). static/js/console_chat.js makes the
pages live (the ws/chat/ websocket, polling when it cannot connect); without it they still work."""

import uuid

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from okpay.accounts import roles
from okpay.accounts.permissions import permission_required
from okpay.bot.catalog import intent_choices
from okpay.bot.selectors import conversation_turns
from okpay.chat import actions as chat_actions
from okpay.chat import selectors as chat_selectors
from okpay.chat.assist import macro_text, suggest
from okpay.chat.choices import Availability, ChatGroup, ConversationStatus, Sender
from okpay.chat.presenters import message_data
from okpay.core import i18n
from okpay.core.errors import DomainError
from okpay.core.uploads import size_text
from okpay.tickets.forms import attachment_extensions, attachment_max_bytes, upload_refusal_text
from okpay.tickets.selectors import macros_in_use
from okpay.tickets.views import upload_limited

AUTO_REFRESH_SECONDS = 5  # the inbox and dashboard poll this often when the websocket is not open


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _tab(request) -> str:
    tab = request.GET.get("tab", "queue")
    return tab if tab in chat_selectors.INBOX_TABS or tab in ChatGroup.values else "queue"


@require_GET
@permission_required(roles.is_staff)
def inbox(request):
    tab = _tab(request)
    context = {
        "tab": tab,
        "rows": chat_selectors.inbox_rows(user=request.user, tab=tab),
        "counts": chat_selectors.inbox_counts(user=request.user),
        "groups": ChatGroup.choices,
        "refresh_seconds": AUTO_REFRESH_SECONDS,
    }
    if request.GET.get("partial") == "1":  # the live refresh swaps only the list
        return render(request, "console/_chat_inbox_list.html", context)
    presence = chat_selectors.presence_for(agent=request.user)
    context.update(
        presence=presence,
        availability=presence.availability if presence else Availability.OFFLINE,
        capacity=presence.capacity if presence else 3,
        availabilities=Availability.choices,
        capacities=range(1, 11),
    )
    return render(request, "console/chat_inbox.html", context)


@require_POST
@permission_required(roles.is_staff)
def presence(request):
    capacity = request.POST.get("capacity", "")
    try:
        chat_actions.presence_set(
            agent=request.user,
            availability=request.POST.get("availability", ""),
            capacity=int(capacity) if capacity.isdigit() else None,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your chat availability is saved."))
    return redirect("console:chat_inbox")


def _readable(request, conversation_id):
    conversation = chat_selectors.conversation_for_staff(user=request.user, conversation_id=conversation_id)
    if conversation is None:
        raise Http404
    return conversation


def _workable(request, conversation_id):
    conversation = chat_selectors.conversation_for_staff_action(
        user=request.user, conversation_id=conversation_id
    )
    if conversation is None:
        raise Http404
    return conversation


def _stream(conversation, user) -> list[dict]:
    """Every message, notes included, as staff see them (system messages in the console's language)."""
    language = i18n.current()
    rows: list[dict] = []
    after = 0
    while True:
        page = chat_selectors.messages_after(conversation=conversation, after=after, for_customer=False)
        rows.extend(
            row for m in page if (row := message_data(m, language=language, for_customer=False)) is not None
        )
        if len(page) < chat_selectors.MESSAGES_PAGE:
            return rows
        after = page[-1].seq


@require_GET
@permission_required(roles.is_staff)
def conversation(request, conversation_id):
    chat = _readable(request, conversation_id)
    may_act = (
        chat_selectors.conversation_for_staff_action(user=request.user, conversation_id=chat.pk) is not None
    )
    is_agent = chat.status == ConversationStatus.ACTIVE and (
        chat.agent_id == request.user.pk or roles.is_supervisor(request.user)
    )
    turns = chat_selectors.bot_turns_by_seq(chat)
    stream = _stream(chat, request.user)
    for row in stream:
        row["turn"] = turns.get(row["seq"])
    others = [
        (agent.pk, agent.display_name) for agent in chat_selectors.agents_on_duty(exclude=chat.agent_id)
    ]
    return render(
        request,
        "console/chat_conversation.html",
        {
            "chat": chat,
            "stream": stream,
            "last_seq": stream[-1]["seq"] if stream else 0,
            # what the customer asked the bot before this chat (e.g. in the help center's box): the
            # turns not already in the stream, in the reader's language and time zone
            "earlier_turns": [
                turn
                for turn in conversation_turns(chat.bot_conversation)
                if turn.pk not in set(turns.values())
            ],
            "bot_turns": [row for row in stream if row["sender"] == Sender.BOT],
            "may_act": may_act,
            "may_accept": may_act and chat.status == ConversationStatus.QUEUED,
            "may_reply": is_agent,
            "may_move": is_agent,
            "may_note": may_act,
            "macros": [(m.pk, m.title, macro_text(m, chat)) for m in macros_in_use()],
            "groups": ChatGroup.choices,
            "agents": others,
            "intents": intent_choices(),
            "client_id": uuid.uuid4().hex,
            "file_client_id": uuid.uuid4().hex,
            "file_accept": ",".join(attachment_extensions()),
            "file_help": _(
                "JPG, PNG, PDF or TXT, up to %(size)s. The customer can download it from the chat."
            )
            % {"size": size_text(attachment_max_bytes())},
            "needs_email": not chat.user_id,
        },
    )


def _done(request, chat, text, *, data=None):
    if _wants_json(request):
        return JsonResponse({"ok": True, **(data or {})})
    messages.success(request, text)
    return redirect("console:chat_conversation", conversation_id=chat.pk)


def _refused(request, chat, error: DomainError):
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": error.code, "message": str(error.message)}}, status=error.status
        )
    messages.error(request, error.message)
    return redirect("console:chat_conversation", conversation_id=chat.pk)


@require_POST
@permission_required(roles.is_staff)
def accept(request, conversation_id):
    chat = _workable(request, conversation_id)
    try:
        chat_actions.agent_accept(conversation=chat, actor=request.user)
    except DomainError as error:
        return _refused(request, chat, error)
    return _done(request, chat, _("You have the chat. Say hello."))


@require_POST
@permission_required(roles.is_staff)
def post(request, conversation_id):
    """A reply to the customer or (note=1) an internal note. The form's client id makes a double
    submit or a retry store the message once."""
    chat = _workable(request, conversation_id)
    note = request.POST.get("note") == "1"
    try:
        posted = chat_actions.message_post(
            conversation=chat,
            sender=Sender.NOTE if note else Sender.AGENT,
            author=request.user,
            client_id=request.POST.get("client_id") or uuid.uuid4().hex,
            text=request.POST.get("text", ""),
        )
    except DomainError as error:
        return _refused(request, chat, error)
    data = message_data(posted.message, language=i18n.current(), for_customer=False)
    return _done(
        request,
        chat,
        _("Note saved.") if note else _("Sent."),
        data={"message": data, "duplicate": not posted.created},
    )


@upload_limited(
    counted=False,
    back_url=lambda request, conversation_id: reverse("console:chat_conversation", args=[conversation_id]),
)
@require_POST
@permission_required(roles.is_staff)
def send_file(request, conversation_id):
    """A file for the customer (the questions' upload rules), from the conversation page's file form;
    its client id makes a retry store it once."""
    chat = _workable(request, conversation_id)
    refused = getattr(request, "upload_refused", [])
    upload = request.FILES.get("file")
    if refused or upload is None:
        reason = refused[0] if refused else ""
        error = DomainError(
            "file_invalid", upload_refusal_text(reason) if reason else _("Choose a file."), status=422
        )
        return _refused(request, chat, error)
    try:
        chat_actions.message_post(
            conversation=chat,
            sender=Sender.AGENT,
            author=request.user,
            client_id=request.POST.get("client_id") or uuid.uuid4().hex,
            upload=upload,
        )
    except DomainError as error:
        return _refused(request, chat, error)
    return _done(request, chat, _("File sent."))


@require_POST
@permission_required(roles.is_staff)
def transfer(request, conversation_id):
    chat = _workable(request, conversation_id)
    target = request.POST.get("to", "")
    to_group, to_agent = None, None
    if target.startswith("group:"):
        to_group = target.removeprefix("group:")
    elif target.startswith("agent:"):
        to_agent = chat_selectors.staff_member(user_id=target.removeprefix("agent:"))
        if to_agent is None:
            raise Http404
    else:
        to_group = ""  # refused by the action: choose a group or an agent
    try:
        chat_actions.agent_transfer(
            conversation=chat, actor=request.user, to_group=to_group, to_agent=to_agent
        )
    except DomainError as error:
        return _refused(request, chat, error)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("The chat was passed on with its history."))
    return redirect("console:chat_inbox")


@require_POST
@permission_required(roles.is_staff)
def convert(request, conversation_id):
    chat = _workable(request, conversation_id)
    try:
        converted = chat_actions.conversation_convert(
            conversation=chat, actor=request.user, email=request.POST.get("email", "").strip()
        )
    except DomainError as error:
        return _refused(request, chat, error)
    number = converted.ticket.number if converted.ticket_id else ""
    messages.success(request, _("The chat became question %(number)s.") % {"number": number})
    if number:
        return redirect("console:ticket", number=number)
    return redirect("console:chat_conversation", conversation_id=chat.pk)


@require_POST
@permission_required(roles.is_staff)
def close(request, conversation_id):
    chat = _workable(request, conversation_id)
    try:
        chat_actions.conversation_close(conversation=chat, actor=request.user)
    except DomainError as error:
        return _refused(request, chat, error)
    return _done(request, chat, _("The chat has ended."))


@require_GET
@permission_required(roles.is_staff)
def assist(request, conversation_id):
    """The suggestion for the customer's last message (JSON; console_chat.js shows it by the reply box)."""
    chat = _readable(request, conversation_id)
    suggestion = suggest(chat)
    return JsonResponse({"suggestion": suggestion.as_dict() if suggestion else None})


@require_GET
@permission_required(roles.is_supervisor)
def dashboard(request):
    context = {
        "stats": chat_selectors.dashboard_stats(),
        "group_labels": dict(ChatGroup.choices),
        "refresh_seconds": AUTO_REFRESH_SECONDS * 2,
        "partial_url": reverse("console:chat_dashboard") + "?partial=1",
    }
    if request.GET.get("partial") == "1":
        return render(request, "console/_chat_dashboard_body.html", context)
    return render(request, "console/chat_dashboard.html", context)
