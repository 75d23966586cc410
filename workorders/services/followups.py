"""A failed check opens corrective work in one tap, linked to the job that found it."""

from uuid import UUID

from django.db import IntegrityError, transaction

from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from workorders.models import (
    Attachment,
    ChangeSource,
    ChecklistItem,
    Priority,
    WorkOrder,
    WorkType,
)
from workorders.services._common import require_worker
from workorders.services.children import checklist_item_get
from workorders.services.creation import WorkOrderSpec, work_order_create


def follow_up_create(
    *,
    membership: Membership,
    work_order: WorkOrder,
    item_id: UUID,
    priority: str = Priority.HIGH,
    source: str = ChangeSource.WEB,
    client_id: UUID | None = None,
) -> tuple[WorkOrder, bool]:
    require_worker(work_order, membership)
    item = checklist_item_get(work_order, item_id)
    answer = item.answers.order_by("-occurred_at", "-id").first()
    if answer is None or not answer.is_failure:
        raise ValidationFailed(
            "Only a failed check opens a follow-up.", details={"item_id": str(item_id)}
        )
    found = answer.text or (
        f"measured {answer.value:g} {item.unit}".strip() if answer.value is not None else "failed"
    )
    spec = WorkOrderSpec(
        title=f"Follow-up: {item.label}"[:200],
        description=(
            f"Found during {work_order.reference} ({work_order.title}): “{item.label}” — {found}."
        ),
        work_type=WorkType.CORRECTIVE,
        priority=priority,
        asset_id=work_order.asset.public_id if work_order.asset else None,
        location_id=work_order.location.public_id if work_order.location else None,
    )
    # One follow-up per failed answer (the database's unique key holds it): asking again, by a
    # double tap, a retry or a second device, answers with the one already open.
    existing = WorkOrder.objects.filter(found_by=answer).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            follow_up, created = work_order_create(
                membership=membership,
                organization_id=work_order.organization_id,
                spec=spec,
                source=source,
                client_id=client_id,
                follow_up_of=work_order,
                found_by=answer,
            )
            if created:
                _copy_evidence(item, follow_up, membership, work_order)
    except IntegrityError:
        # The same request at the same moment stored it first.
        existing = WorkOrder.objects.filter(found_by=answer).first()
        if existing is None:
            raise
        return existing, False
    return follow_up, created


def _copy_evidence(
    item: ChecklistItem, follow_up: WorkOrder, membership: Membership, work_order: WorkOrder
) -> None:
    """The item's photos travel along as evidence (same stored file, new record)."""
    for photo in item.photos.all():
        Attachment.objects.create(
            organization_id=photo.organization_id,
            work_order=follow_up,
            author=membership,
            occurred_at=photo.occurred_at,
            kind=photo.kind,
            file=photo.file.name,
            original_name=photo.original_name,
            content_type=photo.content_type,
            size=photo.size,
            sha256=photo.sha256,
            caption=f"Evidence from {work_order.reference}: {item.label}"[:300],
        )
