"""Seams from synced ERP records into FieldOps's own tables, one function per entity.

Every entity lands in the synced cache (``SyncedRecord``) first; an entity whose FieldOps model
exists is then upserted into it and the ExternalReference points at the local row
(``local_model``/``local_id``). Entities without a local model yet — work orders, technicians,
parts — keep the no-op seams below until the work-orders issue fills them.
"""

from __future__ import annotations

from collections.abc import Callable

from integrations.models import Connection, ExternalReference
from integrations.unified import UnifiedRecord

Item = tuple[ExternalReference, UnifiedRecord]
Upsert = Callable[[Connection, list[Item]], None]


def _cache_only(connection: Connection, items: list[Item]) -> None:
    """No FieldOps model for this entity (yet): the synced cache is the copy."""


UPSERTS: dict[str, Upsert] = {
    "work_orders": _cache_only,  # workorders issue: WorkOrder by number, status via its service
    "employees": _cache_only,  # workorders issue: Technician matched by e-mail
    "parts": _cache_only,  # workorders issue: parts catalogue + stock
    "assets": _cache_only,
    "locations": _cache_only,
    "purchase_orders": _cache_only,
    "vendors": _cache_only,
    "timesheets": _cache_only,
}


def upsert(*, entity: str, connection: Connection, items: list[Item]) -> None:
    UPSERTS.get(entity, _cache_only)(connection, items)


def mark_deleted(*, entity: str, connection: Connection, reference_ids: list[int]) -> None:
    """A record the ERP deleted: soft-delete (retire) the local row, never delete it. No local
    models are fed yet, so there is nothing to mark."""
