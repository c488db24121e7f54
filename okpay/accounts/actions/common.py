"""What several action modules share: the address normaliser and ending sessions in the store."""

from django.conf import settings
from django.utils.module_loading import import_string

from ..models import User, UserSession


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def session_store_delete(session_key: str) -> None:
    """Remove one browser session from Django's session store (the browser is signed out)."""
    import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key).delete()


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Sign out every browser of `user` except the one holding `keep_session_key`; how many."""
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended = 0
    for session in sessions:
        session_store_delete(session.session_key)
        ended += 1
    sessions.delete()
    return ended
