"""Defining maintenance plans: a sound definition is checked before anything is stored."""

import uuid
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from assets.models import Asset, Location, Meter, MeterKind
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed, VersionConflict
from fieldops.tenancy import get_for_organization
from workorders.maintenance.models import (
    IntervalUnit,
    MaintenancePlan,
    ScheduleMode,
    ScopeKind,
    Trigger,
)
from workorders.maintenance.schedule import shortest_interval_days
from workorders.maintenance.services.targets import targets_sync
from workorders.models import ChecklistItemKind, Priority

MAX_TARGETS = 5000


@dataclass
class PlanSpec:
    name: str = ""
    description: str = ""
    is_active: bool = True
    scope: str = ScopeKind.ASSET
    asset_id: uuid.UUID | None = None
    asset_type: str = ""
    location_id: uuid.UUID | None = None
    trigger: str = Trigger.TIME
    mode: str = ScheduleMode.FIXED
    interval_count: int | None = None
    interval_unit: str = IntervalUnit.MONTHS
    start_date: date | None = None
    lead_days: int = 0
    meter_name: str = ""
    meter_interval: float | None = None
    meter_start: float | None = None
    meter_lead: float = 0
    tolerance_percent: int = 10
    active_from: date | None = None
    active_until: date | None = None
    skip_if_open: bool = True
    work_title: str = ""
    priority: str = Priority.MEDIUM
    required_skill: str = ""
    estimated_minutes: int | None = None
    checklist: list[dict[str, Any]] = field(default_factory=list)


SPEC_FIELDS = [f.name for f in fields(PlanSpec)]


class _Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, message)


def _text(errors: _Errors, name: str, value: Any, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors.add(name, "This field is required.")
    elif len(text) > max_length:
        errors.add(name, f"At most {max_length} characters.")
    return text


def _choice(errors: _Errors, name: str, value: Any, choices: list[str]) -> str:
    if value not in choices:
        errors.add(name, f"One of: {', '.join(choices)}.")
    return value


def _clean_checklist(errors: _Errors, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    if len(items) > 200:
        errors.add("checklist", "At most 200 items.")
        return []
    for index, item in enumerate(items):
        label = _text(errors, f"checklist.{index}.label", item.get("label"), 300, required=True)
        kind = item.get("kind") or ChecklistItemKind.PASS_FAIL
        _choice(errors, f"checklist.{index}.kind", kind, ChecklistItemKind.values)
        low, high = item.get("min_value"), item.get("max_value")
        if low is not None and high is not None and low > high:
            errors.add(f"checklist.{index}.max_value", "Must not be below the minimum.")
        cleaned.append(
            {
                "label": label,
                "kind": kind,
                "required": bool(item.get("required", True)),
                "requires_photo": bool(item.get("requires_photo", False)),
                "unit": str(item.get("unit") or "")[:20],
                "min_value": low,
                "max_value": high,
            }
        )
    return cleaned


def _check_schedule(errors: _Errors, spec: PlanSpec) -> None:
    _choice(errors, "trigger", spec.trigger, Trigger.values)
    _choice(errors, "mode", spec.mode, ScheduleMode.values)
    if spec.start_date is None and spec.trigger == Trigger.METER:
        spec.start_date = timezone.localdate()  # not used by a meter-only schedule
    if spec.start_date is None:
        errors.add("start_date", "Give the first due date.")
    if spec.trigger in (Trigger.TIME, Trigger.BOTH):
        _choice(errors, "interval_unit", spec.interval_unit, IntervalUnit.values)
        count = spec.interval_count
        if count is None or count < 1:
            errors.add("interval_count", "The interval must be at least 1.")
        elif count > 1000:
            errors.add("interval_count", "At most 1000.")
        elif spec.interval_unit in IntervalUnit.values:
            shortest = shortest_interval_days(count, spec.interval_unit)
            unit = spec.interval_unit.rstrip("s") if count == 1 else spec.interval_unit
            if spec.lead_days >= shortest:
                errors.add(
                    "lead_days",
                    f"The lead time ({spec.lead_days} days) must be shorter than the interval "
                    f"({count} {unit}, at least {shortest} days).",
                )
    if spec.lead_days < 0 or spec.lead_days > 3650:
        errors.add("lead_days", "Between 0 and 3650 days.")
    if spec.trigger in (Trigger.METER, Trigger.BOTH):
        if not spec.meter_name.strip():
            errors.add("meter_name", "Name the cumulative meter the plan counts.")
        interval = spec.meter_interval
        if interval is None or interval <= 0:
            errors.add("meter_interval", "The meter interval must be more than 0.")
        elif spec.meter_lead < 0 or spec.meter_lead >= interval:
            errors.add(
                "meter_lead",
                f"The lead ({spec.meter_lead:g}) must be at least 0 and less than the meter "
                f"interval ({interval:g}).",
            )
    if not 0 <= spec.tolerance_percent <= 50:
        errors.add("tolerance_percent", "Between 0 and 50 %.")
    if spec.active_from and spec.active_until and spec.active_until < spec.active_from:
        errors.add("active_until", "Must not be before the start of the active window.")


def _check_meter(errors: _Errors, spec: PlanSpec, organization_id: int, assets: Any) -> None:
    """A meter-based plan counts units of a cumulative meter: refuse a gauge or a missing one."""
    name = spec.meter_name.strip()
    if spec.trigger == Trigger.TIME or not name:
        return
    meters = Meter.objects.filter(organization_id=organization_id, name__iexact=name)
    if spec.scope == ScopeKind.ASSET:
        meters = meters.filter(asset__in=assets)
    else:
        meters = meters.filter(asset__in=assets.values("pk"))
    kinds = set(meters.values_list("kind", flat=True)[:MAX_TARGETS])
    if MeterKind.GAUGE in kinds:
        errors.add(
            "meter_name",
            f"“{name}” is a gauge meter (a level, not a count). A plan counts units of a "
            "cumulative meter; watch a gauge with a condition rule instead.",
        )
    elif not kinds:
        errors.add("meter_name", f"No covered asset has a meter named “{name}”.")


def _resolve_scope(
    errors: _Errors, spec: PlanSpec, organization_id: int
) -> tuple[Asset | None, Location | None, Any]:
    """The plan's asset / location rows and a queryset of the assets it covers."""
    _choice(errors, "scope", spec.scope, ScopeKind.values)
    asset = location = None
    if spec.scope == ScopeKind.ASSET:
        asset = Asset.objects.filter(organization_id=organization_id, public_id=spec.asset_id)
        asset = asset.first() if spec.asset_id else None
        if asset is None:
            errors.add("asset_id", "Choose an asset of your organisation.")
        return asset, None, [asset] if asset else []
    spec.asset_type = _text(errors, "asset_type", spec.asset_type, 60, required=True)
    if spec.location_id:
        location = Location.objects.filter(
            organization_id=organization_id, public_id=spec.location_id
        ).first()
        if location is None:
            errors.add("location_id", "Choose a location of your organisation.")
    covered = Asset.objects.filter(
        organization_id=organization_id, asset_type__iexact=spec.asset_type
    )
    if location is not None:
        covered = covered.filter(location__path__startswith=location.path)
    return None, location, covered


def validate_plan(spec: PlanSpec, *, organization_id: int) -> dict[str, Any]:
    """The model field values of a sound plan, or VALIDATION_ERROR naming every bad field."""
    errors = _Errors()
    values: dict[str, Any] = {
        "name": _text(errors, "name", spec.name, 200, required=True),
        "description": _text(errors, "description", spec.description, 5000),
        "work_title": _text(errors, "work_title", spec.work_title, 200),
        "required_skill": _text(errors, "required_skill", spec.required_skill, 60),
        "meter_name": _text(errors, "meter_name", spec.meter_name, 100),
    }
    _choice(errors, "priority", spec.priority, Priority.values)
    if spec.estimated_minutes is not None and not 0 < spec.estimated_minutes <= 60 * 24 * 30:
        errors.add("estimated_minutes", "Between 1 minute and 30 days.")
    _check_schedule(errors, spec)
    asset, location, covered = _resolve_scope(errors, spec, organization_id)
    values["checklist"] = _clean_checklist(errors, spec.checklist or [])
    if not errors:
        _check_meter(errors, spec, organization_id, covered)
    if errors:
        raise ValidationFailed(
            "The plan is not valid; nothing was saved.", details={"fields": errors}
        )
    time_based = spec.trigger != Trigger.METER
    meter_based = spec.trigger != Trigger.TIME
    values.update(
        is_active=bool(spec.is_active),
        scope=spec.scope,
        asset=asset,
        asset_type=spec.asset_type if spec.scope == ScopeKind.ASSET_TYPE else "",
        location=location,
        trigger=spec.trigger,
        mode=spec.mode,
        interval_count=spec.interval_count if time_based else None,
        interval_unit=spec.interval_unit,
        start_date=spec.start_date,
        lead_days=spec.lead_days,
        meter_interval=spec.meter_interval if meter_based else None,
        meter_start=spec.meter_start if meter_based else None,
        meter_lead=spec.meter_lead if meter_based else 0,
        tolerance_percent=spec.tolerance_percent,
        active_from=spec.active_from,
        active_until=spec.active_until,
        skip_if_open=bool(spec.skip_if_open),
        priority=spec.priority,
        estimated_minutes=spec.estimated_minutes,
    )
    if not meter_based:
        values["meter_name"] = ""
    return values


def plan_create(*, membership: Membership, spec: PlanSpec) -> MaintenancePlan:
    require(membership, "maintenance.plan")
    organization_id = membership.organization_id
    values = validate_plan(spec, organization_id=organization_id)
    with transaction.atomic():
        plan = MaintenancePlan.objects.create(organization_id=organization_id, **values)
        targets_sync(plans=[plan], now=timezone.now())
    return plan


def spec_of(plan: MaintenancePlan) -> PlanSpec:
    spec = PlanSpec(**{name: getattr(plan, name) for name in SPEC_FIELDS if hasattr(plan, name)})
    spec.asset_id = plan.asset.public_id if plan.asset_id else None
    spec.location_id = plan.location.public_id if plan.location_id else None
    return spec


SCHEDULE_FIELDS = {
    "scope",
    "asset_id",
    "asset_type",
    "location_id",
    "trigger",
    "mode",
    "interval_count",
    "interval_unit",
    "start_date",
    "lead_days",
    "meter_name",
    "meter_interval",
    "meter_start",
    "meter_lead",
    "active_from",
}


def plan_update(
    *, membership: Membership, plan_id: Any, version: int, changes: dict[str, Any]
) -> MaintenancePlan:
    """Change a plan. A changed schedule recomputes every target's next due point from today;
    work orders already opened stay as they are."""
    require(membership, "maintenance.plan")
    unknown = set(changes) - set(SPEC_FIELDS)
    if unknown:
        raise ValidationFailed(details={"fields": dict.fromkeys(unknown, "Unknown field.")})
    with transaction.atomic():
        plan = get_for_organization(
            MaintenancePlan.objects.select_for_update(of=("self",)).select_related(
                "asset", "location"
            ),
            organization_id=membership.organization_id,
            public_id=plan_id,
        )
        if plan.version != version:
            raise VersionConflict(details={"current_version": plan.version})
        spec = spec_of(plan)
        for name, value in changes.items():
            setattr(spec, name, value)
        values = validate_plan(spec, organization_id=membership.organization_id)
        for name, value in values.items():
            setattr(plan, name, value)
        plan.version += 1
        plan.save()
        targets_sync(plans=[plan], now=timezone.now(), reset=bool(SCHEDULE_FIELDS & set(changes)))
    return plan
