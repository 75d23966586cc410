"""Times between Django and PostgreSQL: sent in UTC, read with psycopg's C parser.

Sending: an aware datetime may carry any UTC offset Python accepts (up to ±23:59), and API
clients may send one (``updated_since=...+22:28``); PostgreSQL refuses offsets beyond ±15:59
("time zone displacement out of range"), which made such a request a 500. The instant is the
same in UTC, which is also how PostgreSQL stores it, so every aware datetime goes out converted.

Reading: Django's timestamptz loader subclasses psycopg's pure-Python one (the C one cannot be
subclassed), which parsed every timestamp in Python: about 12 µs each, a tenth of a work-order
list's time. This loader hands the text to psycopg's C loader and then does what Django's does
(the connection's time zone as ``tzinfo``), at about a third of the cost. Its ``timezone``
attribute is what Django checks before registering its own loader on each cursor.
"""

import contextlib
from datetime import UTC, datetime
from typing import Any

from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format
from psycopg.types.datetime import DatetimeDumper

TIMESTAMPTZ_OID = types["timestamptz"].oid
# The C implementation when psycopg[binary] is installed, else the Python one.
_Parser = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UtcDatetimeDumper(DatetimeDumper):
    def dump(self, obj: datetime) -> Any:
        offset = obj.utcoffset()
        if offset:
            # beyond year 9999 in UTC: left as it is, for PostgreSQL to refuse
            with contextlib.suppress(OverflowError):
                obj = obj.astimezone(UTC)
        return super().dump(obj)


def timestamptz_loader(zone: Any) -> type[Loader]:
    class TimestamptzLoader(Loader):
        timezone = zone

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._parse = _Parser(oid, context).load

        def load(self, data: Any) -> datetime:
            return self._parse(data).replace(tzinfo=zone)

    return TimestamptzLoader


def send_datetimes_in_utc(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: registers the dumper and the loader on each new
    PostgreSQL connection."""
    if connection.vendor == "postgresql":
        adapters_map = connection.connection.adapters
        adapters_map.register_dumper(datetime, UtcDatetimeDumper)
        if connection.timezone is not None:  # USE_TZ: Django's loader sets the zone too
            adapters_map.register_loader("timestamptz", timestamptz_loader(connection.timezone))
