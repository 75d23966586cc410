"""htmx pages: plan list, plan page, plan editor with a live forecast preview, forecast, rules.
Thin: parse, call a selector or service, render. Domain errors become 404/403 pages through the
core middleware; refused input re-renders the form with every value kept."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from assets.models import Asset, Location, Meter, MeterKind
from fieldops.accounts.permissions import may, require
from fieldops.errors import ValidationFailed
from fieldops.pagination import cursor_paginate
from workorders.maintenance import selectors, services
from workorders.maintenance.charts import rule_chart
from workorders.maintenance.forms import (
    PLAN_BOXES,
    RULE_BOXES,
    checklist_text,
    plan_spec_from,
    rule_spec_from,
    typed_values,
)
from workorders.maintenance.models import (
    ConditionRule,
    Direction,
    IntervalUnit,
    MaintenancePlan,
    RuleKind,
    ScheduleMode,
    ScopeKind,
    Trigger,
)
from workorders.maintenance.schedule import local_today
from workorders.maintenance.services.plans import (
    SPEC_FIELDS,
    validate_plan,
)
from workorders.maintenance.services.rules import RULE_FIELDS
from workorders.models import Priority

PAGE_SIZE = 50
NOT_SCHEDULE = {"name", "asset_id", "asset_type", "location_id", "work_title", "required_skill"}
SCHEDULE_ONLY = (
    "trigger",
    "mode",
    "interval_count",
    "interval_unit",
    "start_date",
    "lead_days",
    "active_from",
    "active_until",
)
FIELD_LABELS = {
    "name": "Name",
    "asset_id": "Asset",
    "location_id": "Location",
    "interval_count": "Repeat every",
    "lead_days": "Open days ahead",
    "start_date": "First due date",
    "meter_name": "Cumulative meter",
    "meter_interval": "Every (units)",
    "meter_lead": "Open units ahead",
    "tolerance_percent": "On time within ± %",
    "active_until": "Active until",
    "estimated_minutes": "Minutes",
}


def member_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.membership is None:
            return redirect("no-organization")
        require(request.membership, "maintenance.read")
        return view(request, *args, **kwargs)

    return wrapper


def _errors(exc: ValidationFailed) -> dict[str, str]:
    return dict(exc.details.get("fields", exc.details))


def _choices(request: HttpRequest) -> dict[str, Any]:
    org = request.membership.organization_id
    assets = Asset.objects.filter(organization_id=org).order_by("code")
    return {
        "assets": assets.only("public_id", "code", "name")[:1000],
        "asset_types": sorted(
            {t for t in assets.values_list("asset_type", flat=True).distinct() if t}
        ),
        "locations": Location.objects.filter(organization_id=org)
        .order_by("path")
        .only("public_id", "code", "name", "depth")[:1000],
        "meter_names": sorted(
            set(
                Meter.objects.filter(organization_id=org, kind=MeterKind.CUMULATIVE)
                .values_list("name", flat=True)
                .distinct()[:200]
            )
        ),
        "triggers": Trigger.choices,
        "modes": ScheduleMode.choices,
        "units": IntervalUnit.choices,
        "scopes": ScopeKind.choices,
        "priorities": Priority.choices,
    }


def _can_plan(request: HttpRequest) -> bool:
    return may(request.membership, "maintenance.plan")


@member_view
@vary_on_headers("HX-Request")
def plan_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    plans = selectors.plans_for(request.membership)
    if q:
        plans = plans.filter(name__icontains=q)
    page = cursor_paginate(
        plans, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, keys=("name", "id")
    )
    start, end, today = selectors.compliance_period(request.membership.organization.time_zone)
    compliance = selectors.pm_compliance_by_plan(
        organization_id=request.membership.organization_id, start=start, end=end, today=today
    )
    for plan in page.items:
        plan.compliance = compliance.get(plan.pk, selectors.Compliance())
    context = {"plans": page.items, "next_cursor": page.next_cursor, "q": q, "today": today}
    context["can_plan"] = _can_plan(request)
    if request.htmx and request.htmx.target == "plan-results":
        return render(request, "maintenance/plan_list.html#results", context)
    return render(request, "maintenance/plan_list.html", context)


@member_view
def plan_detail(request: HttpRequest, plan_id: Any) -> HttpResponse:
    plan = selectors.plan_get_for_member(request.membership, plan_id)
    tz = request.membership.organization.time_zone
    start, end, today = selectors.compliance_period(tz)
    compliance = selectors.pm_compliance_by_plan(
        organization_id=plan.organization_id, start=start, end=end, today=today
    ).get(plan.pk, selectors.Compliance())
    projected = selectors.forecast(
        organization_id=plan.organization_id, plans=[plan], count=6, weeks=26, time_zone=tz
    )
    context = {
        "plan": plan,
        "compliance": compliance,
        "period_start": start,
        "targets": selectors.plan_targets(plan),
        "occurrences": selectors.plan_occurrences(plan),
        "projected": projected.plans[0],
        "can_plan": _can_plan(request),
        "today": today,
    }
    return render(request, "maintenance/plan_detail.html", context)


def _plan_form_values(plan: MaintenancePlan | None, time_zone: str) -> dict[str, Any]:
    if plan is None:
        # The organisation's date, not the server's: "today" in Berlin past 23:00 UTC is
        # tomorrow, and a fixed plan starting yesterday would first fall due a whole interval on.
        today = local_today(timezone.now(), time_zone)
        return {
            "scope": "asset",
            "trigger": "time",
            "mode": "fixed",
            "interval_unit": "months",
            "interval_count": 1,
            "start_date": today.isoformat(),
            "lead_days": 7,
            "tolerance_percent": 10,
            "priority": "p3",
            "is_active": True,
            "skip_if_open": True,
        }
    values = {name: getattr(plan, name) for name in SPEC_FIELDS if hasattr(plan, name)}
    values["asset_id"] = str(plan.asset.public_id) if plan.asset_id else ""
    values["location_id"] = str(plan.location.public_id) if plan.location_id else ""
    values["checklist"] = checklist_text(plan.checklist)
    for name in ("start_date", "active_from", "active_until"):
        values[name] = values[name].isoformat() if values[name] else ""
    for name in ("meter_interval", "meter_start", "meter_lead"):
        values[name] = "" if values[name] is None else f"{values[name]:g}"
    return values


def _problems(errors: dict) -> list[tuple[str, str, str]]:
    """(field id, label, problem) for the summary above the form: a field with no place of its
    own for a message (a choice, a checkbox) is named there too."""
    return [
        (key, FIELD_LABELS.get(key, key.replace("_", " ").capitalize()), str(message))
        for key, message in errors.items()
        if key != "form"
    ]


def _plan_editor(
    request: HttpRequest, plan: MaintenancePlan | None, values: dict, errors: dict, status: int
) -> HttpResponse:
    context = {
        "plan": plan,
        "values": values,
        "errors": errors,
        "problems": _problems(errors),
        **_choices(request),
    }
    context["preview"] = _preview(request, values) if not errors else None
    return render(request, "maintenance/plan_editor.html", context, status=status)


@member_view
def plan_new(request: HttpRequest) -> HttpResponse:
    return _plan_save(request, None)


@member_view
def plan_edit(request: HttpRequest, plan_id: Any) -> HttpResponse:
    plan = selectors.plan_get_for_member(request.membership, plan_id)
    return _plan_save(request, plan)


def _plan_save(request: HttpRequest, plan: MaintenancePlan | None) -> HttpResponse:
    # Editors are for those who may save: nobody types a plan only to be refused.
    require(request.membership, "maintenance.plan")
    if request.method != "POST":
        return _plan_editor(
            request,
            plan,
            _plan_form_values(plan, request.membership.organization.time_zone),
            {},
            200,
        )
    values = typed_values(request.POST, PLAN_BOXES)
    try:
        spec, version = plan_spec_from(request.POST)
        if plan is None:
            plan = services.plan_create(membership=request.membership, spec=spec)
            messages.success(request, f"Plan “{plan.name}” saved; its first work orders follow.")
        else:
            changes = {name: getattr(spec, name) for name in SPEC_FIELDS}
            plan = services.plan_update(
                membership=request.membership,
                plan_id=plan.public_id,
                version=version,
                changes=changes,
            )
            messages.success(request, f"Plan “{plan.name}” updated.")
    except ValidationFailed as exc:
        return _plan_editor(request, plan, values, _errors(exc) or {"form": exc.message}, 422)
    return redirect("maintenance:plan", plan_id=plan.public_id)


def _preview(request: HttpRequest, values: Any) -> dict[str, Any]:
    """Validate the editor's current values and project the next due dates, storing nothing."""
    if not hasattr(values, "getlist"):
        values = _as_query(values)
    spec = None
    try:
        spec, _ = plan_spec_from(values)
        fields = validate_plan(spec, organization_id=request.membership.organization_id)
    except ValidationFailed as exc:
        problems = _errors(exc)
        if spec is None or spec.trigger != Trigger.TIME or set(problems) - NOT_SCHEDULE:
            labels = {FIELD_LABELS.get(k, k.replace("_", " ")): v for k, v in problems.items()}
            return {"dues": [], "errors": labels, "note": ""}
        # A calendar's dates do not depend on the name or the asset: show them already.
        fields = {f: getattr(spec, f) for f in SCHEDULE_ONLY}
    draft = MaintenancePlan(organization_id=request.membership.organization_id, **fields)
    asset = fields.get("asset")
    dues, note = selectors.preview_dues(
        draft,
        asset_id=asset.pk if asset else None,
        count=6,
        now=timezone.now(),
        time_zone=request.membership.organization.time_zone,
    )
    return {"dues": dues, "errors": {}, "note": note, "plan": draft}


def _as_query(values: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if value is True:
            query[name] = "on"
        elif value not in (None, False):
            query[name] = str(value)
    return query


@member_view
@require_POST
def plan_preview(request: HttpRequest) -> HttpResponse:
    context = {"preview": _preview(request, request.POST)}
    return render(request, "maintenance/plan_editor.html#preview", context)


@member_view
def forecast_page(request: HttpRequest) -> HttpResponse:
    try:
        weeks = max(1, min(int(request.GET.get("weeks") or 12), 52))
    except ValueError:
        weeks = 12
    membership = request.membership
    active = selectors.plans_for(membership).filter(is_active=True)
    page = cursor_paginate(
        active, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, keys=("name", "id")
    )
    result = selectors.forecast(
        organization_id=membership.organization_id,
        plans=page.items,
        all_plans=MaintenancePlan.objects.filter(
            organization_id=membership.organization_id, is_active=True
        ).only(*selectors.FORECAST_PLAN_FIELDS),
        count=4,
        weeks=weeks,
        time_zone=membership.organization.time_zone,
    )
    context = {
        "forecast": result,
        "rows": result.rows(),
        "weeks": weeks,
        "week_choices": (4, 8, 12, 26, 52),
        "next_cursor": page.next_cursor,
    }
    return render(request, "maintenance/forecast.html", context)


# --- condition rules ----------------------------------------------------------------------------


@member_view
def rule_list(request: HttpRequest) -> HttpResponse:
    page = cursor_paginate(
        selectors.rules_for(request.membership),
        cursor=request.GET.get("cursor") or None,
        limit=PAGE_SIZE,
        keys=("name", "id"),
    )
    context = {"rules": page.items, "next_cursor": page.next_cursor, "can_plan": _can_plan(request)}
    return render(request, "maintenance/rule_list.html", context)


def _gauges(request: HttpRequest) -> Any:
    return (
        Meter.objects.filter(organization_id=request.membership.organization_id, kind="gauge")
        .select_related("asset")
        .order_by("asset__code", "name")[:1000]
    )


def _rule_values(rule: ConditionRule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "kind": "threshold",
            "direction": "above",
            "window_hours": 24,
            "sample_size": 10,
            "horizon_days": 7,
            "min_duration_minutes": 15,
            "priority": "p2",
            "is_active": True,
        }
    values = {name: getattr(rule, name) for name in RULE_FIELDS if hasattr(rule, name)}
    values["meter_id"] = str(rule.meter.public_id)
    for name in ("limit", "clear_value", "rate_per_hour"):
        values[name] = "" if values[name] is None else f"{values[name]:g}"
    return values


def _rule_page(
    request: HttpRequest, rule: ConditionRule | None, values: dict, errors: dict, status: int
) -> HttpResponse:
    chart = firings = readings = None
    if rule is not None:
        readings = selectors.rule_recent_readings(rule)
        chart = rule_chart(rule, readings)
        firings = selectors.rule_firings(rule)
    context = {
        "rule": rule,
        "values": values,
        "errors": errors,
        "problems": _problems(errors),
        "gauges": _gauges(request),
        "kinds": RuleKind.choices,
        "directions": Direction.choices,
        "priorities": Priority.choices,
        "chart": chart,
        "readings": (readings or [])[-8:][::-1],
        "firings": firings,
        "can_plan": _can_plan(request),
    }
    return render(request, "maintenance/rule_editor.html", context, status=status)


@member_view
def rule_new(request: HttpRequest) -> HttpResponse:
    # Editors are for those who may save: nobody types a plan only to be refused.
    require(request.membership, "maintenance.plan")
    return _rule_save(request, None)


@member_view
def rule_edit(request: HttpRequest, rule_id: Any) -> HttpResponse:
    return _rule_save(request, selectors.rule_get_for_member(request.membership, rule_id))


def _rule_save(request: HttpRequest, rule: ConditionRule | None) -> HttpResponse:
    if request.method != "POST":
        return _rule_page(request, rule, _rule_values(rule), {}, 200)
    require(request.membership, "maintenance.plan")  # before the form, as the plan editor does
    values = typed_values(request.POST, RULE_BOXES)
    try:
        spec, version = rule_spec_from(request.POST)
        if rule is None:
            rule = services.rule_create(membership=request.membership, spec=spec)
            messages.success(request, f"Rule “{rule.name}” saved; it runs on the next reading.")
        else:
            changes = {name: getattr(spec, name) for name in RULE_FIELDS}
            rule = services.rule_update(
                membership=request.membership,
                rule_id=rule.public_id,
                version=version,
                changes=changes,
            )
            messages.success(request, f"Rule “{rule.name}” updated.")
    except ValidationFailed as exc:
        return _rule_page(request, rule, values, _errors(exc) or {"form": exc.message}, 422)
    return redirect("maintenance:rule", rule_id=rule.public_id)
