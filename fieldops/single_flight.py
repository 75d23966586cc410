"""One request computes a shared value at a time; the others wait for it or serve the last one.

Shared renderings and figures are computed under a lock (``acquire``). When there is a previous
value, the others serve it; when there is none yet (after a deploy, or the first morning request
of forty dispatchers) they used to compute the same thing all at once, which is the most
expensive moment a busy organisation has. They wait for the first instead (``wait_for_cached``).
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connections

POLL_SECONDS = 0.05


def acquire(lock: str, seconds: int) -> str | None:
    """Take ``lock`` for ``seconds`` (then it frees itself: a crashed holder); returns the token
    to release it with, or None when another holds it."""
    token = uuid.uuid4().hex
    return token if cache.add(lock, token, seconds) else None


def release(lock: str, token: str | None) -> None:
    """Free ``lock`` if it is still ours: a holder that outlived the lock must not free the lock
    the next holder took."""
    if token is not None and cache.get(lock) == token:
        cache.delete(lock)


def wait_for_cached(key: str, *, timeout: float, ready: Callable[[Any], bool] | None = None) -> Any:
    """The value another process stores under ``key`` (and for which ``ready`` holds) within
    ``timeout`` seconds, else None. This request's database connections go back to the pool while
    it waits (each request runs on a thread of its own, so nothing else waits on this one)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        value = cache.get(key)
        if value is not None and (ready is None or ready(value)):
            return value
    return None
