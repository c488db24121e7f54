"""Questions (tickets) for the signed-in customer: list, submit, read, add to. The same rules as
the web form (validation, rate limits, emails); staff work tickets in the console."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from okpay.accounts import roles
from okpay.core.api import ApiError

from . import actions, selectors, workflow
from .choices import SupportGroup, TicketChannel, TicketStatus
from .forms import AgentReplyForm, ReplyForm, TicketForm
from .merge import merge_destination
from .views import too_many, too_many_text

router = Router(tags=["tickets"])


class TicketIn(Schema):
    topic: str
    subject: str
    body: str
    article: str = ""


class ReplyIn(Schema):
    body: str


class MessageOut(Schema):
    kind: str  # customer | agent | system
    body: str
    created_at: datetime


class TicketOut(Schema):
    number: str
    subject: str
    topic: str
    status: str
    status_text: str
    created_at: datetime
    updated_at: datetime
    url: str


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


def _out(ticket, *, messages: bool = False) -> dict:
    data = {
        "number": ticket.number,
        "subject": ticket.subject,
        "topic": ticket.topic,
        "status": ticket.status,
        "status_text": str(ticket.customer_status_text),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "url": actions.customer_url(ticket),
    }
    if messages:
        data["messages"] = [
            {
                "kind": m.kind,
                "body": m.system_text if m.kind == "system" else m.body,
                "created_at": m.created_at,
            }
            for m in selectors.public_messages(ticket)
        ]
    return data


def _invalid(form):
    raise ApiError(
        422,
        "invalid",
        _("Some fields need attention."),
        details={
            field: [e["message"] for e in errors] for field, errors in form.errors.get_json_data().items()
        },
    )


def _mine(request, number):
    ticket = selectors.ticket_for_viewer(number=number, user=request.auth, session={})
    if ticket is None:
        raise ApiError(404, "not_found", _("No such question."))
    if ticket.merged_into_id is not None:  # merged into another of theirs: that one answers (merge.py)
        destination = merge_destination(ticket)
        if destination is None or destination.requester_id != ticket.requester_id:
            raise ApiError(404, "not_found", _("No such question."))
        return destination
    return ticket


@router.get("/tickets", response=list[TicketOut], summary="My questions, most recently updated first")
def tickets_list(request):
    return [_out(t) for t in selectors.tickets_for_customer(user=request.auth)[:100]]


@router.post("/tickets", response={201: TicketDetailOut}, summary="Submit a question")
def tickets_create(request, payload: TicketIn):
    if too_many(request):  # every attempt counts, valid or not (as on the web form)
        raise ApiError(429, "rate_limited", too_many_text())
    form = TicketForm(payload.dict(), signed_in=True)
    if not form.is_valid():
        _invalid(form)
    data = form.cleaned_data
    ticket = actions.ticket_create(
        requester=request.auth,
        email="",
        language=request.auth.language,
        topic=data["topic"],
        subject=data["subject"],
        body=data["body"],
        article_key=payload.article[:100],
    )
    return Status(201, _out(ticket, messages=True))


@router.get("/tickets/{number}", response=TicketDetailOut, summary="One question with its public messages")
def tickets_get(request, number: str):
    return _out(_mine(request, number), messages=True)


@router.post("/tickets/{number}/messages", response={201: TicketDetailOut}, summary="Add to a question")
def tickets_reply(request, number: str, payload: ReplyIn):
    ticket = _mine(request, number)
    form = ReplyForm({"body": payload.body})
    if not form.is_valid():
        _invalid(form)
    # a refusal (TicketError "closed", 409) is answered by the API's DomainError handler
    actions.ticket_customer_reply(ticket=ticket, actor=request.auth, body=form.cleaned_data["body"])
    ticket.refresh_from_db()
    return Status(201, _out(ticket, messages=True))


# --- for agents (issue 15): the queue, one question with its notes, reply, note, assign, status -------
# Staff only (okpay.accounts.roles.is_staff): the queue answers anyone else 403; a question's endpoints
# answer them 404 (nothing tells a customer a question exists, or has notes). Every change goes through
# the same action as the console's (actions.py); a refusal is a DomainError ({"error": …}, 403/409)
# and changes nothing.


class ErrorBody(Schema):
    code: str = Field(..., description="stable, for programs (e.g. illegal_transition)")
    message: str = Field(..., description="for people, in the request's language")


class ErrorOut(Schema):
    error: ErrorBody


def _errors(*statuses: int) -> dict:
    return dict.fromkeys(statuses, ErrorOut)


class StaffTicketOut(Schema):
    number: str
    subject: str
    requester_email: str
    has_account: bool
    topic: str
    channel: str = Field(..., description=", ".join(TicketChannel.values))
    status: str = Field(..., description=", ".join(TicketStatus.values))
    priority: str
    assignee: str | None = Field(..., description="the assignee's email; null: the shared queue")
    reply_due_at: datetime | None = Field(..., description="the reply the team owes is due (null: none)")
    resolution_due_at: datetime | None
    paused: bool = Field(..., description="the clocks wait for the customer")
    created_at: datetime
    updated_at: datetime
    group: str = Field("", description="the support group: " + ", ".join(SupportGroup.values))
    tags: list[str] = Field(default_factory=list, description="the question's tags, sorted")
    merged_into: str | None = Field(
        None, description="the number of the question this one was merged into (closed; reply there)"
    )


class QueueOut(Schema):
    items: list[StaffTicketOut]
    next_after: str = Field(..., description="pass as `after` for the next page; empty on the last page")


class StaffMessageOut(Schema):
    kind: str = Field(
        ..., description="customer, agent, note (internal, never shown to the customer) or system"
    )
    author: str | None = Field(..., description="the author's email (staff and signed-in customers)")
    body: str
    created_at: datetime


class StaffTicketDetailOut(StaffTicketOut):
    messages: list[StaffMessageOut]
    may_move_to: list[str] = Field(..., description="the statuses the caller may set now")


class AgentReplyIn(Schema):
    body: str
    status: str = Field("", description="then set this status; empty: waiting for the customer when allowed")


class NoteIn(Schema):
    body: str


class AssignIn(Schema):
    assignee: str = Field(..., description='"me", "" (back to the shared queue) or a staff member\'s email')


class StatusIn(Schema):
    status: str = Field(..., description=", ".join(TicketStatus.values))


class TagsIn(Schema):
    tags: list[str] = Field(
        ...,
        max_length=workflow.TAGS_PER_QUESTION,
        description="the question's tags from now on ([] removes them all): letters (Chinese too), digits "
        "and single hyphens, 1–40 characters; stored NFKC-normalised and lowercase",
    )


class GroupIn(Schema):
    group: str = Field(..., description=", ".join(SupportGroup.values))


def _merged_numbers(tickets) -> dict[int, str]:
    """The numbers of the questions these were merged into, in one query (for a queue page)."""
    from .models import Ticket

    ids = {t.merged_into_id for t in tickets if t.merged_into_id}
    return dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}


def _staff_out(ticket, merged_numbers: dict[int, str] | None = None) -> dict:
    numbers = merged_numbers if merged_numbers is not None else _merged_numbers([ticket])
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "requester_email": ticket.requester_email,
        "has_account": ticket.requester_id is not None,
        "topic": ticket.topic,
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee.email if ticket.assignee_id else None,
        "reply_due_at": ticket.reply_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "paused": ticket.paused_at is not None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "group": ticket.group,
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "merged_into": numbers.get(ticket.merged_into_id) if ticket.merged_into_id else None,
    }


def _staff_detail(ticket, user) -> dict:
    data = _staff_out(ticket)
    data["messages"] = [
        {
            "kind": m.kind,
            "author": m.author.email if m.author_id else None,
            "body": m.system_text if m.kind == "system" else m.body,
            "created_at": m.created_at,
        }
        for m in selectors.all_messages(ticket)
    ]
    data["may_move_to"] = actions.ticket_transition_targets(ticket=ticket, actor=user)
    return data


def _staff_ticket(request, number: str):
    """The question for staff; 404 for anyone else, as for a question that does not exist."""
    ticket = selectors.ticket_for_staff(number=number) if roles.is_staff(request.auth) else None
    if ticket is None:
        raise ApiError(404, "not_found", _("No such question."))
    return ticket


def _body(text: str) -> str:
    """The console's reply box rules (required, at most 5000 characters)."""
    form = AgentReplyForm({"body": text})
    if not form.is_valid():
        _invalid(form)
    return form.cleaned_data["body"]


def _status_value(status: str) -> str:
    if status not in TicketStatus.values:
        raise ApiError(
            422,
            "invalid",
            _("Choose a valid status."),
            details={"status": [str(_("Choose a valid status."))]},
        )
    return status


@router.get(
    "/staff/tickets",
    response={200: QueueOut, **_errors(401, 403)},
    summary="Agents: the queue (a view, filters, search), 50 at a time",
    description="`view`: open (new and open, the default), mine (assigned to the caller, not finished), "
    "unassigned, breaching (a running reply or resolution clock past its warning time or due within the "
    "hour) or all; `status` and `channel` narrow it; `q` is a question number or words (Chinese is "
    "segmented: 退款 finds 我的退款还没到账; internal notes are searched too). Work views are oldest "
    "first, `all` and searches newest first. Staff only.",
)
def staff_queue(
    request,
    view: str = Query("open", description=", ".join(selectors.VIEWS)),
    status: str = Query("", description=", ".join(TicketStatus.values)),
    channel: str = Query("", description=", ".join(TicketChannel.values)),
    group: str = Query("", description=", ".join(SupportGroup.values)),
    tag: str = Query("", max_length=100, description="questions with this tag"),
    q: str = Query("", max_length=100),
    after: str = Query("", max_length=60, description="the `next_after` of the previous page"),
    limit: int = Query(selectors.PAGE_SIZE, ge=1, le=100),
):
    if not roles.is_staff(request.auth):
        raise ApiError(403, "forbidden", _("This is for OKPay staff."))
    filters = selectors.QueueFilters.parse(
        {"view": view, "status": status, "channel": channel, "q": q, "group": group, "tag": tag}
    )
    page = selectors.queue_page(filters, user=request.auth, after=after, limit=limit)
    numbers = _merged_numbers(page.rows)
    return {"items": [_staff_out(t, numbers) for t in page.rows], "next_after": page.next_after}


@router.get(
    "/staff/tickets/{number}",
    response={200: StaffTicketDetailOut, **_errors(401, 404)},
    summary="Agents: one question with every message and internal note",
)
def staff_ticket_get(request, number: str):
    return _staff_detail(_staff_ticket(request, number), request.auth)


@router.post(
    "/staff/tickets/{number}/replies",
    response={201: StaffTicketDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Agents: reply to the customer (emailed), optionally setting a status",
)
def staff_ticket_reply(request, number: str, payload: AgentReplyIn):
    ticket = _staff_ticket(request, number)
    body = _body(payload.body)
    status = _status_value(payload.status) if payload.status else None
    actions.ticket_agent_reply(ticket=ticket, actor=request.auth, body=body, status=status)
    return Status(201, _staff_detail(_staff_ticket(request, number), request.auth))


@router.post(
    "/staff/tickets/{number}/notes",
    response={201: StaffTicketDetailOut, **_errors(401, 404, 422)},
    summary="Agents: add an internal note (never shown or sent to the customer)",
)
def staff_ticket_note(request, number: str, payload: NoteIn):
    ticket = _staff_ticket(request, number)
    actions.ticket_agent_reply(ticket=ticket, actor=request.auth, body=_body(payload.body), internal=True)
    return Status(201, _staff_detail(_staff_ticket(request, number), request.auth))


@router.put(
    "/staff/tickets/{number}/assignee",
    response={200: StaffTicketDetailOut, **_errors(401, 404, 422)},
    summary="Agents: assign to me, to another staff member, or back to the shared queue",
)
def staff_ticket_assign(request, number: str, payload: AssignIn):
    ticket = _staff_ticket(request, number)
    who = payload.assignee.strip()
    if who == "me":
        assignee = request.auth
    elif not who:
        assignee = None
    else:
        assignee = get_user_model().objects.filter(email__iexact=who[:254]).first()
        if assignee is None or not roles.is_staff(assignee):
            message = _("Choose a member of staff to assign it to.")
            raise ApiError(422, "invalid", message, details={"assignee": [message]})
    actions.ticket_assign(ticket=ticket, actor=request.auth, assignee=assignee)
    return _staff_detail(_staff_ticket(request, number), request.auth)


@router.put(
    "/staff/tickets/{number}/status",
    response={200: StaffTicketDetailOut, **_errors(401, 403, 404, 409, 422)},
    summary="Agents: change the status (the moves of the question's state machine)",
    description="A move not in the state machine answers 409 (illegal_transition), one the caller may "
    "not make 403 (forbidden, e.g. an agent reopening a closed question); neither changes anything. "
    "Setting solved emails the customer.",
)
def staff_ticket_status(request, number: str, payload: StatusIn):
    ticket = _staff_ticket(request, number)
    actions.ticket_status_set(ticket=ticket, actor=request.auth, status=_status_value(payload.status))
    return _staff_detail(_staff_ticket(request, number), request.auth)


@router.put(
    "/staff/tickets/{number}/tags",
    response={200: StaffTicketDetailOut, **_errors(401, 404, 422)},
    summary="Agents: set the question's tags",
    description="Replaces the question's tags with `tags` (each normalised: NFKC, lowercase). An invalid "
    "tag answers 422 (invalid_tag) and changes nothing; at most 20 tags.",
)
def staff_ticket_tags(request, number: str, payload: TagsIn):
    ticket = _staff_ticket(request, number)
    workflow.ticket_tags_set(ticket=ticket, actor=request.auth, names=payload.tags)
    return _staff_detail(_staff_ticket(request, number), request.auth)


@router.put(
    "/staff/tickets/{number}/group",
    response={200: StaffTicketDetailOut, **_errors(401, 404, 422)},
    summary="Agents: move the question to another support group",
    description="The new group's team takes it over: an unfinished question leaves its assignee and is "
    "auto-assigned in the new group (round robin over its available agents) or waits in its queue.",
)
def staff_ticket_group(request, number: str, payload: GroupIn):
    ticket = _staff_ticket(request, number)
    workflow.ticket_group_set(ticket=ticket, actor=request.auth, group=payload.group)
    return _staff_detail(_staff_ticket(request, number), request.auth)


# --- for agents (issue 15): the callback queue and callback outcomes --------------------------------
# The console's callback queue (phone.callback_queue) and its outcome form, for programs: staff only (the
# queue answers anyone else 403, a callback's outcome 404), every outcome through
# phone_actions.callback_outcome_record (reached; no answer → one retry, then the customer is emailed).


class CallbackAttemptOut(Schema):
    outcome: str = Field(..., description="reached or no_answer")
    agent: str | None = Field(..., description="the email of the agent who called")
    note: str
    created_at: datetime


class CallbackOut(Schema):
    id: int
    ticket: str = Field(..., description="the question's number (GET /staff/tickets/{number})")
    subject: str
    topic: str
    phone: str = Field(..., description="the number to call, E.164")
    slot_start: datetime
    slot_end: datetime
    time_zone: str = Field(..., description="the customer's time zone, for speaking of the slot")
    state: str = Field(..., description="requested, retry (no answer once), reached or failed")
    due_at: datetime = Field(..., description="when the next call is due (the slot, then the retry)")
    overdue: bool
    created_at: datetime
    attempts: list[CallbackAttemptOut]


class CallbackQueueOut(Schema):
    items: list[CallbackOut]


class CallbackOutcomeIn(Schema):
    outcome: str = Field(..., description="reached or no_answer")
    note: str = Field("", description="internal, at most 1000 characters; added to the question's note")


def _callback_out(callback) -> dict:
    return {
        "id": callback.pk,
        "ticket": callback.ticket.number,
        "subject": callback.ticket.subject,
        "topic": callback.ticket.topic,
        "phone": callback.phone,
        "slot_start": callback.slot_start,
        "slot_end": callback.slot_end,
        "time_zone": callback.time_zone,
        "state": callback.state,
        "due_at": callback.due_at,
        "overdue": callback.is_overdue,
        "created_at": callback.created_at,
        "attempts": [
            {
                "outcome": attempt.outcome,
                "agent": attempt.agent.email if attempt.agent_id else None,
                "note": attempt.note,
                "created_at": attempt.created_at,
            }
            for attempt in callback.attempts.all()
        ],
    }


@router.get(
    "/staff/callbacks",
    response={200: CallbackQueueOut, **_errors(401, 403)},
    summary="Agents: the open callbacks, the one due soonest first",
    description="Callbacks customers booked that are still to be made: requested, or waiting for their one "
    "retry after a first no-answer; `overdue` when the due time has passed. The same queue as the "
    "console's. Staff only.",
)
def staff_callbacks(request, limit: int = Query(50, ge=1, le=200)):
    from . import phone

    if not roles.is_staff(request.auth):
        raise ApiError(403, "forbidden", _("This is for OKPay staff."))
    return {"items": [_callback_out(c) for c in phone.callback_queue()[:limit]]}


@router.post(
    "/staff/callbacks/{callback_id}/outcome",
    response={200: CallbackOut, **_errors(401, 404, 409, 422)},
    summary="Agents: record what happened on a callback's call",
    description="`reached` finishes the callback (the call was the reply owed: the question's reply clock "
    "stops); `no_answer` the first time schedules one retry inside the phone hours, the second time "
    "emails the customer and marks it failed. Each attempt is stored with the caller and an internal "
    "note goes on the question. A finished callback answers 409 (callback_finished) and changes "
    "nothing.",
)
def staff_callback_outcome(request, callback_id: int, payload: CallbackOutcomeIn):
    from .models import Callback
    from .phone_actions import callback_outcome_record
    from .phone_forms import CallbackOutcomeForm

    callback = Callback.objects.filter(pk=callback_id).first() if roles.is_staff(request.auth) else None
    if callback is None:
        raise ApiError(404, "not_found", _("No such callback."))
    form = CallbackOutcomeForm({"outcome": payload.outcome, "note": payload.note})
    if not form.is_valid():
        _invalid(form)
    callback = callback_outcome_record(
        callback=callback,
        actor=request.auth,
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
    )
    return _callback_out(Callback.objects.select_related("ticket").get(pk=callback.pk))
