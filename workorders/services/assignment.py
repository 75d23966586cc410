"""Giving work to technicians."""

from datetime import datetime
from uuid import UUID

from django.db import transaction

from fieldops.accounts.models import Membership, Role
from fieldops.errors import ValidationFailed
from fieldops.events import publish_event
from workorders.models import (
    OPEN_STATUSES_ASSIGNABLE,
    ChangeSource,
    Status,
    WorkOrder,
    WorkOrderAssignment,
    WorkOrderHistory,
)
from workorders.services._common import occurred_at, record_history, require_role
from workorders.services.transitions import lock_current


def work_order_assign(
    *,
    membership: Membership,
    work_order: WorkOrder,
    technician_ids: list[UUID],
    expected_version: int | None,
    source: str = ChangeSource.WEB,
    device_time: datetime | None = None,
) -> WorkOrder:
    """Set who works on it (replacing the previous people). New work becomes assigned."""
    require_role(membership, Role.DISPATCHER, Role.ADMIN)
    if not technician_ids:
        raise ValidationFailed(details={"technician_ids": "Choose at least one technician."})
    at = occurred_at(device_time)
    technicians = list(
        Membership.objects.filter(
            organization_id=membership.organization_id,
            public_id__in=technician_ids,
            role=Role.TECHNICIAN,
            is_active=True,
        )
    )
    if len(technicians) != len(set(technician_ids)):
        raise ValidationFailed(
            details={"technician_ids": "Each must be an active technician of your organisation."}
        )
    with transaction.atomic():
        work_order = lock_current(work_order.pk, expected_version)
        if work_order.status not in OPEN_STATUSES_ASSIGNABLE:
            raise ValidationFailed(
                f"{work_order.get_status_display()} work cannot be reassigned.",
                details={"status": work_order.status},
            )
        previous = set(work_order.assignments.values_list("membership_id", flat=True))
        wanted = {technician.pk for technician in technicians}
        work_order.assignments.exclude(membership_id__in=wanted).delete()
        WorkOrderAssignment.objects.bulk_create(
            WorkOrderAssignment(
                work_order=work_order,
                membership=technician,
                assigned_by=membership,
                assigned_at=at,
            )
            for technician in technicians
            if technician.pk not in previous
        )
        from_status = work_order.status
        changed = ["version", "updated_at"]
        if work_order.status == Status.NEW:
            work_order.status = Status.ASSIGNED
            changed.append("status")
        if work_order.responded_at is None:
            work_order.responded_at = at
            changed.append("responded_at")
        work_order.version += 1
        work_order.save(update_fields=changed)
        record_history(
            work_order,
            kind=WorkOrderHistory.Kind.ASSIGNED,
            actor=membership,
            source=source,
            at=at,
            from_status=from_status,
            to_status=work_order.status,
            details={"technicians": sorted(t.user.get_username() for t in technicians)},
        )
        publish_event(
            "workorder.assigned",
            organization_id=work_order.organization_id,
            data={
                "number": work_order.reference,
                "id": str(work_order.public_id),
                "status": work_order.status,
                "version": work_order.version,
                "technicians": [str(t.public_id) for t in technicians],
            },
            technician_ids=sorted(previous | wanted),
        )
    work_order.refresh_from_db()
    return work_order
