"""When a work order the plans or rules opened finishes: compliance, the floating schedule, and
releasing a rule for its next firing."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from assets.models import Meter
from workorders.lifecycle import DONE_STATUSES
from workorders.maintenance.meters import effective_at
from workorders.maintenance.models import (
    OccurrenceStatus,
    PlanOccurrence,
    PlanTarget,
    RuleFiring,
    ScheduleMode,
    Trigger,
)
from workorders.maintenance.schedule import add_interval, local_today
from workorders.models import OPEN_STATUSES, Status, WorkOrder

FINISHED = (OccurrenceStatus.ON_TIME, OccurrenceStatus.EARLY, OccurrenceStatus.LATE)


def _outcome(occurrence: PlanOccurrence, completed_meter: float | None) -> str:
    plan = occurrence.plan
    if occurrence.triggered_by == Trigger.METER and occurrence.due_meter is not None:
        if completed_meter is None:
            return OccurrenceStatus.ON_TIME
        slack = plan.meter_interval * plan.tolerance_percent / 100
        if completed_meter < occurrence.due_meter - slack:
            return OccurrenceStatus.EARLY
        if completed_meter > occurrence.due_meter + slack:
            return OccurrenceStatus.LATE
        return OccurrenceStatus.ON_TIME
    if occurrence.completed_on < occurrence.window_start:
        return OccurrenceStatus.EARLY
    if occurrence.completed_on > occurrence.window_end:
        return OccurrenceStatus.LATE
    return OccurrenceStatus.ON_TIME


def _meter_id(occurrence: PlanOccurrence) -> int | None:
    plan = occurrence.plan
    if plan.trigger == Trigger.TIME:
        return None
    return (
        Meter.objects.filter(asset_id=occurrence.asset_id, name__iexact=plan.meter_name)
        .values_list("pk", flat=True)
        .first()
    )


def _complete(occurrence: PlanOccurrence, work_order: WorkOrder) -> None:
    plan = occurrence.plan
    done_at = work_order.completed_at or timezone.now()
    meter_id = _meter_id(occurrence)
    occurrence.completed_at = done_at
    occurrence.completed_on = local_today(done_at, plan.organization.time_zone)
    occurrence.completed_meter = effective_at(meter_id, done_at) if meter_id else None
    occurrence.status = _outcome(occurrence, occurrence.completed_meter)
    occurrence.save(update_fields=["completed_at", "completed_on", "completed_meter", "status"])
    if plan.mode == ScheduleMode.FLOATING:
        fields: dict[str, Any] = {"waiting": False, "last_completed_at": done_at}
        if plan.trigger != Trigger.METER:
            fields["next_due_date"] = add_interval(
                occurrence.completed_on, plan.interval_count, plan.interval_unit
            )
        if plan.trigger != Trigger.TIME:
            base = occurrence.completed_meter
            if base is None:
                base = occurrence.due_meter or 0.0
            fields["next_due_meter"] = base + plan.meter_interval
        _move_target(occurrence, fields)
    else:
        _move_target(occurrence, {"last_completed_at": done_at})


def _cancel(occurrence: PlanOccurrence) -> None:
    """Cancelled work is a due point not done. A floating plan steps on from the due point
    itself, as a fixed one would, rather than waiting for ever."""
    plan = occurrence.plan
    occurrence.status = OccurrenceStatus.CANCELLED
    occurrence.save(update_fields=["status"])
    if plan.mode != ScheduleMode.FLOATING:
        return
    fields: dict[str, Any] = {"waiting": False}
    if plan.trigger != Trigger.METER:
        fields["next_due_date"] = add_interval(
            occurrence.due_date, plan.interval_count, plan.interval_unit
        )
    if plan.trigger != Trigger.TIME and occurrence.due_meter is not None:
        fields["next_due_meter"] = occurrence.due_meter + plan.meter_interval
    _move_target(occurrence, fields)


def _reopen(occurrence: PlanOccurrence) -> None:
    occurrence.status = OccurrenceStatus.OPEN
    occurrence.completed_at = occurrence.completed_on = occurrence.completed_meter = None
    occurrence.save(update_fields=["status", "completed_at", "completed_on", "completed_meter"])
    if occurrence.plan.mode == ScheduleMode.FLOATING:
        _move_target(occurrence, {"waiting": True})


def _move_target(occurrence: PlanOccurrence, fields: dict[str, Any]) -> None:
    PlanTarget.objects.filter(plan_id=occurrence.plan_id, asset_id=occurrence.asset_id).update(
        **fields, updated_at=timezone.now()
    )


def work_order_maintenance_sync(*, work_order_id: Any) -> None:
    """Bring the occurrence or rule firing of a work order in line with its status. Idempotent:
    runs on every status change event, and from the beat as a backstop for lost events."""
    with transaction.atomic():
        occurrence = (
            PlanOccurrence.objects.select_for_update(of=("self",))
            .select_related("plan__organization", "work_order")
            .filter(work_order__public_id=work_order_id)
            .first()
        )
        if occurrence is not None:
            status = occurrence.work_order.status
            if status in DONE_STATUSES and occurrence.status == OccurrenceStatus.OPEN:
                _complete(occurrence, occurrence.work_order)
            elif status == Status.CANCELLED and occurrence.status == OccurrenceStatus.OPEN:
                _cancel(occurrence)
            elif status in OPEN_STATUSES and occurrence.status in FINISHED:
                _reopen(occurrence)
        RuleFiring.objects.filter(work_order__public_id=work_order_id, is_open=True).exclude(
            work_order__status__in=OPEN_STATUSES
        ).update(is_open=False)


def close_finished_firings(*, organization_id: int | None = None) -> int:
    """Backstop: release rules whose work order finished while the event was lost."""
    rows = RuleFiring.objects.filter(is_open=True).exclude(work_order__status__in=OPEN_STATUSES)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    return RuleFiring.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        is_open=False
    )
