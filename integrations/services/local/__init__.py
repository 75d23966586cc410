"""Synced ERP records into FieldOps's own tables, one function per entity.

Every record lands in the synced copy (on its ``ExternalReference``) first; entities FieldOps has
a model for are then upserted through that model's services and the ExternalReference points at the
local row (``local_model``/``local_id``): assets and locations into the asset registry, parts
into the parts catalogue, employees into technicians, work orders into work orders. Purchase
orders, vendors and timesheets live only in the synced cache.

Each record is applied in its own savepoint: one the services refuse (a code another asset
uses, a title too long ...) is reported as failed and the rest of the page still lands.
Deletions are soft: an asset is retired, a part or technician deactivated, an open work order
cancelled; nothing local is ever deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from fieldops.errors import DomainError
from integrations.models import SYNCED_COPY_FIELDS, Connection, ExternalReference
from integrations.services.local._common import Context
from integrations.services.local.assets import asset_retire, asset_upsert, location_upsert
from integrations.services.local.parts import part_deactivate, part_upsert
from integrations.services.local.technicians import technician_deactivate, technician_upsert
from integrations.services.local.work_orders import work_order_cancel, work_order_upsert
from integrations.unified import UnifiedRecord

logger = logging.getLogger("integrations.local")

Item = tuple[ExternalReference, UnifiedRecord]
Upsert = Callable[[Context, ExternalReference, Any], tuple[str, int]]
Delete = Callable[[Context, ExternalReference], None]

UPSERTS: dict[str, Upsert] = {
    "locations": location_upsert,
    "assets": asset_upsert,
    "parts": part_upsert,
    "employees": technician_upsert,
    "work_orders": work_order_upsert,
}
DELETES: dict[str, Delete] = {
    "assets": asset_retire,
    "parts": part_deactivate,
    "employees": technician_deactivate,
    "work_orders": work_order_cancel,
}


def handles(entity: str) -> bool:
    """Whether records of this entity become FieldOps rows (beyond the synced cache)."""
    return entity in UPSERTS


def upsert(*, entity: str, connection: Connection, items: list[Item]) -> dict[int, str]:
    """Apply the page's new and changed records locally (in the caller's transaction).
    Returns ``{reference id: error}`` for the records that could not be applied."""
    handler = UPSERTS.get(entity)
    if handler is None:
        return {}
    ctx = Context(connection)
    failures: dict[int, str] = {}
    for ref, record in items:
        try:
            with transaction.atomic():
                model, local_id = handler(ctx, ref, record)
                if (ref.local_model, ref.local_id) != (model, local_id):
                    ExternalReference.objects.filter(pk=ref.pk).update(
                        local_model=model, local_id=local_id
                    )
                    ref.local_model, ref.local_id = model, local_id
        except DomainError as error:
            failures[ref.pk] = _describe(error)
    return failures


def _describe(error: DomainError) -> str:
    details = error.details.get("fields", error.details)
    if details:
        return f"{error.code}: " + "; ".join(f"{k}: {v}" for k, v in details.items())[:400]
    return f"{error.code}: {error.message}"[:400]


def mark_deleted(*, entity: str, connection: Connection, reference_ids: list[int]) -> None:
    """Records a completed full run no longer found: soft-delete their local rows."""
    handler = DELETES.get(entity)
    if handler is None or not reference_ids:
        return
    ctx = Context(connection)
    refs = ExternalReference.objects.filter(pk__in=reference_ids).exclude(local_id=None)
    for ref in refs.defer(*SYNCED_COPY_FIELDS):
        try:
            with transaction.atomic():
                handler(ctx, ref)
        except DomainError as error:
            logger.warning("Could not soft-delete %s locally: %s", ref, error.message)
