"""wait_for_cached: the value another process stores while we wait, or None after the timeout;
this request's database connection goes back while it waits."""

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection

from fieldops.single_flight import wait_for_cached


def test_the_value_stored_meanwhile_is_returned():
    cache.delete("sf:test")
    threading.Timer(0.15, lambda: cache.set("sf:test", {"done": 1}, 30)).start()
    started = time.monotonic()
    assert wait_for_cached("sf:test", timeout=5) == {"done": 1}
    assert time.monotonic() - started < 2


def test_nothing_within_the_timeout_is_none():
    cache.delete("sf:never")
    started = time.monotonic()
    assert wait_for_cached("sf:never", timeout=0.2) is None
    assert 0.2 <= time.monotonic() - started < 1.5


@pytest.mark.django_db(transaction=True)
def test_the_database_connection_is_released_while_waiting():
    connection.ensure_connection()
    assert connection.connection is not None
    cache.set("sf:ready", 1, 30)
    assert wait_for_cached("sf:ready", timeout=1) == 1
    assert connection.connection is None  # closed: a pooled one went back to the pool
