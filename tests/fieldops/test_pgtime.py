"""Timestamps read from PostgreSQL through psycopg's C parser come back as Django's own loader
would give them: the same instant, in the connection's time zone."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from psycopg.pq import Format

from fieldops.web.pgtime import TIMESTAMPTZ_OID, timestamptz_loader

pytestmark = pytest.mark.django_db


def test_django_connections_read_timestamps_with_the_fast_loader():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL adapter; the SQLite pass has no timestamptz")
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert loader.__name__ == timestamptz_loader(UTC).__name__
        assert loader.__module__ == "fieldops.web.pgtime"
        # Django registers its own loader on a cursor only when the zones disagree.
        assert loader.timezone == connection.timezone

        moments = [
            datetime(2026, 12, 5, 20, 47, 21, 889832, tzinfo=UTC),
            datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
            datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=14))),
        ]
        for moment in moments:
            cursor.execute("SELECT %s::timestamptz", [moment])
            (value,) = cursor.fetchone()
            assert value == moment
            assert value.tzinfo is connection.timezone
            assert value.utcoffset() == timedelta(0)


def test_the_loader_keeps_the_zone_it_was_made_for():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL adapter; the SQLite pass has no timestamptz")
    zone = timezone(timedelta(0), "UTC")
    loader = timestamptz_loader(zone)(TIMESTAMPTZ_OID, connection.connection)
    value = loader.load(b"2026-01-02 03:04:05.000006+00")
    assert value == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert value.tzinfo is zone
