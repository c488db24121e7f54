"""Who has a question open in the console, and who is typing a reply (issue 15, "collision notice").

Each agent's console page reports every few seconds (static/js/console_ticket_presence.js →
console.views_tickets_collision.ticket_presence). What it reports lives only in the cache, with a short
lifetime (PRESENCE_SECONDS), so a closed tab disappears on its own. With Redis configured (REDIS_URL) the
cache is shared by every web process, so two agents served by different processes see each other.

Keys: one per (question, agent) with the agent's name and typing state — written only by that agent, so
no write loses another's — and one per question listing the agents' ids, read to find the entries. A
lost update of that list (two agents' first reports at the same instant) is repaired by the next report,
which adds the agent again if it is missing."""

import time

from django.core.cache import cache

PRESENCE_SECONDS = 15  # an entry outlives three 5-second reports
INDEX_SECONDS = 120


def _index_key(ticket_id: int) -> str:
    return f"okpay:tickets:viewers:{ticket_id}"


def _viewer_key(ticket_id: int, user_id: int) -> str:
    return f"okpay:tickets:viewer:{ticket_id}:{user_id}"


def viewer_report(*, ticket_id: int, user, typing: bool) -> None:
    """This agent has the question open (and is typing a reply, or not), now."""
    cache.set(
        _viewer_key(ticket_id, user.pk),
        {"name": user.display_name, "typing": bool(typing), "at": time.time()},
        PRESENCE_SECONDS,
    )
    index = cache.get(_index_key(ticket_id)) or []
    if user.pk not in index:
        cache.set(_index_key(ticket_id), [*index[-49:], user.pk], INDEX_SECONDS)
    else:
        cache.touch(_index_key(ticket_id), INDEX_SECONDS)


def viewer_leave(*, ticket_id: int, user) -> None:
    """The agent closed the page (or went to another one)."""
    cache.delete(_viewer_key(ticket_id, user.pk))


def viewers(*, ticket_id: int, exclude_user_id: int | None = None) -> list[dict]:
    """The other agents with the question open: [{"name", "typing"}], typing ones first, then by name."""
    index = cache.get(_index_key(ticket_id)) or []
    ids = [uid for uid in index if uid != exclude_user_id]
    if not ids:
        return []
    entries = cache.get_many([_viewer_key(ticket_id, uid) for uid in ids])
    alive = [
        {"name": str(entry["name"]), "typing": bool(entry["typing"])}
        for entry in entries.values()
        if isinstance(entry, dict) and "name" in entry
    ]
    if len(entries) < len(ids):  # forget the ones whose entry expired
        kept = [uid for uid in index if _viewer_key(ticket_id, uid) in entries or uid == exclude_user_id]
        cache.set(_index_key(ticket_id), kept, INDEX_SECONDS)
    return sorted(alive, key=lambda v: (not v["typing"], v["name"]))
