"""Times sent to PostgreSQL in UTC.

An aware datetime may carry any UTC offset Python accepts (up to ±23:59), and API clients may
send one (``updated_since=...+22:28``); PostgreSQL refuses offsets beyond ±15:59 ("time zone
displacement out of range"), which made such a request a 500. The instant is the same in UTC,
which is also how PostgreSQL stores it, so every aware datetime goes out converted.
"""

import contextlib
from datetime import UTC, datetime
from typing import Any

from psycopg.types.datetime import DatetimeDumper


class UtcDatetimeDumper(DatetimeDumper):
    def dump(self, obj: datetime) -> Any:
        offset = obj.utcoffset()
        if offset:
            # beyond year 9999 in UTC: left as it is, for PostgreSQL to refuse
            with contextlib.suppress(OverflowError):
                obj = obj.astimezone(UTC)
        return super().dump(obj)


def send_datetimes_in_utc(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: registers the dumper on each new PostgreSQL connection."""
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_dumper(datetime, UtcDatetimeDumper)
