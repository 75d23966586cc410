"""Builds the connector of a Connection: decrypted credentials, shared limits, HTTP client."""

from collections.abc import Callable

import httpx

from integrations.connectors.base import Connector, connector_class
from integrations.connectors.http import HttpClient
from integrations.crypto import decrypt_credentials
from integrations.models import Connection
from integrations.ratelimit import ConnectionGuard


def connector_for(
    connection: Connection,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    max_inline_wait: float | None = None,
) -> Connector:
    options = connection.settings or {}
    http = HttpClient(
        base_url=connection.base_url,
        guard=ConnectionGuard(connection),
        transport=transport,
        timeout=float(options.get("timeout", 30)),
        max_attempts=int(options.get("max_attempts", 4)),
        timeout_attempts=int(options.get("timeout_attempts", 2)),
        backoff_base=float(options.get("backoff_base", 0.5)),
        backoff_cap=float(options.get("backoff_cap", 30)),
        max_inline_wait=(
            max_inline_wait
            if max_inline_wait is not None
            else float(options.get("max_inline_wait", 30))
        ),
        sleep=sleep,
    )
    cls = connector_class(connection.system)
    return cls(
        http=http,
        credentials=decrypt_credentials(connection.credentials_encrypted),
        options=options,
    )
