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
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import (
    DateField,
    Exists,
    ExpressionWrapper,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from assets.models import AssetStatus, Meter
from fieldops.events import publish_event
from workorders.maintenance.meters import MeterState, cumulative_meters
from workorders.maintenance.models import (
    MaintenancePlan,
    OccurrenceStatus,
    PlanOccurrence,
    PlanTarget,
    ScheduleMode,
    ScopeKind,
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
from workorders.maintenance.services.targets import CoveredAsset, meter_of, targets_sync
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


class _DueBy(Func):
    """``next_due_date - lead_days`` as a date: the day a calendar due point opens."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL: date - integer = date
        due, due_params = compiler.compile(self.source_expressions[0])
        lead, lead_params = compiler.compile(self.source_expressions[1])
        return f"({due} - {lead})", (*due_params, *lead_params)

    def as_sqlite(self, compiler, connection, **extra):
        due, due_params = compiler.compile(self.source_expressions[0])
        lead, lead_params = compiler.compile(self.source_expressions[1])
        return f"date({due}, '-' || {lead} || ' days')", (*due_params, *lead_params)


def _candidates(now: datetime, organization_id: int | None) -> QuerySet[PlanTarget]:
    """Targets that may be due: a calendar point within its lead time (by the latest local
    date anywhere on Earth; the exact local check follows), or a meter mark the meter's raw
    value has reached (or a meter that was swapped, where raw values understate the count)."""
    latest_today = (now + timedelta(hours=14)).date()
    meters = Meter.objects.filter(
        asset=OuterRef("asset"), name__iexact=OuterRef("plan__meter_name"), kind="cumulative"
    )
    reached = meters.filter(
        last_value__gte=ExpressionWrapper(
            OuterRef("next_due_meter") - OuterRef("plan__meter_lead"), output_field=FloatField()
        )
    )
    swapped = meters.filter(readings__is_replacement=True)
    rows = (
        PlanTarget.objects.filter(plan__is_active=True, waiting=False)
        .annotate(due_by=_DueBy("next_due_date", "plan__lead_days"))
        .filter(
            Q(due_by__lte=latest_today)
            | (
                ~Q(plan__trigger=Trigger.TIME)
                & Q(next_due_meter__isnull=False)
                & (Exists(reached) | Exists(swapped))
            )
        )
        .select_related("plan__organization", "plan__location", "asset__location")
    )
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    return rows


def _add_missing_targets(now: datetime, organization_id: int | None) -> int:
    """Targets for plans that have none yet (bulk-loaded plans, assets added to a type or a
    subtree since). Plans get theirs when created, so this is usually two empty queries."""
    plans = MaintenancePlan.objects.filter(is_active=True).select_related(
        "organization", "location"
    )
    if organization_id is not None:
        plans = plans.filter(organization_id=organization_id)
    has_target = PlanTarget.objects.filter(plan=OuterRef("pk"), asset=OuterRef("asset"))
    lonely = list(plans.filter(scope=ScopeKind.ASSET).exclude(Exists(has_target)))
    by_type = list(plans.filter(scope=ScopeKind.ASSET_TYPE))
    if not lonely and not by_type:
        return 0
    return len(targets_sync(plans=lonely + by_type, now=now))


def _still_covered(plan: MaintenancePlan, asset: Any) -> bool:
    if asset.status == AssetStatus.RETIRED:
        return False
    if plan.scope == ScopeKind.ASSET:
        return asset.pk == plan.asset_id
    path = asset.location.path if asset.location_id else ""
    prefix = plan.location.path if plan.location_id else ""
    return asset.asset_type.lower() == plan.asset_type.lower() and path.startswith(prefix)


def plans_generate_due(
    *, now: datetime | None = None, organization_id: int | None = None
) -> GenerationReport:
    """One generation pass over every active plan (of one organisation, or all). Safe to run
    twice, or in two workers at once. The database picks the targets that may be due, so the
    scan costs the same few queries at any number of plans."""
    now = now or timezone.now()
    report = GenerationReport()
    open_pairs = _reconcile(organization_id)
    _add_missing_targets(now, organization_id)
    candidates = list(_candidates(now, organization_id))
    meters: dict = {}
    if any(t.plan.trigger != Trigger.TIME for t in candidates):
        org_ids = {t.organization_id for t in candidates}
        meters = cumulative_meters(organization_ids=org_ids, now=now)
    todays: dict[str, date] = {}
    report.targets = len(candidates)
    for target in candidates:
        plan, asset = target.plan, target.asset
        if not _still_covered(plan, asset):
            continue
        zone = plan.organization.time_zone
        today = todays.setdefault(zone, local_today(now, zone))
        meter = meter_of(plan, asset.pk, meters)
        step = plan_step(
            plan,
            target,
            today=today,
            meter_value=meter.value if meter else None,
            previous_open=(plan.pk, asset.pk) in open_pairs,
        )
        if step is not None:
            covered = CoveredAsset(
                id=asset.pk,
                public_id=str(asset.public_id),
                code=asset.code,
                organization_id=asset.organization_id,
                asset_type=asset.asset_type.lower(),
                location_path=asset.location.path if asset.location_id else "",
                retired=False,
            )
            _apply(plan, covered, target, meter, step, report)
    logger.info(
        "PM generation: %s candidate targets, %s opened, %s skipped, %s overtaken",
        report.targets,
        report.opened,
        report.skipped,
        report.conflicts,
    )
    return report
