"""Opening preventive work orders for every due point that came within its plan's lead time.

Exactly once per plan, asset and due point: each due point is an occurrence row numbered per plan
and asset, and ``(plan, asset, seq)`` is unique in the database. A pass inserts the occurrence
first, then opens the work order, then moves the target on with a compare-and-set on its ``seq``,
all in one transaction: a second worker doing the same due point at the same moment blocks on the
unique index until the first commits, then fails and rolls back, so it opens nothing.

The scan costs a fixed number of queries however many plans there are; only the due points that
are actually reached cost queries of their own (one work order each).
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from fieldops.events import publish_event
from workorders.maintenance.meters import MeterState, cumulative_meters
from workorders.maintenance.models import (
    MaintenancePlan,
    OccurrenceStatus,
    PlanOccurrence,
    PlanTarget,
    ScheduleMode,
    SkipReason,
    Trigger,
)
from workorders.maintenance.schedule import (
    add_interval,
    local_start,
    local_today,
    tolerance_days,
)
from workorders.maintenance.services.completion import work_order_maintenance_sync
from workorders.maintenance.services.targets import (
    CoveredAsset,
    covered_by,
    first_due,
    group_by_type,
    load_assets,
    meter_of,
)
from workorders.models import OPEN_STATUSES, ChangeSource, WorkType
from workorders.services import ChecklistItemSpec, WorkOrderSpec, work_order_create

logger = logging.getLogger("fieldops.maintenance")
# A plan idle for years must not write thousands of "missed" rows in one go.
MAX_CATCH_UP = 400
OCCURRENCE_NAMESPACE = uuid.UUID("5b0f3c59-55a8-4c53-9a4e-1b6f0fb3d0c1")


@dataclass
class DuePoint:
    seq: int
    triggered_by: str
    due_date: date
    due_meter: float | None = None
    skip_reason: str = ""


@dataclass
class Step:
    dues: list[DuePoint]
    after: dict


def _window_open(plan: MaintenancePlan, day: date) -> bool:
    return (plan.active_from is None or day >= plan.active_from) and (
        plan.active_until is None or day <= plan.active_until
    )


def plan_step(
    plan: MaintenancePlan,
    target: PlanTarget,
    *,
    today: date,
    meter_value: float | None,
    previous_open: bool,
) -> Step | None:
    """What a pass does for one target today: nothing, or due points to record (the last opens a
    work order unless skipped) and the target's new fields. Pure: no database."""
    if target.waiting:
        return None
    time_on, meter_on = plan.trigger != Trigger.METER, plan.trigger != Trigger.TIME
    horizon = today + timedelta(days=plan.lead_days)
    time_hit = time_on and target.next_due_date is not None and target.next_due_date <= horizon
    meter_hit = (
        meter_on
        and target.next_due_meter is not None
        and meter_value is not None
        and meter_value >= target.next_due_meter - plan.meter_lead
    )
    if not (time_hit or meter_hit):
        return None
    if previous_open and plan.mode == ScheduleMode.FLOATING:
        return None
    seq, dues = target.seq, []
    count, unit, interval = plan.interval_count, plan.interval_unit, plan.meter_interval
    if plan.mode == ScheduleMode.FIXED and plan.trigger == Trigger.TIME:
        step, due = target.time_index, target.next_due_date
        while len(dues) < MAX_CATCH_UP:
            following = add_interval(plan.start_date, count, unit, step + 1)
            if following > horizon:
                break
            dues.append(DuePoint(seq, Trigger.TIME, due, skip_reason=SkipReason.MISSED))
            seq, step, due = seq + 1, step + 1, following
        dues.append(DuePoint(seq, Trigger.TIME, due))
        after = {
            "time_index": step + 1,
            "next_due_date": add_interval(plan.start_date, count, unit, step + 1),
        }
    elif plan.mode == ScheduleMode.FIXED and plan.trigger == Trigger.METER:
        mark = target.next_due_meter
        while mark + interval <= meter_value + plan.meter_lead and len(dues) < MAX_CATCH_UP:
            dues.append(DuePoint(seq, Trigger.METER, today, mark, SkipReason.MISSED))
            seq, mark = seq + 1, mark + interval
        dues.append(DuePoint(seq, Trigger.METER, today, mark))
        after = {"next_due_meter": mark + interval}
    else:
        # Floating plans (any trigger) and fixed "whichever first": one due point at a time.
        by = Trigger.TIME if time_hit else Trigger.METER
        due_date = target.next_due_date if time_hit else today
        dues.append(DuePoint(seq, by, due_date, target.next_due_meter if meter_on else None))
        if plan.mode == ScheduleMode.FLOATING:
            after = {"waiting": True}
        else:
            # Whichever came first restarts both counts from this service.
            after = {"next_due_date": add_interval(due_date, count, unit)}
            restart = target.next_due_meter if meter_hit else meter_value
            if restart is not None:
                after["next_due_meter"] = restart + interval
    if not _window_open(plan, dues[-1].due_date):
        return None
    if previous_open and plan.skip_if_open:
        dues[-1].skip_reason = SkipReason.PREVIOUS_OPEN
    after["seq"] = seq + 1
    return Step(dues=dues, after=after)


@dataclass
class GenerationReport:
    plans: int = 0
    targets: int = 0
    opened: int = 0
    skipped: int = 0
    conflicts: int = 0
    work_orders: list[str] = field(default_factory=list)


class _Overtaken(Exception):
    """Another worker moved this target on first: this pass leaves it alone."""


def _occurrence(plan: MaintenancePlan, asset: CoveredAsset, due: DuePoint) -> PlanOccurrence:
    occurrence = PlanOccurrence(
        organization_id=plan.organization_id,
        plan=plan,
        asset_id=asset.id,
        seq=due.seq,
        triggered_by=due.triggered_by,
        due_date=due.due_date,
        due_meter=due.due_meter,
        status=OccurrenceStatus.SKIPPED if due.skip_reason else OccurrenceStatus.OPEN,
        skip_reason=due.skip_reason,
    )
    if due.triggered_by == Trigger.TIME:
        slack = timedelta(
            days=tolerance_days(plan.interval_count, plan.interval_unit, plan.tolerance_percent)
        )
        occurrence.window_start, occurrence.window_end = due.due_date - slack, due.due_date + slack
    return occurrence


def _work_order_spec(
    plan: MaintenancePlan, asset: CoveredAsset, due: DuePoint, meter: MeterState | None
) -> WorkOrderSpec:
    when = f"Due {due.due_date:%d %b %Y}"
    if due.due_meter is not None and meter is not None:
        when += f" or at {due.due_meter:g} {meter.unit} on “{meter.name}”"
    start = local_start(due.due_date, plan.organization.time_zone)
    minutes = plan.estimated_minutes
    lines = [f"Preventive maintenance from plan “{plan.name}”. {when}.", plan.description]
    return WorkOrderSpec(
        title=plan.work_title or plan.name,
        description="\n\n".join(line for line in lines if line),
        work_type=WorkType.PREVENTIVE,
        priority=plan.priority,
        asset_id=uuid.UUID(asset.public_id),
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes) if minutes else None,
        estimated_minutes=minutes,
        required_skill=plan.required_skill,
        checklist=[ChecklistItemSpec(**item) for item in plan.checklist],
    )


def _apply(
    plan: MaintenancePlan,
    asset: CoveredAsset,
    target: PlanTarget,
    meter: MeterState | None,
    step: Step,
    report: GenerationReport,
) -> None:
    try:
        with transaction.atomic():
            rows = [_occurrence(plan, asset, due) for due in step.dues]
            # The claim: a concurrent pass inserting the same (plan, asset, seq) fails here.
            PlanOccurrence.objects.bulk_create(rows)
            last, due = rows[-1], step.dues[-1]
            work_order = None
            if not due.skip_reason:
                client_id = uuid.uuid5(
                    OCCURRENCE_NAMESPACE, f"{plan.public_id}:{asset.public_id}:{due.seq}"
                )
                work_order, _ = work_order_create(
                    membership=None,
                    organization_id=plan.organization_id,
                    spec=_work_order_spec(plan, asset, due, meter),
                    source=ChangeSource.SYSTEM,
                    client_id=client_id,
                )
                PlanOccurrence.objects.filter(plan=plan, asset_id=asset.id, seq=last.seq).update(
                    work_order=work_order
                )
            moved = PlanTarget.objects.filter(pk=target.pk, seq=target.seq).update(
                **step.after, updated_at=timezone.now()
            )
            if moved != 1:
                raise _Overtaken
            if work_order is not None:
                publish_event(
                    "pm.generated",
                    organization_id=plan.organization_id,
                    data={
                        "plan_id": str(plan.public_id),
                        "asset_id": asset.public_id,
                        "work_order": work_order.reference,
                        "work_order_id": str(work_order.public_id),
                        "due_date": due.due_date.isoformat(),
                        "due_meter": due.due_meter,
                        "seq": due.seq,
                        "triggered_by": due.triggered_by,
                    },
                )
    except (IntegrityError, _Overtaken):
        report.conflicts += 1
        return
    skipped = sum(1 for d in step.dues if d.skip_reason)
    report.skipped += skipped
    if work_order is not None:
        report.opened += 1
        report.work_orders.append(work_order.reference)


def _reconcile(organization_id: int | None) -> set[tuple[int, int]]:
    """(plan, asset) pairs with a work order still open; occurrences whose work order finished
    without us hearing of it (a lost event) are brought up to date here."""
    rows = PlanOccurrence.objects.filter(status=OccurrenceStatus.OPEN, plan__is_active=True)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    still_open, finished = set(), []
    for plan_id, asset_id, status, wo_id in rows.values_list(
        "plan_id", "asset_id", "work_order__status", "work_order__public_id"
    ):
        if status in OPEN_STATUSES:
            still_open.add((plan_id, asset_id))
        elif wo_id is not None:
            finished.append(wo_id)
    for wo_id in finished:
        work_order_maintenance_sync(work_order_id=wo_id)
    return still_open


def plans_generate_due(
    *, now: datetime | None = None, organization_id: int | None = None
) -> GenerationReport:
    """One generation pass over every active plan (of one organisation, or all). Safe to run
    twice, or in two workers at once."""
    now = now or timezone.now()
    report = GenerationReport()
    open_pairs = _reconcile(organization_id)
    plans = MaintenancePlan.objects.filter(is_active=True).select_related(
        "organization", "location"
    )
    if organization_id is not None:
        plans = plans.filter(organization_id=organization_id)
    plans = list(plans)
    report.plans = len(plans)
    if not plans:
        return report
    org_ids = None if organization_id is None else [organization_id]
    assets = load_assets(organization_ids=org_ids)
    by_type = group_by_type(assets)
    meters = {}
    if any(p.trigger != Trigger.TIME for p in plans):
        meters = cumulative_meters(organization_ids=org_ids, now=now)
    targets_qs = PlanTarget.objects.filter(plan__is_active=True)
    if organization_id is not None:
        targets_qs = targets_qs.filter(organization_id=organization_id)
    targets = {(t.plan_id, t.asset_id): t for t in targets_qs}
    todays: dict[str, date] = {}
    pending, missing = [], []
    for plan in plans:
        zone = plan.organization.time_zone
        today = todays.setdefault(zone, local_today(now, zone))
        for asset in covered_by(plan, assets, by_type):
            meter = meter_of(plan, asset.id, meters)
            target = targets.get((plan.pk, asset.id))
            if target is None:
                fields = first_due(plan, today=today, meter=meter)
                missing.append(
                    PlanTarget(
                        organization_id=plan.organization_id, plan=plan, asset_id=asset.id, **fields
                    )
                )
            pending.append((plan, asset, meter, today))
    if missing:
        PlanTarget.objects.bulk_create(missing, ignore_conflicts=True)
        targets = {(t.plan_id, t.asset_id): t for t in targets_qs.all()}
    report.targets = len(pending)
    for plan, asset, meter, today in pending:
        target = targets.get((plan.pk, asset.id))
        if target is None:
            continue
        step = plan_step(
            plan,
            target,
            today=today,
            meter_value=meter.value if meter else None,
            previous_open=(plan.pk, asset.id) in open_pairs,
        )
        if step is not None:
            _apply(plan, asset, target, meter, step, report)
    logger.info(
        "PM generation: %s plans, %s targets, %s opened, %s skipped, %s overtaken",
        report.plans,
        report.targets,
        report.opened,
        report.skipped,
        report.conflicts,
    )
    return report
