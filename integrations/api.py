"""The unified integrations API: connections (admins), unified records (live or cached), syncs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.throttling import SimpleRateThrottle

from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed
from fieldops.pagination import cursor_paginate
from integrations import selectors
from integrations.models import Entity
from integrations.schemas import (
    ConnectionIn,
    ConnectionOut,
    ConnectionPage,
    ConnectionPatch,
    EntitySyncStatus,
    RecordPage,
    SyncRunOut,
    SyncRunPage,
    SyncStartIn,
    TestResult,
)
from integrations.services.connections import (
    connection_create,
    connection_delete,
    connection_test,
    connection_update,
)
from integrations.services.live import cached_record_out, live_get, live_list, record_out
from integrations.services.sync import sync_run_start


class UnifiedRateThrottle(SimpleRateThrottle):
    """Each client's per-minute allowance on the unified endpoints (they fan out to ERPs)."""

    scope = "integrations"

    def __init__(self) -> None:
        super().__init__("120/m")

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests = getattr(settings, "INTEGRATIONS_API_RATE_PER_MINUTE", 120)
        self.duration = 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        membership = getattr(request, "auth", None)
        token = getattr(request, "api_token_id", None)
        ident = f"t{token}" if token else f"m{getattr(membership, 'pk', None)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


UNIFIED = [UnifiedRateThrottle()]
router = Router(tags=["integrations"])


class ListQuery(Schema):
    cursor: str | None = None
    limit: int = 50
    updated_since: datetime | None = None
    source: Literal["live", "cache"] = "live"


@router.get("/connections", response=ConnectionPage)
def list_connections(request: HttpRequest, cursor: str | None = None, limit: int = 50):
    page = cursor_paginate(
        selectors.connection_list(request.auth), cursor=cursor, limit=limit, keys=("name", "id")
    )
    return {
        "items": [ConnectionOut.from_model(c) for c in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/connections", response={201: ConnectionOut})
def create_connection(request: HttpRequest, payload: ConnectionIn):
    values = payload.dict(exclude_none=True)
    connection = connection_create(membership=request.auth, **values)
    return Status(201, ConnectionOut.from_model(connection))


@router.get("/connections/{connection_id}", response=ConnectionOut)
def get_connection(request: HttpRequest, connection_id: UUID):
    return ConnectionOut.from_model(selectors.connection_get_for_user(request.auth, connection_id))


@router.patch("/connections/{connection_id}", response=ConnectionOut)
def update_connection(request: HttpRequest, connection_id: UUID, payload: ConnectionPatch):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    values = payload.dict(exclude_unset=True)
    connection = connection_update(membership=request.auth, connection=connection, **values)
    return ConnectionOut.from_model(connection)


@router.delete("/connections/{connection_id}", response={204: None})
def delete_connection(request: HttpRequest, connection_id: UUID):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    connection_delete(membership=request.auth, connection=connection)
    return Status(204, None)


@router.post("/connections/{connection_id}/test", response=TestResult, throttle=UNIFIED)
def test_connection(request: HttpRequest, connection_id: UUID):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    require(request.auth, "integrations.admin")
    return connection_test(connection=connection)


@router.post("/connections/{connection_id}/sync", response={202: SyncRunOut})
def start_sync(request: HttpRequest, connection_id: UUID, payload: SyncStartIn):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    require(request.auth, "integrations.admin")
    selectors.require_entity(payload.entity)
    run = sync_run_start(connection=connection, entity=payload.entity, full=payload.full)
    run.refresh_from_db()
    return Status(202, SyncRunOut.from_model(run))


@router.get("/connections/{connection_id}/sync", response=list[EntitySyncStatus])
def sync_status(request: HttpRequest, connection_id: UUID):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    return [
        {
            **row,
            "latest_run": SyncRunOut.from_model(row["latest_run"]) if row["latest_run"] else None,
        }
        for row in selectors.sync_status(connection)
    ]


@router.get("/connections/{connection_id}/runs", response=SyncRunPage)
def list_runs(
    request: HttpRequest, connection_id: UUID, cursor: str | None = None, limit: int = 50
):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    page = selectors.runs_for(connection, cursor=cursor, limit=limit)
    return {
        "items": [SyncRunOut.from_model(r) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/connections/{connection_id}/{entity}", response=RecordPage, throttle=UNIFIED)
def list_records(
    request: HttpRequest, connection_id: UUID, entity: Entity, query: Query[ListQuery]
):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    if not 1 <= query.limit <= 200:
        raise ValidationFailed(details={"limit": "Must be between 1 and 200."})
    if query.source == "cache":
        page = selectors.synced_records(
            connection=connection,
            entity=entity,
            updated_since=query.updated_since,
            cursor=query.cursor,
            limit=query.limit,
        )
        items = [cached_record_out(r) for r in page.items]
        return {"items": items, "next_cursor": page.next_cursor, "source": "cache"}
    live = live_list(
        connection=connection,
        entity=entity,
        since=query.updated_since,
        cursor=selectors.decode_live_cursor(query.cursor),
        limit=query.limit,
    )
    items = [
        record_out(
            connection=connection,
            entity=entity,
            unified=r.unified.model_dump(mode="json"),
            raw=r.raw,
        )
        for r in live.records
    ]
    return {
        "items": items,
        "next_cursor": selectors.encode_live_cursor(live.next_cursor),
        "source": "live",
    }


@router.get("/connections/{connection_id}/{entity}/{remote_id}", response=dict, throttle=UNIFIED)
def get_record(
    request: HttpRequest,
    connection_id: UUID,
    entity: Entity,
    remote_id: str,
    source: Literal["live", "cache"] = "live",
):
    connection = selectors.connection_get_for_user(request.auth, connection_id)
    if source == "cache":
        record = selectors.synced_record(connection=connection, entity=entity, remote_id=remote_id)
        return cached_record_out(record)
    remote = live_get(connection=connection, entity=entity, remote_id=remote_id)
    return record_out(
        connection=connection,
        entity=entity,
        unified=remote.unified.model_dump(mode="json"),
        raw=remote.raw,
    )
