"""Installation-wide locks that a crash releases: held while the holder lives, gone with its process.

PostgreSQL: a session advisory lock on a connection of its own (every host shares it). SQLite (one
host): an `flock` on a file beside the database file; an in-memory database (tests) has only this
process, so a process lock does."""

import fcntl
import hashlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

from django.db import connections

if TYPE_CHECKING:
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper


class LockBusy(Exception):
    """Another process (or thread) holds the lock."""


_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory lock functions."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def installation_lock(name: str, *, using: str = "default"):
    """Hold the lock `name` for the `with` block or raise LockBusy at once (never waits)."""
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    if vendor == "postgresql":
        with _advisory_lock(name, using):
            yield
        return
    database = str(settings_dict.get("NAME") or "")
    if (
        vendor == "sqlite"
        and database
        and not cast("SQLiteDatabaseWrapper", connections[using]).is_in_memory_db()
    ):
        with _file_lock(Path(f"{database}.{name}.lock")):
            yield
        return
    with _process_lock(name):
        yield


@contextmanager
def _advisory_lock(name: str, using: str):
    connection = connections.create_connection(using)  # its own session: the lock ends with it
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(name)])
            if not cursor.fetchone()[0]:
                raise LockBusy(name)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(name)])
    finally:
        connection.close()


@contextmanager
def _file_lock(path: Path):
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(path.name) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def _process_lock(name: str):
    with _local_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=False):
        raise LockBusy(name)
    try:
        yield
    finally:
        lock.release()
