"""What several action modules share: the address normaliser and ending sessions in the store."""

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string

from ..models import User, UserSession


def _session_store(session_key: str) -> SessionBase:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Delete the user's sessions from the session store, except `keep_session_key`."""
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended = 0
    for session in sessions:
        _session_store(session.session_key).delete()
        ended += 1
    sessions.delete()
    return ended
