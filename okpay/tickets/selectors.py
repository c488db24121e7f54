from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import search
from .choices import FINISHED_STATUSES, SupportGroup, TicketChannel, TicketStatus
from .models import Macro, Tag, Ticket, TicketRating, TicketTag

SESSION_ACCESS_KEY = "ticket_access"


def tickets_for_customer(*, user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester=user).order_by("-updated_at", "-id")


def ticket_for_viewer(*, number: str, user, session) -> Ticket | None:
    """The ticket if this viewer is its customer: the signed-in requester, or — for a question
    asked without an account — a browser that opened the emailed link. Staff use the console."""
    ticket = Ticket.objects.filter(number=number[:12]).select_related("requester").first()
    if ticket is None:
        return None
    if ticket.requester_id is not None:
        return ticket if user.is_authenticated and user.pk == ticket.requester_id else None
    return ticket if number in session.get(SESSION_ACCESS_KEY, []) else None


def public_messages(ticket: Ticket):
    return (
        ticket.messages.filter(kind__in=("customer", "agent", "system"))
        .select_related("author")
        .prefetch_related("attachments")
    )


def all_messages(ticket: Ticket):
    return ticket.messages.select_related("author").prefetch_related("attachments")


def queue_counts() -> dict[str, str]:
    """The console home's line: questions waiting for us and replies overdue, capped (capped_count)."""
    return {
        "active": capped_count(Ticket.objects.filter(status__in=OPEN_STATUSES)),
        "overdue": overdue_count(),
    }


def overdue_count() -> str:
    """Replies past due on a running clock (Ticket.is_overdue; a paused one waits for the customer)."""
    return capped_count(
        Ticket.objects.filter(
            status__in=OPEN_STATUSES, reply_due_at__lt=timezone.now(), paused_at__isnull=True
        )
    )


def ticket_for_staff(*, number: str) -> Ticket | None:
    return (
        Ticket.objects.filter(number=number[:12])
        .select_related("requester", "assignee", "bot_conversation")
        .first()
    )


def rating_for(ticket: Ticket) -> TicketRating | None:
    return TicketRating.objects.filter(ticket=ticket).first()


def satisfaction_summary(*, days: int = 30) -> dict:
    """CSAT over the last `days`: ratings, average, share satisfied (4–5 of 5)."""
    from datetime import timedelta

    from django.db.models import Avg

    ratings = TicketRating.objects.filter(created_at__gte=timezone.now() - timedelta(days=days))
    summary = ratings.aggregate(
        n=Count("id"), average=Avg("score"), satisfied=Count("id", filter=Q(score__gte=4))
    )
    summary["satisfied_share"] = round(100 * summary["satisfied"] / summary["n"]) if summary["n"] else None
    summary["days"] = days
    return summary


def macros_in_use() -> QuerySet[Macro]:
    return Macro.objects.filter(is_active=True)


# --- the console's queue views and search (issue 15) ----------------------------------------------
# Each view is one index range in (created_at, id) (the partial indexes in models.Ticket.Meta), read a
# page at a time by keyset (`after`: the last row's created_at and id), never counted whole: a tab's
# count stops at COUNT_CAP ("999+").

VIEWS = ("open", "mine", "unassigned", "breaching", "all")
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)  # waiting for us
COUNT_CAP = 1000
PAGE_SIZE = 50
BREACH_HORIZON = timedelta(hours=1)


def _view_filter(view: str, user, now) -> Q:
    if view == "mine":
        return Q(assignee=user, status__in=(*OPEN_STATUSES, TicketStatus.PENDING))
    if view == "unassigned":
        return Q(status__in=OPEN_STATUSES, assignee__isnull=True)
    if view == "breaching":
        return breaching_filter(now)
    if view == "open":
        return Q(status__in=OPEN_STATUSES)
    return Q()


def breaching_filter(now) -> Q:
    """A running clock (not paused, the question waiting for us) whose warning time has passed or whose
    due time is within BREACH_HORIZON — reply or resolution, past due included."""
    soon = now + BREACH_HORIZON
    return Q(status__in=OPEN_STATUSES, paused_at__isnull=True) & (
        Q(reply_warn_at__lte=now)
        | Q(reply_due_at__lte=soon)
        | Q(resolution_warn_at__lte=now)
        | Q(resolution_due_at__lte=soon)
    )


@dataclass(frozen=True)
class QueueFilters:
    view: str = "open"
    status: str = ""
    channel: str = ""
    query: str = ""
    group: str = ""  # one support group's questions (index ticket_group_created)
    tag: str = ""  # questions with this tag (a cleaned name, workflow.tag_name_clean)

    @classmethod
    def parse(cls, data) -> "QueueFilters":
        """From a page's or the API's parameters; anything unknown is left out (the default view)."""
        view = data.get("view") or next((v for v in ("mine", "unassigned") if data.get(v) == "1"), "open")
        from .workflow import TagInvalid, tag_name_clean

        status, channel = data.get("status") or "", data.get("channel") or ""
        group, tag = data.get("group") or "", data.get("tag") or ""
        try:
            tag = tag_name_clean(tag) if tag else ""
        except TagInvalid:
            tag = ""
        return cls(
            view=view if view in VIEWS else "open",
            status=status if status in TicketStatus.values else "",
            channel=channel if channel in TicketChannel.values else "",
            query=(data.get("q") or "").replace("\x00", "").strip()[:100],
            group=group if group in SupportGroup.values else "",
            tag=tag,
        )

    @property
    def newest_first(self) -> bool:
        """Work views show the oldest waiting first; the archive views (all, a finished status) newest."""
        return (self.view == "all" and (not self.status or self.status in FINISHED_STATUSES)) or bool(
            self.query
        )


def _tag_walk(filters: QueueFilters) -> bool:
    """Whether a tag's page is read by walking the tag's rows of the join table in queue order: when the
    tag is the only filter of the "all" view, every row found is on the page. With a narrower view or
    another filter most of the tag's rows would be skipped (oldest first, the first thousands of a tag
    are long closed), so the view's own index is walked instead, checking the tag's questions (a hash)."""
    return filters.view == "all" and not (filters.status or filters.channel or filters.group or filters.query)


def _tag_id(name: str) -> int | None:
    return Tag.objects.filter(name=name).values_list("pk", flat=True).first()


def queue_filtered(filters: QueueFilters, *, user, now=None, tag_joined: bool = False) -> QuerySet[Ticket]:
    """The questions of a view with its status/channel/group/tag filters and search (unordered).
    `tag_joined`: leave the tag out (the caller adds it, see queue_page)."""
    tickets = Ticket.objects.filter(_view_filter(filters.view, user, now or timezone.now()))
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.group:
        tickets = tickets.filter(group=filters.group)
    if filters.tag and not (tag_joined and _tag_walk(filters)):  # (else queue_page walks the tag's rows)
        tag_id = _tag_id(filters.tag)
        # a semi-join: PostgreSQL hashes the tag's question ids and walks the view's own index
        tickets = (
            tickets.filter(pk__in=TicketTag.objects.filter(tag_id=tag_id).values("ticket_id"))
            if tag_id
            else tickets.none()
        )
    if filters.query:
        number = filters.query.upper()
        found = list(Ticket.objects.filter(number=number).values_list("pk", flat=True))
        if found:  # a question number: that question (if it is in the view)
            return tickets.filter(pk=found[0])
        tickets = search.matching(tickets, filters.query)
    return tickets


@dataclass(frozen=True)
class QueuePage:
    rows: list[Ticket]
    next_after: str  # "" on the last page; else the `after` of the next page


def cursor_make(ticket: Ticket) -> str:
    return f"{ticket.created_at.timestamp():.6f}_{ticket.pk}"


def cursor_read(value: str):
    """(created_at, id) from `after`; None for a missing or malformed one (the first page)."""
    stamp, _sep, pk = (value or "").partition("_")
    try:
        return datetime.fromtimestamp(float(stamp), tz=UTC), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def queue_page(
    filters: QueueFilters, *, user, after: str = "", limit: int = PAGE_SIZE, now=None
) -> QueuePage:
    tickets = queue_filtered(filters, user=user, now=now, tag_joined=True)
    tickets = tickets.select_related("assignee").prefetch_related("tags")
    cursor = cursor_read(after)
    desc = filters.newest_first
    # With a tag, the page walks the tag's rows of the join table in (tag, the question's created_at,
    # question) order — one range of its index however rare the tag — and reads each row's question.
    # The tag and the cursor go in one filter(): one join row, so a question with several tags is
    # listed once.
    at_field, id_field, where = "created_at", "id", Q()
    if filters.tag and _tag_walk(filters):
        tag_id = _tag_id(filters.tag)
        if tag_id is None:
            return QueuePage(rows=[], next_after="")
        at_field, id_field, where = (
            "ticket_tags__ticket_created_at",
            "ticket_tags__ticket_id",
            Q(ticket_tags__tag_id=tag_id),
        )
    if cursor is not None:
        at, pk = cursor
        if desc:  # the range bound first, so the index scan starts there
            where &= Q(**{f"{at_field}__lte": at}) & (
                Q(**{f"{at_field}__lt": at}) | Q(**{f"{id_field}__lt": pk})
            )
        else:
            where &= Q(**{f"{at_field}__gte": at}) & (
                Q(**{f"{at_field}__gt": at}) | Q(**{f"{id_field}__gt": pk})
            )
    tickets = tickets.filter(where)
    order = (f"-{at_field}", f"-{id_field}") if desc else (at_field, id_field)
    rows = list(tickets.order_by(*order)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_after=cursor_make(rows[-1]) if more and rows else "")


def capped_count(tickets: QuerySet) -> str:
    """How many, up to COUNT_CAP - 1; "999+" beyond (one index range of at most COUNT_CAP rows)."""
    n = tickets.order_by().values("pk")[:COUNT_CAP].count()
    return f"{COUNT_CAP - 1}+" if n >= COUNT_CAP else str(n)


QUEUE_VERSION_KEY = "okpay:tickets:queue-version"
TAB_COUNTS_SECONDS = 30


def queue_changed(**_kwargs) -> None:
    """A question was written: the tabs' cached counts are out of date (post_save of Ticket). Writes
    that bypass save() (the sweeps' conditional updates) show within TAB_COUNTS_SECONDS."""
    try:
        cache.incr(QUEUE_VERSION_KEY)
    except ValueError:  # not set yet (or evicted)
        cache.set(QUEUE_VERSION_KEY, 1, None)


def queue_tab_counts(filters: QueueFilters, *, user, now=None) -> dict:
    """The tabs' counts (capped): each view with the chosen status/channel, each status and each
    channel within the chosen view. No search counts (the results page says how many it shows).
    Kept for TAB_COUNTS_SECONDS per agent and filters, and recounted after any question is written:
    18 capped counts are most of the queue page's database time at a million questions (bench/tickets.py),
    while the rows below them are always read live."""
    version = cache.get_or_set(QUEUE_VERSION_KEY, 1, None)
    key = (
        f"okpay:tickets:tabs:{version}:{user.pk}:{filters.view}:{filters.status}:{filters.channel}"
        f":{filters.group}:{filters.tag}"
    )
    counts = cache.get(key)
    if counts is None:
        counts = _queue_tab_counts(filters, user=user, now=now)
        cache.set(key, counts, TAB_COUNTS_SECONDS)
    return counts


def queue_header_figures() -> dict:
    """The queue page's header: replies overdue (capped) and the last 30 days' CSAT — counted at most
    once per TAB_COUNTS_SECONDS and after any question is written, like the tabs (at a million questions
    and 170,000 ratings they were a third of the page's database time, bench/tickets_workflow.py)."""
    version = cache.get_or_set(QUEUE_VERSION_KEY, 1, None)
    window = int(timezone.now().timestamp() // TAB_COUNTS_SECONDS)  # a reply falls overdue by time alone
    key = f"okpay:tickets:header:{version}:{window}"
    figures = cache.get(key)
    if figures is None:
        figures = {"overdue": overdue_count(), "satisfaction": satisfaction_summary()}
        cache.set(key, figures, TAB_COUNTS_SECONDS)
    return figures


def _queue_tab_counts(filters: QueueFilters, *, user, now=None) -> dict:
    now = now or timezone.now()
    base = QueueFilters(
        view=filters.view,
        status=filters.status,
        channel=filters.channel,
        group=filters.group,
        tag=filters.tag,
    )
    return {
        "views": {v: capped_count(queue_filtered(replace(base, view=v), user=user, now=now)) for v in VIEWS},
        "statuses": {
            s: capped_count(queue_filtered(replace(base, status=s), user=user, now=now))
            for s in TicketStatus.values
        },
        "channels": {
            c: capped_count(queue_filtered(replace(base, channel=c), user=user, now=now))
            for c in TicketChannel.values
        },
    }
