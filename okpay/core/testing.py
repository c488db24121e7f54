"""Helpers for the tests of every app (no test runs from here)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections


def in_threads(n: int, work):
    """Run work(0) … work(n-1) in n threads that start at the same instant (a barrier), each with its
    own database connection (closed afterwards); the results in order. The concurrency tests' tool:
    16 threads on PostgreSQL prove a check-then-act holds."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def skip_unless_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (set DATABASE_URL)")
