"""Which assets a plan covers, and where each one's first due point lies."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from assets.models import Asset, AssetStatus
from workorders.maintenance.meters import MeterState, cumulative_meters
from workorders.maintenance.models import (
    MaintenancePlan,
    PlanTarget,
    ScheduleMode,
    ScopeKind,
    Trigger,
)
from workorders.maintenance.schedule import add_interval, first_step_on_or_after, local_today


@dataclass(frozen=True)
class CoveredAsset:
    id: int
    public_id: str
    code: str
    organization_id: int
    asset_type: str
    location_path: str
    retired: bool


def load_assets(*, organization_ids: Iterable[int] | None, plans: list | None = None) -> dict:
    """id -> CoveredAsset: of the given plans only (a few), or of whole organisations. One query."""
    rows = Asset.objects.all()
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    if plans is not None:
        wanted = Q(pk__in=[p.asset_id for p in plans if p.asset_id])
        types = {p.asset_type.lower() for p in plans if p.scope == ScopeKind.ASSET_TYPE}
        for asset_type in types:
            wanted |= Q(asset_type__iexact=asset_type)
        rows = rows.filter(wanted)
    fields = ("id", "public_id", "code", "organization_id", "asset_type", "status")
    return {
        row["id"]: CoveredAsset(
            id=row["id"],
            public_id=str(row["public_id"]),
            code=row["code"],
            organization_id=row["organization_id"],
            asset_type=row["asset_type"].lower(),
            location_path=row["location__path"] or "",
            retired=row["status"] == AssetStatus.RETIRED,
        )
        for row in rows.values(*fields, "location__path")
    }


def covered_by(plan: MaintenancePlan, assets: dict, by_type: dict | None = None) -> list:
    """The assets a plan covers now (retired ones never get new work)."""
    if plan.scope == ScopeKind.ASSET:
        asset = assets.get(plan.asset_id)
        return [asset] if asset and not asset.retired else []
    pool = (by_type or {}).get((plan.organization_id, plan.asset_type.lower()))
    if pool is None:
        pool = [
            a
            for a in assets.values()
            if a.organization_id == plan.organization_id and a.asset_type == plan.asset_type.lower()
        ]
    prefix = plan.location.path if plan.location_id else ""
    return [a for a in pool if not a.retired and a.location_path.startswith(prefix)]


def group_by_type(assets: dict) -> dict:
    grouped: dict[tuple[int, str], list] = {}
    for asset in assets.values():
        grouped.setdefault((asset.organization_id, asset.asset_type), []).append(asset)
    return grouped


def meter_of(plan: MaintenancePlan, asset_id: int, meters: dict) -> MeterState | None:
    if plan.trigger == Trigger.TIME:
        return None
    return meters.get((asset_id, plan.meter_name.strip().lower()))


def first_due(plan: MaintenancePlan, *, today: date, meter: MeterState | None) -> dict:
    """Target fields for a plan's first due point on an asset, seen from ``today``.

    Calendar: a fixed plan's first grid date on or after today (and the active window's start);
    a floating plan's start date, or today when that has passed. Meter: a fixed plan's first grid
    mark above the current count; a floating plan's last service mark (``meter_start``, else the
    current count) plus the interval.
    """
    fields: dict = {"time_index": 0, "next_due_date": None, "next_due_meter": None}
    if plan.trigger != Trigger.METER:
        floor = max(today, plan.active_from or today)
        if plan.mode == ScheduleMode.FIXED:
            step = first_step_on_or_after(
                plan.start_date, plan.interval_count, plan.interval_unit, floor
            )
            fields["time_index"] = step
            fields["next_due_date"] = add_interval(
                plan.start_date, plan.interval_count, plan.interval_unit, step
            )
        else:
            fields["next_due_date"] = max(plan.start_date, floor)
    if plan.trigger != Trigger.TIME:
        current = meter.value if meter and meter.value is not None else None
        interval = plan.meter_interval
        base = plan.meter_start if plan.meter_start is not None else (current or 0.0)
        mark = base + interval
        if plan.mode == ScheduleMode.FIXED and current is not None and mark <= current:
            mark += interval * (int((current - mark) // interval) + 1)
        fields["next_due_meter"] = mark
    return fields


def targets_sync(
    *, plans: list[MaintenancePlan], now: datetime, reset: bool = False
) -> list[PlanTarget]:
    """Give every asset the plans cover a target row; with ``reset``, recompute the next due
    point of targets not waiting for a completion (after the schedule changed)."""
    if not plans:
        return []
    organization_ids = {p.organization_id for p in plans}
    assets = load_assets(organization_ids=organization_ids, plans=plans)
    meters = {}
    if any(p.trigger != Trigger.TIME for p in plans):
        meters = cumulative_meters(organization_ids=organization_ids, now=now)
    existing = {(t.plan_id, t.asset_id): t for t in PlanTarget.objects.filter(plan__in=plans)}
    todays: dict[str, date] = {}
    created, changed = [], []
    for plan in plans:
        zone = plan.organization.time_zone
        today = todays.setdefault(zone, local_today(now, zone))
        for asset in covered_by(plan, assets):
            fields = first_due(plan, today=today, meter=meter_of(plan, asset.id, meters))
            target = existing.get((plan.pk, asset.id))
            if target is None:
                created.append(
                    PlanTarget(
                        organization_id=plan.organization_id, plan=plan, asset_id=asset.id, **fields
                    )
                )
            elif reset and not target.waiting:
                for name, value in fields.items():
                    setattr(target, name, value)
                changed.append(target)
    PlanTarget.objects.bulk_create(created, ignore_conflicts=True)
    if changed:
        PlanTarget.objects.bulk_update(changed, ["time_index", "next_due_date", "next_due_meter"])
    return created + changed
