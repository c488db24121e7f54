"""Full-text search over questions for staff: number, subject, requester address and every message
(customer, agent, system and internal notes). Chinese is segmented with jieba (okpay.core.text), other
text split into words; the words are stored space-separated in Ticket.search_text (" w1 w2 … ").

PostgreSQL indexes that column as a tsvector of exactly those words (migration 0009: GIN on
array_to_tsvector(string_to_array(btrim(search_text), ' ')) — the words are lexemes as they are, as with the
'simple' configuration, without its parser, which drops Chinese characters under a C locale) and a
query is a tsquery of the query's words joined with &. SQLite (make run) matches each word with
" word " inside the column: the same words, the same results, fine on small data.

The column holds internal notes, so it is staff-only: nothing customer-facing searches it. It is kept
up to date by `ticket_search_add` / `ticket_search_rebuild`, which the actions writing a subject or a
message call (docs/decisions.md)."""

import re

from django.db import connection
from django.db.models import BooleanField, F, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from okpay.core.text import CJK, jieba_tokenizer, normalize

MAX_CHARS = 20000  # of one text segmented; the column keeps at most MAX_COLUMN characters
MAX_COLUMN = 100000
MAX_QUERY_WORDS = 8
WORD = re.compile(r"[\w]+", re.UNICODE)


def words(text: str) -> list[str]:
    """The text's search words, in order: jieba's search-mode words of each Chinese run (the words and
    the shorter words inside them, e.g. 到账 in 还没到账), other runs of letters and digits as they are
    (lower case, NFKC)."""
    text = normalize(text[:MAX_CHARS])
    out: list[str] = []
    position = 0
    for match in CJK.finditer(text):
        out.extend(WORD.findall(text[position : match.start()]))
        out.extend(w for w in jieba_tokenizer().cut_for_search(match.group(), HMM=False) if w.strip())
        position = match.end()
    out.extend(WORD.findall(text[position:]))
    return [w[:60].replace("_", " ").strip() or "_" for w in out if w.strip("_")]


def segment(*texts: str) -> str:
    """The column's form: distinct words, space-separated, with a space at each end."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text or ""):
            for part in word.split():
                seen.setdefault(part, None)
    return " " + " ".join(seen) + " " if seen else ""


def ticket_text(ticket) -> str:
    return segment(ticket.number, ticket.subject, ticket.requester_email)


def ticket_search_add(ticket, body: str) -> None:
    """Adds a new message's words to the question's column (one UPDATE, no read)."""
    added = segment(body)
    if not added:
        return
    type(ticket).objects.filter(pk=ticket.pk).update(search_text=Concat(F("search_text"), Value(added[1:])))


def ticket_search_rebuild(ticket) -> None:
    """The column from the question and all its messages (after a merge, an edit, a backfill)."""
    bodies = list(ticket.messages.values_list("body", flat=True))
    text = segment(ticket.number, ticket.subject, ticket.requester_email, *bodies)[:MAX_COLUMN]
    type(ticket).objects.filter(pk=ticket.pk).update(search_text=text)


def query_words(query: str) -> list[str]:
    return [p for w in words(query) for p in w.split()][:MAX_QUERY_WORDS]


def matching(tickets: QuerySet, query: str) -> QuerySet:
    """`tickets` whose column has every word of `query` (none for a query without words)."""
    terms = query_words(query)
    if not terms:
        return tickets.none()
    if connection.vendor == "postgresql":
        tsquery = " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
        return tickets.filter(
            RawSQL(
                "array_to_tsvector(string_to_array(btrim(tickets_ticket.search_text), ' ')) @@ %s::tsquery",
                [tsquery],
                output_field=BooleanField(),
            )
        )
    for term in terms:
        tickets = tickets.filter(search_text__contains=f" {term} ")
    return tickets
