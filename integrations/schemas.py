"""API schemas of the integrations app (the unified record shapes are in ``unified.py``)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from integrations.crypto import decrypt_credentials, mask_credentials
from integrations.models import Connection, SyncRun
from integrations.ratelimit import breaker_state
from integrations.services.connections import supported_entities


class ConnectionIn(Schema):
    system: Literal["sap_s4hana", "netsuite", "business_central", "maximo", "tryton"]
    name: str = Field(min_length=1, max_length=120)
    base_url: str = Field(max_length=500)
    credentials: dict[str, Any] = Field(
        default_factory=dict, description="Stored encrypted; never returned."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Non-secret options: database, company, page_size, first_sync_days (limit a "
        "first sync to that many days back; unset, a first sync reads everything)…",
    )
    rate_limit_per_minute: int = 600
    max_concurrency: int = 4
    events: list[str] | None = None
    sync_entities: list[str] = Field(default_factory=list)
    poll_interval_minutes: int = 15


class ConnectionPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    base_url: str | None = None
    credentials: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    rate_limit_per_minute: int | None = None
    max_concurrency: int | None = None
    events: list[str] | None = None
    sync_entities: list[str] | None = None
    poll_interval_minutes: int | None = None
    is_active: bool | None = None


class CircuitOut(Schema):
    state: Literal["closed", "open", "half_open"] = Field(
        description="closed: calls flow (failures counted); open: data calls paused until "
        "open_until; half_open: the next data call is a probe that closes or reopens it."
    )
    consecutive_failures: int = Field(
        description="Data calls in a row that found the ERP down (5xx, unreachable, timed out)."
    )
    threshold: int = Field(description="Failures in a row that open the breaker.")
    open_until: datetime | None


class ConnectionOut(Schema):
    id: UUID
    system: str
    name: str
    base_url: str
    credentials: dict[str, str] = Field(description="Field names with masked values only.")
    settings: dict[str, Any]
    status: str
    status_reason: str
    status_since: datetime | None
    rate_limit_per_minute: int
    max_concurrency: int
    events: list[str]
    sync_entities: list[str]
    poll_interval_minutes: int
    is_active: bool
    created_at: datetime
    circuit: CircuitOut = Field(description="The circuit breaker over this connection's calls.")
    supported_entities: list[str] = Field(
        description="The unified entities this system provides: what sync accepts."
    )

    @staticmethod
    def from_model(connection: Connection) -> "ConnectionOut":
        return ConnectionOut(
            id=connection.public_id,
            circuit=CircuitOut(**breaker_state(connection)),
            supported_entities=list(supported_entities(connection.system)),
            credentials=mask_credentials(decrypt_credentials(connection.credentials_encrypted)),
            **{
                name: getattr(connection, name)
                for name in (
                    "system",
                    "name",
                    "base_url",
                    "settings",
                    "status",
                    "status_reason",
                    "status_since",
                    "rate_limit_per_minute",
                    "max_concurrency",
                    "events",
                    "sync_entities",
                    "poll_interval_minutes",
                    "is_active",
                    "created_at",
                )
            },
        )


class ConnectionPage(Schema):
    items: list[ConnectionOut]
    next_cursor: str | None


class TestResult(Schema):
    ok: bool
    status: str
    latency_ms: int | None = None
    error: dict[str, str] | None = None


class RecordPage(Schema):
    items: list[dict[str, Any]] = Field(
        description="Unified records (see the integrations.unified shapes) with id, remote_id, "
        "remote_updated_at, is_deleted and raw."
    )
    next_cursor: str | None
    source: Literal["live", "cache"]


class SyncStartIn(Schema):
    entity: str
    full: bool = Field(default=False, description="Re-read everything and infer deletions.")


class SyncRunOut(Schema):
    id: UUID
    entity: str
    full: bool
    status: str
    since: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    pages: int
    created: int
    updated: int
    unchanged: int
    failed: int
    deleted: int
    attempts: int
    error: dict[str, str] | None
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = Field(
        description="What the run deliberately did not read, e.g. FIRST_SYNC_LIMITED."
    )

    @staticmethod
    def from_model(run: SyncRun) -> "SyncRunOut":
        return SyncRunOut(
            id=run.public_id,
            error={"code": run.error_code, "message": run.error_message}
            if run.error_code
            else None,
            duration_seconds=run.duration_seconds,
            **{
                name: getattr(run, name)
                for name in (
                    "entity",
                    "full",
                    "status",
                    "since",
                    "started_at",
                    "finished_at",
                    "pages",
                    "created",
                    "updated",
                    "unchanged",
                    "failed",
                    "deleted",
                    "attempts",
                    "errors",
                    "warnings",
                )
            },
        )


class SyncRunPage(Schema):
    items: list[SyncRunOut]
    next_cursor: str | None


class EntitySyncStatus(Schema):
    entity: str
    watermark: datetime | None
    last_full_run_at: datetime | None
    latest_run: SyncRunOut | None
