"""Questions (tickets) for the signed-in customer: list, submit, read, add to. The same rules as
the web form (validation, rate limits, emails); staff work tickets in the console."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from okpay.core.api import ApiError

from . import actions, selectors
from .forms import ReplyForm, TicketForm
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
