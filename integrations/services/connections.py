"""Connections: create, update, delete, test, and the one place status changes are made."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed
from fieldops.events import publish_event
from integrations.connectors.base import connector_class
from integrations.connectors.errors import (
    AuthFailed,
    ConnectorError,
    MalformedResponse,
    RemoteError,
    Unsupported,
)
from integrations.crypto import encrypt_credentials
from integrations.models import Connection, ConnectionStatus, Entity, System

DEFAULT_EVENTS = [
    "sync.completed",
    "sync.failed",
    "connection.auth_required",
    "connection.status_changed",
]
EDITABLE = {
    "name",
    "base_url",
    "settings",
    "rate_limit_per_minute",
    "max_concurrency",
    "events",
    "sync_entities",
    "poll_interval_minutes",
    "is_active",
}

# Upper bounds that keep the values meaningful (and inside their database columns).
LIMIT_BOUNDS = {
    "rate_limit_per_minute": 100_000,
    "max_concurrency": 256,
    "poll_interval_minutes": 7 * 24 * 60,
}


def supported_entities(system: str) -> tuple[str, ...]:
    """The unified entities the system's connector reads (empty for an unknown system)."""
    from integrations.connectors.base import connector_class

    try:
        return connector_class(system).entities
    except Unsupported:
        return ()


def _unsupported_message(system: str, entities: list[str]) -> str:
    supported = supported_entities(system)
    return (
        f"{System(system).label} does not provide {', '.join(entities)}; "
        f"it provides {', '.join(supported)}."
    )


def connection_require_entity(*, connection: Connection, entity: str) -> str:
    """Refuse (422, listing what the system provides) an entity the connection's system has
    no endpoint for, before any run is queued: the run would fail, and nothing is wrong with
    the connection."""
    supported = supported_entities(connection.system)
    if entity not in supported:
        raise ValidationFailed(
            _unsupported_message(connection.system, [entity]),
            details={
                "fields": {"entity": _unsupported_message(connection.system, [entity])},
                "supported": list(supported),
            },
        )
    return entity


def _validate(values: dict[str, Any], *, system: str | None = None) -> None:
    errors: dict[str, str] = {}
    if "system" in values and values["system"] not in System.values:
        errors["system"] = f"One of {', '.join(System.values)}."
    system = values.get("system", system)
    for name in ("events",):
        unknown = set(values.get(name) or []) - set(DEFAULT_EVENTS)
        if unknown:
            errors[name] = f"Unknown events: {', '.join(sorted(unknown))}."
    unknown_entities = set(values.get("sync_entities") or []) - set(Entity.values)
    if unknown_entities:
        errors["sync_entities"] = f"Unknown entities: {', '.join(sorted(unknown_entities))}."
    elif system in System.values:
        supported = supported_entities(system)
        unsupported = [e for e in values.get("sync_entities") or [] if e not in supported]
        if unsupported:
            errors["sync_entities"] = _unsupported_message(system, unsupported)
    for name, most in LIMIT_BOUNDS.items():
        if name in values and (values[name] is None or not 1 <= values[name] <= most):
            errors[name] = f"Must be between 1 and {most:,}."
    if "base_url" in values and not str(values["base_url"]).startswith(("http://", "https://")):
        errors["base_url"] = "Must be an http(s) URL."
    if errors:
        raise ValidationFailed(details={"fields": errors})


def connection_create(
    *,
    membership: Membership,
    system: str,
    name: str,
    base_url: str,
    credentials: dict[str, Any],
    **values: Any,
) -> Connection:
    require(membership, "integrations.admin")
    _validate({"system": system, "base_url": base_url, **values})
    values.setdefault("events", DEFAULT_EVENTS)
    connection = Connection(
        organization_id=membership.organization_id,
        system=system,
        name=name,
        base_url=base_url.rstrip("/"),
        credentials_encrypted=encrypt_credentials(credentials),
        status_since=timezone.now(),
        **values,
    )
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        raise ValidationFailed(
            details={"fields": {"name": "A connection has this name."}}
        ) from None
    return connection


def connection_update(
    *,
    membership: Membership,
    connection: Connection,
    credentials: dict[str, Any] | None = None,
    **values: Any,
) -> Connection:
    require(membership, "integrations.admin")
    values = {k: v for k, v in values.items() if k in EDITABLE}
    _validate(values, system=connection.system)
    for name, value in values.items():
        setattr(connection, name, value)
    fields = list(values)
    if credentials is not None:
        connection.credentials_encrypted = encrypt_credentials(credentials)
        fields.append("credentials_encrypted")
    try:
        with transaction.atomic():
            connection.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise ValidationFailed(
            details={"fields": {"name": "A connection has this name."}}
        ) from None
    return connection


def connection_delete(*, membership: Membership, connection: Connection) -> None:
    require(membership, "integrations.admin")
    connection.delete()


def status_for_error(error: ConnectorError) -> str:
    if isinstance(error, AuthFailed):
        return ConnectionStatus.AUTH_REQUIRED
    if isinstance(error, MalformedResponse | RemoteError | Unsupported):
        return ConnectionStatus.ERROR
    return ConnectionStatus.OFFLINE


def connection_set_status(*, connection: Connection, status: str, reason: str = "") -> bool:
    """Move the connection to ``status`` (compare-and-set: concurrent workers report once) and
    publish the events it subscribes to. Returns whether it changed."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Connection.objects.filter(pk=connection.pk)
            .exclude(status=status)
            .update(status=status, status_reason=reason[:500], status_since=now, updated_at=now)
        )
        if not changed:
            if reason and connection.status_reason != reason:
                Connection.objects.filter(pk=connection.pk).update(status_reason=reason[:500])
            connection.status_reason = reason[:500]
            return False
        previous = connection.status
        connection.status, connection.status_reason, connection.status_since = status, reason, now
        data = {
            "connection_id": str(connection.public_id),
            "status": status,
            "previous_status": previous,
            "reason": reason[:500],
        }
        connection_publish(connection, "connection.status_changed", data)
        if status == ConnectionStatus.AUTH_REQUIRED:
            connection_publish(connection, "connection.auth_required", data)
    return True


def connection_publish(connection: Connection, event_type: str, data: dict[str, Any]) -> None:
    if connection.events and event_type not in connection.events:
        return
    publish_event(
        event_type,
        organization_id=connection.organization_id,
        data=data,
        connection_id=connection.pk,
    )


def connection_test(*, connection: Connection) -> dict[str, Any]:
    """Authenticate and make one cheap call; the connection's status follows the outcome."""
    from integrations.connectors.factory import connector_for

    connector_class(connection.system)
    started = timezone.now()
    try:
        connector = connector_for(connection, max_inline_wait=2)
        try:
            connector.check()
        finally:
            connector.http.close()
    except ConnectorError as error:
        connection_set_status(
            connection=connection, status=status_for_error(error), reason=error.message
        )
        return {
            "ok": False,
            "status": connection.status,
            "error": {"code": error.code, "message": error.message},
        }
    connection_set_status(connection=connection, status=ConnectionStatus.ONLINE)
    elapsed = (timezone.now() - started).total_seconds()
    return {"ok": True, "status": connection.status, "latency_ms": round(elapsed * 1000)}
