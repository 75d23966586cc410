"""Reads through the connector (``source=live``): the ERP's answer mapped to the unified shape,
with ERP faults turned into FieldOps API errors and reflected in the connection's status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from fieldops.errors import NotFound, RateLimitExceeded, UpstreamError
from integrations.connectors.base import Connector, Page, RemoteRecord
from integrations.connectors.errors import (
    AuthFailed,
    CircuitOpen,
    ConnectorError,
    RateLimited,
    RemoteNotFound,
    Unsupported,
)
from integrations.models import Connection, ConnectionStatus, ExternalReference
from integrations.services.connections import connection_set_status, status_for_error

T = TypeVar("T")
# An API request must not hold a worker thread for long: at most this many seconds of waiting
# on the ERP's Retry-After before answering 429 ourselves.
LIVE_MAX_WAIT = 2.0


@contextmanager
def _connector(connection: Connection) -> Iterator[Connector]:
    from integrations.connectors.factory import connector_for

    connector = connector_for(connection, max_inline_wait=LIVE_MAX_WAIT)
    try:
        yield connector
    finally:
        connector.http.close()


def _call(connection: Connection, action: Callable[[Connector], T]) -> T:
    try:
        with _connector(connection) as connector:
            result = action(connector)
    except RemoteNotFound:
        raise NotFound("The ERP has no such record.") from None
    except Unsupported as error:
        raise NotFound(error.message) from None
    except (RateLimited, CircuitOpen) as error:
        raise RateLimitExceeded(
            f"The ERP connection is throttled: {error.message}",
            retry_after=int(error.retry_after or 60) + 1,
        ) from None
    except ConnectorError as error:
        if isinstance(error, AuthFailed) or not error.retryable:
            connection_set_status(
                connection=connection, status=status_for_error(error), reason=error.message
            )
        raise UpstreamError(
            f"{connection.name} did not answer as expected.",
            details={"connector_error": error.code, "reason": error.message[:300]},
        ) from None
    if connection.status != ConnectionStatus.ONLINE:
        connection_set_status(connection=connection, status=ConnectionStatus.ONLINE)
    return result


def live_list(
    *, connection: Connection, entity: str, since: datetime | None, cursor: str | None, limit: int
) -> Page:
    return _call(
        connection,
        lambda c: c.list_page(entity, since=since, cursor=cursor, page_size=limit),
    )


def live_get(*, connection: Connection, entity: str, remote_id: str) -> RemoteRecord:
    return _call(connection, lambda c: c.get(entity, remote_id))


def record_out(
    *, connection: Connection, entity: str, unified: dict[str, Any], raw: dict[str, Any]
) -> dict[str, Any]:
    from integrations.services.sync_writes import unified_id

    return {
        "id": str(unified_id(connection, entity, unified["remote_id"])),
        **unified,
        "raw": raw,
    }


def cached_record_out(reference: ExternalReference) -> dict[str, Any]:
    """The synced copy in the same shape. Whether it is deleted comes from the reference: a full
    run that no longer finds a record marks the reference, not the copy's JSON."""
    return {
        "id": str(reference.public_id),
        **reference.unified,
        "remote_id": reference.remote_id,
        "is_deleted": reference.is_deleted,
        "raw": reference.raw,
    }
