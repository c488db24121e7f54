"""Websocket plumbing shared by every consumer (the live chat's today):

- `database_sync_to_async`: a socket's database work on the event loop's thread pool instead of
  Channels' one shared thread (docs/decisions.md, "The chat socket's database work");
- `socket_loop()`: the event loop of the websocket whose database work the current thread is doing,
  so that broadcasts after a commit are handed to it without waiting;
- `socket_auth_stack`: Channels' cookie + session + user middleware, with the user looked up on that
  pool too. Channels' own looks it up on the one shared thread: after a server restart, 500 clients
  reconnecting at once waited 11.7 s (p50) for their handshakes behind each other (bench/chat.py)."""

import asyncio
import threading
import time

from asgiref.sync import SyncToAsync
from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.db import close_old_connections, connection

CONNECTION_CHECK_SECONDS = 5.0

_local = threading.local()


def set_socket_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    _local.loop = loop


def socket_loop() -> asyncio.AbstractEventLoop | None:
    loop = getattr(_local, "loop", None)
    return loop if loop is not None and loop.is_running() else None


class SocketDatabaseWork(SyncToAsync):
    """A socket's database work on the event loop's thread pool, not on Channels' default single
    shared thread: with that one thread every message, receipt and bot answer of a server process
    waited in one line (measured: bench/chat.py stored 41 of 200 messages/s offered). Each pool thread
    keeps its own connection; it is checked (Django's close_old_connections: health check, age,
    errors) at most every CONNECTION_CHECK_SECONDS and after any database error, not around every
    call (with CONN_HEALTH_CHECKS that was an extra `SELECT 1` per frame)."""

    checked = threading.local()

    def thread_handler(self, loop, *args, **kwargs):
        now = time.monotonic()
        if now - getattr(self.checked, "at", 0.0) >= CONNECTION_CHECK_SECONDS:
            close_old_connections()
            self.checked.at = now
        set_socket_loop(loop)  # broadcasts after a commit go to this loop without waiting
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            set_socket_loop(None)
            if connection.errors_occurred:  # closed if it is unusable, kept otherwise
                close_old_connections()
                self.checked.at = 0.0


def database_sync_to_async(func):
    return SocketDatabaseWork(func, thread_sensitive=False)


_user_from_session = database_sync_to_async(get_user.func)  # Channels' lookup, on the pool


class SocketAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await _user_from_session(scope)


def socket_auth_stack(inner):
    """Channels' AuthMiddlewareStack with the user looked up on the sockets' thread pool."""
    return CookieMiddleware(SessionMiddleware(SocketAuthMiddleware(inner)))
