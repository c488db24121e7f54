"""The event loop of the websocket serving the current thread, when the thread is doing that socket's
database work (set by the consumer's thread pool wrapper). Broadcasts after a commit are then handed
to that loop without waiting for them; elsewhere (HTTP views, tasks) they are sent synchronously."""

import asyncio
import threading

_local = threading.local()


def set_socket_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    _local.loop = loop


def socket_loop() -> asyncio.AbstractEventLoop | None:
    loop = getattr(_local, "loop", None)
    return loop if loop is not None and loop.is_running() else None
