"""Opening work orders: numbering, SLA clocks, the checklist, the first history row."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from assets.models import Asset, Location
from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from workorders.models import (
    ChangeSource,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistItemKind,
    Priority,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkType,
)
from workorders.services._common import clean_text, publish_work_order_event, record_history
from workorders.services.sla import apply_sla


@dataclass
class ChecklistItemSpec:
    label: str
    kind: str = ChecklistItemKind.PASS_FAIL
    required: bool = True
    requires_photo: bool = False
    unit: str = ""
    min_value: float | None = None
    max_value: float | None = None


@dataclass
class WorkOrderSpec:
    title: str
    description: str = ""
    work_type: str = WorkType.CORRECTIVE
    priority: str = Priority.MEDIUM
    asset_id: UUID | None = None
    location_id: UUID | None = None
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    estimated_minutes: int | None = None
    required_skill: str = ""
    checklist: list[ChecklistItemSpec] = field(default_factory=list)


def next_number(organization_id: int) -> int:
    """The next gap-free number. Call inside the creating transaction: the row lock serialises
    concurrent creators, and a rollback hands the number back."""
    WorkOrderSequence.objects.get_or_create(organization_id=organization_id)
    sequence = WorkOrderSequence.objects.select_for_update().get(organization_id=organization_id)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def resolve_in_organization(
    model: type, organization_id: int, public_id: UUID | None, field_name: str
) -> Any:
    if public_id is None:
        return None
    found = model.objects.filter(organization_id=organization_id, public_id=public_id).first()
    if found is None:
        raise ValidationFailed(details={field_name: "No such record in your organisation."})
    return found


def _validate(spec: WorkOrderSpec) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (spec.title or "").strip():
        errors["title"] = "This field is required."
    elif len(spec.title.strip()) > 200:
        errors["title"] = "At most 200 characters."
    if spec.work_type not in WorkType.values:
        errors["work_type"] = f"One of: {', '.join(WorkType.values)}."
    if spec.priority not in Priority.values:
        errors["priority"] = f"One of: {', '.join(Priority.values)}."
    if spec.scheduled_start and spec.scheduled_end and spec.scheduled_end < spec.scheduled_start:
        errors["scheduled_end"] = "Must not be before the scheduled start."
    if spec.estimated_minutes is not None and not 0 < spec.estimated_minutes <= 60 * 24 * 30:
        errors["estimated_minutes"] = "Between 1 minute and 30 days."
    for index, item in enumerate(spec.checklist):
        if not (item.label or "").strip():
            errors[f"checklist.{index}.label"] = "This field is required."
        if item.kind not in ChecklistItemKind.values:
            errors[f"checklist.{index}.kind"] = f"One of: {', '.join(ChecklistItemKind.values)}."
        if (
            item.min_value is not None
            and item.max_value is not None
            and item.min_value > item.max_value
        ):
            errors[f"checklist.{index}.max_value"] = "Must not be below the minimum."
    return errors


def work_order_create(
    *,
    membership: Membership | None,
    organization_id: int,
    spec: WorkOrderSpec,
    source: str = ChangeSource.WEB,
    client_id: UUID | None = None,
    follow_up_of: WorkOrder | None = None,
    found_by: ChecklistAnswer | None = None,
) -> tuple[WorkOrder, bool]:
    """Open a work order. Returns ``(work_order, created)``: a client id already used in the
    organisation returns that work order (a replayed offline create), created=False."""
    if client_id is not None:
        existing = WorkOrder.objects.filter(public_id=client_id).first()
        if existing is not None:
            if existing.organization_id != organization_id:
                raise ValidationFailed(details={"id": "This id is already taken."})
            return existing, False
    errors = _validate(spec)
    if errors:
        raise ValidationFailed(details=errors)
    asset = resolve_in_organization(Asset, organization_id, spec.asset_id, "asset_id")
    location = resolve_in_organization(Location, organization_id, spec.location_id, "location_id")
    if location is None and asset is not None:
        location = asset.location
    now = timezone.now()
    with transaction.atomic():
        work_order = WorkOrder(
            organization_id=organization_id,
            number=next_number(organization_id),
            title=spec.title.strip(),
            description=clean_text(spec.description, field="description", max_length=20000),
            work_type=spec.work_type,
            priority=spec.priority,
            asset=asset,
            location=location,
            scheduled_start=spec.scheduled_start,
            scheduled_end=spec.scheduled_end,
            estimated_minutes=spec.estimated_minutes,
            required_skill=clean_text(spec.required_skill, field="required_skill", max_length=60),
            created_by=membership,
            follow_up_of=follow_up_of,
            found_by=found_by,
            source=source,
        )
        if client_id is not None:
            work_order.public_id = client_id
        apply_sla(work_order, start=now)
        work_order.save()
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                organization_id=organization_id,
                work_order=work_order,
                position=index + 1,
                label=item.label.strip()[:300],
                kind=item.kind,
                required=item.required,
                requires_photo=item.requires_photo,
                unit=item.unit[:20],
                min_value=item.min_value,
                max_value=item.max_value,
            )
            for index, item in enumerate(spec.checklist)
        )
        record_history(
            work_order,
            kind=WorkOrderHistory.Kind.CREATED,
            actor=membership,
            source=source,
            at=now,
            to_status=work_order.status,
            details={"follow_up_of": follow_up_of.reference} if follow_up_of else None,
        )
        publish_work_order_event("workorder.created", work_order)
    return work_order, True
