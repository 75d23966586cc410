"""wait_for_cached: the value another process stores while we wait, or None after the timeout;
this request's database connection goes back while it waits."""

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connections

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
def test_the_database_connection_is_released_while_waiting(monkeypatch):
    # Recorded rather than observed: SQLite's in-memory test database ignores close().
    wrapper = connections["default"]
    wrapper.ensure_connection()
    closed = []
    monkeypatch.setattr(wrapper, "close", lambda: closed.append(wrapper.alias))
    cache.set("sf:ready", 1, 30)
    assert wait_for_cached("sf:ready", timeout=1) == 1
    assert closed == ["default"]  # with the pool: back in the pool


def test_a_lock_is_released_only_by_its_holder():
    from fieldops.single_flight import acquire, release

    cache.delete("sf:lock")
    first = acquire("sf:lock", 30)
    assert first is not None
    assert acquire("sf:lock", 30) is None
    cache.delete("sf:lock")  # the first holder outlived its lock; another took it
    second = acquire("sf:lock", 30)
    release("sf:lock", first)
    assert cache.get("sf:lock") == second  # not freed by the first holder
    release("sf:lock", second)
    assert cache.get("sf:lock") is None


def test_waiting_only_for_a_value_that_is_ready():
    cache.set("sf:meta", {"token": "old"}, 30)
    threading.Timer(0.15, lambda: cache.set("sf:meta", {"token": "new"}, 30)).start()
    found = wait_for_cached("sf:meta", timeout=5, ready=lambda meta: meta["token"] != "old")
    assert found == {"token": "new"}
