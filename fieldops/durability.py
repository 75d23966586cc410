"""Many small commits, one wait for the disk."""

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, OperationalError, connections, transaction

# How long to wait for PostgreSQL's WAL writer (it flushes asynchronous commits within three
# wal_writer_delay rounds, 600 ms by default) before the request fails instead of answering.
FLUSH_TIMEOUT_SECONDS = 5.0
# Driver connections whose session still has synchronous_commit off (a block that never reached
# its RESET): the pool resets those, and only those, when they are returned.
_not_reset: "weakref.WeakSet[object]" = weakref.WeakSet()


def session_needs_reset(driver_connection: object) -> bool:
    return driver_connection in _not_reset


def session_was_reset(driver_connection: object) -> None:
    _not_reset.discard(driver_connection)


@contextmanager
def commits_flushed_together(using: str = "default") -> Iterator[None]:
    """Inside, each commit returns without waiting for the disk (PostgreSQL's
    ``synchronous_commit = off``); leaving the block waits until the WAL written so far, every
    one of those commits included, is on disk. Wrap a request that commits many times (an offline
    push: one commit per change) so it pays one wait instead of hundreds.

    Nothing is acknowledged before it is durable: the answer goes out after the block, and if
    the wait fails the request fails. A crash inside the block can lose only changes whose
    answers never left, which the client therefore sends again — and a change and its record of
    having been applied commit together, so it is applied exactly once either way. Other
    databases (SQLite): a plain block."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        _not_reset.add(connection.connection)
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
            _not_reset.discard(connection.connection)
    if not connection.in_atomic_block:
        _wait_for_wal_flush(connection)


def _wait_for_wal_flush(connection) -> None:
    # A commit that wrote nothing would not wait for the disk (PostgreSQL skips the flush for
    # transactions without WAL), so wait for the flush position to pass what was written.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (written,) = cursor.fetchone()
        # Quickest: a transaction of our own that writes WAL (a logical message nobody reads),
        # committed synchronously, flushes everything before it at once. Without the right to
        # emit one, the WAL writer gets there within its own delay.
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("SELECT pg_logical_emit_message(true, 'fieldops.flush', '')")
        except DatabaseError:
            pass
        deadline = time.monotonic() + FLUSH_TIMEOUT_SECONDS
        while True:
            cursor.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", [written])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise OperationalError("The database did not confirm the changes on disk in time.")
            time.sleep(0.002)
