"""Changing a work order's details: always against the version the change was based on."""

from typing import Any
from uuid import UUID

from django.db import transaction

from assets.models import Asset, Location
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed
from workorders.models import ChangeSource, Priority, WorkOrder, WorkOrderHistory, WorkType
from workorders.services._common import (
    occurred_at,
    publish_work_order_event,
    record_history,
)
from workorders.services.creation import resolve_in_organization
from workorders.services.locking import require_unlocked
from workorders.services.transitions import lock_current

EDITABLE = {
    "title",
    "description",
    "priority",
    "work_type",
    "asset_id",
    "location_id",
    "scheduled_start",
    "scheduled_end",
    "estimated_minutes",
    "required_skill",
    "due_at",
}


def _clean(organization_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unknown = set(changes) - EDITABLE
    for name in unknown:
        errors[name] = "This field cannot be changed here."
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in unknown:
            continue
        if name == "title":
            value = (value or "").strip()
            if not value or len(value) > 200:
                errors[name] = "Between 1 and 200 characters."
        elif name == "priority" and value not in Priority.values:
            errors[name] = f"One of: {', '.join(Priority.values)}."
        elif name == "work_type" and value not in WorkType.values:
            errors[name] = f"One of: {', '.join(WorkType.values)}."
        elif name == "required_skill":
            value = (value or "").strip()
            if len(value) > 60:
                errors[name] = "At most 60 characters."
        elif name == "estimated_minutes" and value is not None and not 0 < value <= 43200:
            errors[name] = "Between 1 minute and 30 days."
        elif name in ("asset_id", "location_id"):
            model = Asset if name == "asset_id" else Location
            try:
                value = resolve_in_organization(model, organization_id, value, name)
            except ValidationFailed as exc:
                errors.update(exc.details)
            name = name.removesuffix("_id")
        clean[name] = value if value is not None or name != "description" else ""
    if errors:
        raise ValidationFailed(details=errors)
    return clean


def work_order_update(
    *,
    membership: Membership,
    work_order: WorkOrder,
    expected_version: int,
    changes: dict[str, Any],
    source: str = ChangeSource.WEB,
) -> WorkOrder:
    require(membership, "work.edit")
    clean = _clean(work_order.organization_id, changes)
    with transaction.atomic():
        work_order = lock_current(work_order.pk, expected_version)
        before: dict[str, Any] = {}
        for name, value in clean.items():
            old = getattr(work_order, name)
            if old != value:
                before[name] = _plain(old)
                setattr(work_order, name, value)
        start, end = work_order.scheduled_start, work_order.scheduled_end
        if start and end and end < start:
            raise ValidationFailed(details={"scheduled_end": "Must not be before the start."})
        if not before:
            return work_order  # nothing changes (an ERP resending a record), locked or not
        require_unlocked(work_order)
        work_order.version += 1
        work_order.save(update_fields=[*before, "version", "updated_at"])
        record_history(
            work_order,
            kind=WorkOrderHistory.Kind.UPDATED,
            actor=membership,
            source=source,
            at=occurred_at(None),
            details={
                "changed": {k: [v, _plain(getattr(work_order, k))] for k, v in before.items()}
            },
        )
        publish_work_order_event("workorder.updated", work_order, fields=sorted(before))
    return work_order


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "public_id"):
        return str(value.public_id)
    return str(value)
