"""Meter readings taken on a job: stored by the assets reading service (the one place readings are
checked), and recorded with the work order so the job and its service report list them."""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from assets.models import Meter, MeterReading
from assets.services.readings import reading_record
from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from workorders.models import WorkOrder, WorkOrderReading
from workorders.services._common import require_worker
from workorders.services.children import _locked_afresh, _touch
from workorders.services.locking import require_unlocked


def work_order_reading_record(
    *,
    membership: Membership,
    work_order: WorkOrder,
    meter_id: UUID | None,
    value: Any,
    note: str = "",
    client_id: UUID | None = None,
    unusual_confirmed: bool = False,
) -> tuple[MeterReading, bool]:
    """Take a reading of one of the job's asset's meters, now. A value far from the meter's last
    reading is refused (``details["unusual"]``) until the person confirms it."""
    require_worker(work_order, membership)
    require_unlocked(work_order)
    meter = Meter.objects.filter(
        organization_id=work_order.organization_id,
        asset_id=work_order.asset_id,
        public_id=meter_id,
    ).first()
    if work_order.asset_id is None or meter is None:
        raise ValidationFailed(details={"fields": {"meter_id": "Not a meter of this job's asset."}})
    with transaction.atomic():
        _locked_afresh(work_order)
        reading, created = reading_record(
            membership=membership,
            organization_id=work_order.organization_id,
            meter_id=meter.public_id,
            value=value,
            taken_at=timezone.now(),
            note=note,
            reading_id=client_id,
            unusual_confirmed=unusual_confirmed,
        )
        if created:
            WorkOrderReading.objects.create(
                organization_id=work_order.organization_id, work_order=work_order, reading=reading
            )
    if created:
        _touch(work_order, "meter_reading")
    return reading, created
