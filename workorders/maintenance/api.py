"""Maintenance in the JSON API: /maintenance-plans (and their forecast, occurrences),
/condition-rules, /maintenance/compliance."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from fieldops.pagination import cursor_paginate
from workorders.maintenance import selectors, services
from workorders.maintenance.forms import plan_spec
from workorders.maintenance.models import ConditionRule, MaintenancePlan, PlanOccurrence
from workorders.maintenance.schemas import (
    ComplianceOut,
    ForecastOut,
    OccurrenceOut,
    PlanIn,
    PlanOut,
    PlanPage,
    PlanPatch,
    RuleIn,
    RuleOut,
    RulePage,
    RulePatch,
)

router = Router(tags=["maintenance"])


def _ref(obj: Any) -> dict | None:
    return None if obj is None else {"id": obj.public_id, "code": obj.code, "name": obj.name}


def _compliance(figures: selectors.Compliance | None) -> dict:
    figures = figures or selectors.Compliance()
    return {"due": figures.due, "on_time": figures.on_time, "rate": figures.rate}


def plan_out(plan: MaintenancePlan, compliance: selectors.Compliance | None = None) -> dict:
    fields = {name: getattr(plan, name) for name in PlanOut.model_fields if hasattr(plan, name)}
    return {
        **fields,
        "id": plan.public_id,
        "asset": _ref(plan.asset),
        "location": _ref(plan.location),
        "next_due": getattr(plan, "next_due", None),
        "targets": getattr(plan, "target_count", 0),
        "compliance": _compliance(compliance),
    }


def _compliance_for(membership: Membership, plans: list[MaintenancePlan]) -> dict:
    start, end, today = selectors.compliance_period(membership.organization.time_zone)
    return selectors.pm_compliance_by_plan(
        organization_id=membership.organization_id, start=start, end=end, today=today
    )


def _spec(data: dict) -> dict:
    if data.get("checklist") is not None:
        data["checklist"] = [dict(item) for item in data["checklist"]]
    return data


@router.get("/maintenance-plans", response=PlanPage, summary="List maintenance plans")
def plan_list(
    request: HttpRequest,
    active: bool | None = None,
    q: str = "",
    updated_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    plans = selectors.plans_for(request.auth)
    if active is not None:
        plans = plans.filter(is_active=active)
    if q:
        plans = plans.filter(name__icontains=q[:100])
    if updated_since:
        plans = plans.filter(updated_at__gte=updated_since)
    keys = ("updated_at", "id") if updated_since else ("name", "id")
    page = cursor_paginate(plans, cursor=cursor, limit=limit, keys=keys)
    compliance = _compliance_for(request.auth, page.items)
    return {
        "items": [plan_out(p, compliance.get(p.pk)) for p in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/maintenance-plans", response={201: PlanOut}, summary="Define a maintenance plan")
def plan_create(request: HttpRequest, payload: PlanIn) -> Status:
    spec = plan_spec(payload)
    plan = services.plan_create(membership=request.auth, spec=spec)
    return Status(201, plan_out(selectors.plan_get_for_member(request.auth, plan.public_id)))


@router.get(
    "/maintenance-plans/forecast",
    response=ForecastOut,
    summary="Next due dates per plan and the projected workload per week by skill",
)
def plan_forecast(
    request: HttpRequest,
    count: int = 5,
    weeks: int = 12,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    if not 1 <= count <= 50:
        raise ValidationFailed(details={"fields": {"count": "Between 1 and 50."}})
    if not 1 <= weeks <= 52:
        raise ValidationFailed(details={"fields": {"weeks": "Between 1 and 52."}})
    membership: Membership = request.auth
    active = selectors.plans_for(membership).filter(is_active=True)
    page = cursor_paginate(active, cursor=cursor, limit=limit, keys=("name", "id"))
    result = selectors.forecast(
        organization_id=membership.organization_id,
        plans=page.items,
        all_plans=MaintenancePlan.objects.filter(
            organization_id=membership.organization_id, is_active=True
        ).only(*selectors.FORECAST_PLAN_FIELDS),
        count=count,
        weeks=weeks,
        time_zone=membership.organization.time_zone,
    )
    return {
        "plans": [
            {
                "plan_id": entry.plan.public_id,
                "name": entry.plan.name,
                "required_skill": entry.plan.required_skill,
                "dues": [{"date": d.day, "asset": d.asset_code, "by": d.by} for d in entry.dues],
                "note": entry.note,
            }
            for entry in result.plans
        ],
        "workload": [
            {"week": week, "skill": skill, "work_orders": n, "minutes": minutes}
            for (week, skill), (n, minutes) in sorted(result.load.items())
        ],
        "next_cursor": page.next_cursor,
    }


@router.get("/maintenance-plans/{uuid:plan_id}", response=PlanOut, summary="One plan")
def plan_detail(request: HttpRequest, plan_id: UUID) -> dict:
    plan = selectors.plan_get_for_member(request.auth, plan_id)
    return plan_out(plan, _compliance_for(request.auth, [plan]).get(plan.pk))


@router.patch("/maintenance-plans/{uuid:plan_id}", response=PlanOut, summary="Change a plan")
def plan_update(request: HttpRequest, plan_id: UUID, payload: PlanPatch) -> dict:
    changes = _spec(payload.model_dump(exclude_unset=True))
    version = changes.pop("version")
    selectors.plan_get_for_member(request.auth, plan_id)
    services.plan_update(membership=request.auth, plan_id=plan_id, version=version, changes=changes)
    plan = selectors.plan_get_for_member(request.auth, plan_id)
    return plan_out(plan, _compliance_for(request.auth, [plan]).get(plan.pk))


def occurrence_out(occurrence: PlanOccurrence) -> dict:
    work_order = occurrence.work_order
    return {
        "id": occurrence.public_id,
        "asset": _ref(occurrence.asset),
        "seq": occurrence.seq,
        "triggered_by": occurrence.triggered_by,
        "due_date": occurrence.due_date,
        "due_meter": occurrence.due_meter,
        "window_start": occurrence.window_start,
        "window_end": occurrence.window_end,
        "status": occurrence.status,
        "skip_reason": occurrence.skip_reason,
        "work_order": work_order.reference if work_order else None,
        "completed_on": occurrence.completed_on,
    }


@router.get(
    "/maintenance-plans/{uuid:plan_id}/occurrences",
    response=list[OccurrenceOut],
    summary="The plan's recent due points: work orders opened and skips",
)
def plan_occurrences(request: HttpRequest, plan_id: UUID, limit: int = 30) -> list[dict]:
    plan = selectors.plan_get_for_member(request.auth, plan_id)
    rows = selectors.plan_occurrences(plan, limit=max(1, min(limit, 200)))
    return [occurrence_out(o) for o in rows]


@router.get(
    "/maintenance/compliance",
    response=ComplianceOut,
    summary="PM compliance: PM done within tolerance ÷ PM due, over a period (local dates)",
)
def compliance(request: HttpRequest, start: date | None = None, end: date | None = None) -> dict:
    membership: Membership = request.auth
    services.plans.require(membership, "maintenance.read")
    default_start, default_end, today = selectors.compliance_period(
        membership.organization.time_zone, days=90
    )
    figures = selectors.pm_compliance(
        organization_id=membership.organization_id,
        start=start or default_start,
        end=end or default_end,
        today=today,
    )
    return _compliance(figures)


def rule_out(rule: ConditionRule) -> dict:
    fields = {name: getattr(rule, name) for name in RuleOut.model_fields if hasattr(rule, name)}
    firing = (getattr(rule, "open_firings", None) or [None])[0]
    meter = rule.meter
    return {
        **fields,
        "id": rule.public_id,
        "meter": {"id": meter.public_id, "name": meter.name, "unit": meter.unit},
        "asset": _ref(meter.asset),
        "open_work_order": firing.work_order.reference if firing and firing.work_order else None,
    }


@router.get("/condition-rules", response=RulePage, summary="List condition rules")
def rule_list(request: HttpRequest, cursor: str | None = None, limit: int = 50) -> dict:
    page = cursor_paginate(
        selectors.rules_for(request.auth), cursor=cursor, limit=limit, keys=("name", "id")
    )
    return {"items": [rule_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/condition-rules", response={201: RuleOut}, summary="Watch a gauge meter")
def rule_create(request: HttpRequest, payload: RuleIn) -> Status:
    rule = services.rule_create(
        membership=request.auth, spec=services.RuleSpec(**payload.model_dump())
    )
    return Status(201, rule_out(selectors.rule_get_for_member(request.auth, rule.public_id)))


@router.get("/condition-rules/{uuid:rule_id}", response=RuleOut, summary="One rule")
def rule_detail(request: HttpRequest, rule_id: UUID) -> dict:
    return rule_out(selectors.rule_get_for_member(request.auth, rule_id))


@router.patch("/condition-rules/{uuid:rule_id}", response=RuleOut, summary="Change a rule")
def rule_update(request: HttpRequest, rule_id: UUID, payload: RulePatch) -> dict:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    selectors.rule_get_for_member(request.auth, rule_id)
    services.rule_update(membership=request.auth, rule_id=rule_id, version=version, changes=changes)
    return rule_out(selectors.rule_get_for_member(request.auth, rule_id))
