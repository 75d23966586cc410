"""Many small commits, one wait for the disk."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections

logger = logging.getLogger("fieldops.durability")


@contextmanager
def commits_flushed_together(using: str = "default") -> Iterator[None]:
    """Inside, each commit returns without waiting for the disk (PostgreSQL's
    ``synchronous_commit = off``); leaving the block makes one commit that waits, and that flushes
    every earlier commit too. Wrap a request that commits many times (an offline push: one
    commit per change) so it pays one flush instead of hundreds.

    Nothing is acknowledged before it is durable: the answer goes out after the block. A crash
    inside the block can lose only changes whose answers never left, which the client therefore
    sends again — and a change and its record of having been applied commit together, so it is
    applied exactly once either way. Other databases (SQLite): a plain block."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                if not connection.in_atomic_block:
                    # A transaction of its own with an id, committed synchronously: it returns
                    # once the WAL up to here, every commit above included, is on disk.
                    cursor.execute("SELECT pg_current_xact_id()")
        except DatabaseError:
            # The connection is gone (and is discarded): nothing more to flush through it.
            logger.warning("Could not flush the commits of this block", exc_info=True)
