"""Waiting for a value another process is already computing.

Shared renderings and figures are computed by one request at a time (a ``cache.add`` lock). When
there is a previous value, the others serve it; when there is none yet (after a deploy, or the
first morning request of forty dispatchers) they used to compute the same thing all at once,
which is the most expensive moment a busy organisation has. They wait for the first instead."""

import time
from typing import Any

from django.core.cache import cache
from django.db import connections

POLL_SECONDS = 0.05


def wait_for_cached(key: str, *, timeout: float) -> Any:
    """The value another process stores under ``key`` within ``timeout`` seconds, else None.
    This request's database connections go back to the pool while it waits (each request runs
    on a thread of its own, so nothing else waits on this one)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value = cache.get(key)
        if value is not None:
            return value
    return None
