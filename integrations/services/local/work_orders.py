"""ERP work / maintenance orders into FieldOps work orders, through the work-order services.

Created with ``source=erp`` and the external reference's public id as client id, so a page
replayed after a crash finds the work order it already opened. Later remote changes go through
``work_order_update`` against the current version; the sync engine has already dropped a remote
version older than the one last applied (stale never overwrites newer). FieldOps owns the
lifecycle once work starts; the ERP can only cancel an order that is still open.
"""

from __future__ import annotations

from typing import Any

from assets.models import Asset, Location
from integrations.models import ExternalReference
from integrations.services.local._common import WORK_ORDER, Context, clip, linked_id
from integrations.unified import WorkOrder as UnifiedWorkOrder
from workorders.lifecycle import OPEN_STATUSES
from workorders.models import ChangeSource, Priority, Status, WorkOrder
from workorders.services import (
    WorkOrderSpec,
    work_order_create,
    work_order_transition,
    work_order_update,
)

PRIORITY = {"urgent": Priority.URGENT, "high": Priority.HIGH, "low": Priority.LOW}
# What the ERP may cancel: open work (the lifecycle's cancellable states).
CANCELLABLE = OPEN_STATUSES


def _public_id(model: type[Asset] | type[Location], pk: int | None) -> Any:
    if pk is None:
        return None
    return model.objects.filter(pk=pk).values_list("public_id", flat=True).first()


def _fields(ctx: Context, record: UnifiedWorkOrder) -> dict[str, Any]:
    start, end = record.scheduled_start, record.scheduled_end
    if start and end and end < start:
        end = None
    return {
        "title": clip(record.title, 200) or record.number,
        "description": (record.description or "").strip()[:20000],
        "work_type": record.order_type,
        "priority": PRIORITY.get(record.priority or "", Priority.MEDIUM),
        "asset_id": _public_id(Asset, ctx.local_id("assets", record.asset_remote_id)),
        "location_id": _public_id(Location, ctx.local_id("locations", record.location_remote_id)),
        "scheduled_start": start,
        "scheduled_end": end,
    }


def work_order_upsert(
    ctx: Context, ref: ExternalReference, record: UnifiedWorkOrder
) -> tuple[str, int]:
    fields = _fields(ctx, record)
    pk = linked_id(ref, WORK_ORDER)
    work_order = (
        WorkOrder.objects.filter(pk=pk).first()
        if pk
        else WorkOrder.objects.filter(public_id=ref.public_id).first()
    )
    if work_order is None:
        work_order, _ = work_order_create(
            membership=None,
            organization_id=ctx.organization_id,
            spec=WorkOrderSpec(**fields),
            source=ChangeSource.ERP,
            client_id=ref.public_id,
        )
    else:
        changes = {k: v for k, v in fields.items() if k not in ("asset_id", "location_id") or v}
        work_order = work_order_update(
            membership=ctx.actor,
            work_order=work_order,
            expected_version=work_order.version,
            changes=changes,
            source=ChangeSource.ERP,
        )
    if (record.is_deleted or record.status == "cancelled") and work_order.status in CANCELLABLE:
        _cancel(ctx, work_order, "Cancelled in the ERP.")
    return WORK_ORDER, work_order.pk


def _cancel(ctx: Context, work_order: WorkOrder, reason: str) -> None:
    work_order_transition(
        membership=ctx.actor,
        work_order=work_order,
        to_status=Status.CANCELLED,
        expected_version=None,
        source=ChangeSource.ERP,
        reason=reason,
    )


def work_order_cancel(ctx: Context, ref: ExternalReference) -> None:
    pk = linked_id(ref, WORK_ORDER)
    work_order = WorkOrder.objects.filter(pk=pk).first() if pk else None
    if work_order is not None and work_order.status in CANCELLABLE:
        _cancel(ctx, work_order, "Deleted in the ERP.")
