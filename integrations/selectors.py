"""Reads shared by the API and pages: connections of the caller's organisation, runs, records."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cryptography.fernet import InvalidToken
from django.db.models import QuerySet

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import NotFound, ValidationFailed
from fieldops.pagination import Page, cursor_paginate
from fieldops.tenancy import get_for_organization
from integrations.crypto import fernet
from integrations.models import Connection, Entity, ExternalReference, SyncCheckpoint, SyncRun


def connection_get_for_user(membership: Membership, public_id: Any) -> Connection:
    require(membership, "integrations.read")
    return get_for_organization(
        Connection.objects.all(), organization_id=membership.organization_id, public_id=public_id
    )


def connection_list(membership: Membership) -> QuerySet[Connection]:
    require(membership, "integrations.read")
    return Connection.objects.filter(organization_id=membership.organization_id)


def require_entity(entity: str) -> str:
    if entity not in Entity.values:
        raise NotFound(f"Unknown entity {entity!r}; one of {', '.join(Entity.values)}.")
    return entity


def synced_records(
    *,
    connection: Connection,
    entity: str,
    updated_since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[ExternalReference]:
    rows = ExternalReference.objects.filter(connection=connection, entity=entity)
    if updated_since:
        rows = rows.filter(updated_at__gte=updated_since)
    return cursor_paginate(rows, cursor=cursor, limit=limit, keys=("updated_at", "id"))


def synced_record(*, connection: Connection, entity: str, remote_id: str) -> ExternalReference:
    record = ExternalReference.objects.filter(
        connection=connection, entity=entity, remote_id=remote_id
    ).first()
    if record is None:
        raise NotFound("This record has not been synced.")
    return record


def runs_for(connection: Connection, *, cursor: str | None, limit: int) -> Page[SyncRun]:
    return cursor_paginate(
        SyncRun.objects.filter(connection=connection),
        cursor=cursor,
        limit=limit,
        keys=("-created_at", "-id"),
    )


def sync_status(connection: Connection) -> list[dict[str, Any]]:
    checkpoints = {c.entity: c for c in SyncCheckpoint.objects.filter(connection=connection)}
    latest: dict[str, SyncRun] = {}
    for run in SyncRun.objects.filter(connection=connection).order_by("entity", "-created_at"):
        latest.setdefault(run.entity, run)
    entities = sorted(set(checkpoints) | set(latest) | set(connection.sync_entities or []))
    return [
        {
            "entity": entity,
            "watermark": getattr(checkpoints.get(entity), "watermark", None),
            "last_full_run_at": getattr(checkpoints.get(entity), "last_full_run_at", None),
            "latest_run": latest.get(entity),
        }
        for entity in entities
    ]


def encode_live_cursor(connector_cursor: str | None) -> str | None:
    """The connector's cursor (for SAP a URL of the ERP) goes to the client encrypted."""
    if not connector_cursor:
        return None
    return fernet().encrypt(json.dumps({"c": connector_cursor}).encode()).decode()


def decode_live_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        return json.loads(fernet().decrypt(cursor.encode()))["c"]
    except (InvalidToken, ValueError, KeyError, TypeError):
        raise ValidationFailed(
            "The cursor is not valid; start again without one.", details={"cursor": "invalid"}
        ) from None
