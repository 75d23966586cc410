from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from fieldops.inputs import Number
from workorders.maintenance.models import (
    Direction,
    IntervalUnit,
    RuleKind,
    ScheduleMode,
    ScopeKind,
    Trigger,
)
from workorders.schemas import ChecklistItemIn, PriorityName, Ref

TriggerName = Literal[tuple(Trigger.values)]  # type: ignore[valid-type]
ModeName = Literal[tuple(ScheduleMode.values)]  # type: ignore[valid-type]
UnitName = Literal[tuple(IntervalUnit.values)]  # type: ignore[valid-type]
ScopeName = Literal[tuple(ScopeKind.values)]  # type: ignore[valid-type]
RuleKindName = Literal[tuple(RuleKind.values)]  # type: ignore[valid-type]
DirectionName = Literal[tuple(Direction.values)]  # type: ignore[valid-type]


class PlanIn(Schema):
    name: str
    description: str = ""
    is_active: bool = True
    scope: ScopeName = "asset"
    asset_id: UUID | None = Field(None, description="The asset (scope asset)")
    asset_type: str = Field("", description="Every asset of this type (scope asset_type)")
    location_id: UUID | None = Field(None, description="…inside this location's subtree")
    trigger: TriggerName = "time"
    mode: ModeName = "fixed"
    interval_count: int | None = Field(None, description="Every N interval_unit (calendar)")
    interval_unit: UnitName = "months"
    start_date: date = Field(description="The first due date, a local date")
    lead_days: int = Field(0, description="Open the work order this many days early")
    meter_name: str = Field("", description="The cumulative meter counted (meter plans)")
    meter_interval: Number | None = Field(None, description="Every N units of the meter")
    meter_start: Number | None = Field(None, description="Meter mark of the last service")
    meter_lead: Number = Field(0, description="Open this many units before the mark")
    tolerance_percent: int = Field(10, description="± share of the interval counted on time")
    active_from: date | None = None
    active_until: date | None = None
    skip_if_open: bool = True
    work_title: str = ""
    priority: PriorityName = "p3"
    required_skill: str = ""
    estimated_minutes: int | None = None
    checklist: list[ChecklistItemIn] = Field(default_factory=list, max_length=200)


class PlanPatch(Schema):
    version: int = Field(description="The version this change is based on")
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    scope: ScopeName | None = None
    asset_id: UUID | None = None
    asset_type: str | None = None
    location_id: UUID | None = None
    trigger: TriggerName | None = None
    mode: ModeName | None = None
    interval_count: int | None = None
    interval_unit: UnitName | None = None
    start_date: date | None = None
    lead_days: int | None = None
    meter_name: str | None = None
    meter_interval: Number | None = None
    meter_start: Number | None = None
    meter_lead: Number | None = None
    tolerance_percent: int | None = None
    active_from: date | None = None
    active_until: date | None = None
    skip_if_open: bool | None = None
    work_title: str | None = None
    priority: PriorityName | None = None
    required_skill: str | None = None
    estimated_minutes: int | None = None
    checklist: list[ChecklistItemIn] | None = None


class ComplianceOut(Schema):
    due: int
    on_time: int
    rate: float | None = Field(description="100 * on time / due; null when nothing was due")


class PlanOut(Schema):
    id: UUID
    name: str
    description: str
    is_active: bool
    scope: str
    asset: Ref | None
    asset_type: str
    location: Ref | None
    trigger: str
    mode: str
    interval_count: int | None
    interval_unit: str
    start_date: date
    lead_days: int
    meter_name: str
    meter_interval: float | None
    meter_start: float | None
    meter_lead: float
    tolerance_percent: int
    active_from: date | None
    active_until: date | None
    skip_if_open: bool
    work_title: str
    priority: str
    required_skill: str
    estimated_minutes: int | None
    checklist: list[dict]
    next_due: date | None
    targets: int
    compliance: ComplianceOut
    version: int
    created_at: datetime
    updated_at: datetime


class PlanPage(Schema):
    items: list[PlanOut]
    next_cursor: str | None


class OccurrenceOut(Schema):
    id: UUID
    asset: Ref
    seq: int
    triggered_by: str
    due_date: date
    due_meter: float | None
    window_start: date | None
    window_end: date | None
    status: str
    skip_reason: str
    work_order: str | None
    completed_on: date | None


class ProjectedDueOut(Schema):
    date: date
    asset: str
    by: str


class PlanForecastOut(Schema):
    plan_id: UUID
    name: str
    required_skill: str
    dues: list[ProjectedDueOut]
    note: str


class WorkloadOut(Schema):
    week: date = Field(description="Monday of the week")
    skill: str
    work_orders: int
    minutes: int


class ForecastOut(Schema):
    plans: list[PlanForecastOut]
    workload: list[WorkloadOut]
    next_cursor: str | None


class MeterRef(Schema):
    id: UUID
    name: str
    unit: str


class RuleIn(Schema):
    name: str
    is_active: bool = True
    meter_id: UUID = Field(description="A gauge meter")
    kind: RuleKindName = "threshold"
    direction: DirectionName = "above"
    limit: Number
    clear_value: Number | None = Field(None, description="Hysteresis: where the rule clears")
    rate_per_hour: Number | None = Field(None, description="Rate rules: units per hour")
    window_hours: int = 24
    sample_size: int = Field(10, description="Projection rules: readings in the trend (K)")
    horizon_days: int = Field(7, description="Projection rules: fire if reached within D days")
    min_duration_minutes: int = 0
    work_title: str = ""
    priority: PriorityName = "p2"
    required_skill: str = ""
    estimated_minutes: int | None = None


class RulePatch(Schema):
    version: int
    name: str | None = None
    is_active: bool | None = None
    meter_id: UUID | None = None
    kind: RuleKindName | None = None
    direction: DirectionName | None = None
    limit: Number | None = None
    clear_value: Number | None = None
    rate_per_hour: Number | None = None
    window_hours: int | None = None
    sample_size: int | None = None
    horizon_days: int | None = None
    min_duration_minutes: int | None = None
    work_title: str | None = None
    priority: PriorityName | None = None
    required_skill: str | None = None
    estimated_minutes: int | None = None


class RuleOut(Schema):
    id: UUID
    name: str
    is_active: bool
    meter: MeterRef
    asset: Ref
    kind: str
    direction: str
    limit: float
    clear_value: float | None
    rate_per_hour: float | None
    window_hours: int
    sample_size: int
    horizon_days: int
    min_duration_minutes: int
    work_title: str
    priority: str
    required_skill: str
    estimated_minutes: int | None
    state: str
    last_fired_at: datetime | None
    open_work_order: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class RulePage(Schema):
    items: list[RuleOut]
    next_cursor: str | None
