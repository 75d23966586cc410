"""Reads of plans and rules for the API, the pages and the dashboards. Every function takes the
organisation explicitly and runs a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from assets.models import MeterReading
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.tenancy import get_for_organization
from workorders.maintenance.meters import MeterState, cumulative_meters
from workorders.maintenance.models import (
    ConditionRule,
    MaintenancePlan,
    OccurrenceStatus,
    PlanOccurrence,
    PlanTarget,
    RuleFiring,
    ScheduleMode,
    Trigger,
)
from workorders.maintenance.schedule import add_interval, local_today

RESOLVED = (
    OccurrenceStatus.ON_TIME,
    OccurrenceStatus.EARLY,
    OccurrenceStatus.LATE,
    OccurrenceStatus.CANCELLED,
    OccurrenceStatus.SKIPPED,
)


def plans_for(membership: Membership) -> QuerySet[MaintenancePlan]:
    require(membership, "maintenance.read")
    return (
        MaintenancePlan.objects.filter(organization_id=membership.organization_id)
        .select_related("asset", "location")
        .annotate(
            next_due=Min("targets__next_due_date"),
            next_mark=Min("targets__next_due_meter"),
            target_count=Count("targets", distinct=True),
            open_count=Count(
                "occurrences",
                filter=Q(occurrences__status=OccurrenceStatus.OPEN),
                distinct=True,
            ),
        )
    )


def plan_get_for_member(membership: Membership, plan_id: Any) -> MaintenancePlan:
    return get_for_organization(
        plans_for(membership), organization_id=membership.organization_id, public_id=plan_id
    )


def plan_targets(plan: MaintenancePlan) -> list[PlanTarget]:
    return list(
        PlanTarget.objects.filter(plan=plan)
        .select_related("asset")
        .order_by("next_due_date", "asset__code")[:200]
    )


def plan_occurrences(plan: MaintenancePlan, *, limit: int = 30) -> list[PlanOccurrence]:
    return list(
        PlanOccurrence.objects.filter(plan=plan)
        .select_related("asset", "work_order")
        .order_by("-due_date", "-seq")[:limit]
    )


# --- PM compliance ------------------------------------------------------------------------------


@dataclass
class Compliance:
    due: int = 0
    on_time: int = 0

    @property
    def rate(self) -> float | None:
        return None if not self.due else round(100 * self.on_time / self.due, 1)


def _compliance_rows(organization_id: int, start: date, end: date, today: date) -> QuerySet:
    """Occurrences that count as due in the period: due in it, and either resolved (done,
    cancelled, skipped) or still open past the end of their tolerance window."""
    return PlanOccurrence.objects.filter(
        organization_id=organization_id, due_date__gte=start, due_date__lte=end
    ).filter(Q(status__in=RESOLVED) | Q(status=OccurrenceStatus.OPEN, window_end__lt=today))


def pm_compliance_by_plan(
    *, organization_id: int, start: date, end: date, today: date | None = None
) -> dict[int, Compliance]:
    """Plan id -> (on time, due) over the period. One query. PM compliance = PM work done
    within its tolerance window ÷ PM due in the period (Fiix's 10 % rule, per plan)."""
    today = today or timezone.now().date()
    rows = (
        _compliance_rows(organization_id, start, end, today)
        .values("plan_id")
        .annotate(due=Count("id"), on_time=Count("id", filter=Q(status=OccurrenceStatus.ON_TIME)))
    )
    return {r["plan_id"]: Compliance(due=r["due"], on_time=r["on_time"]) for r in rows}


def pm_compliance(
    *, organization_id: int, start: date, end: date, today: date | None = None
) -> Compliance:
    """The organisation's PM compliance over a period, for the dashboards. One query."""
    today = today or timezone.now().date()
    totals = _compliance_rows(organization_id, start, end, today).aggregate(
        due=Count("id"), on_time=Count("id", filter=Q(status=OccurrenceStatus.ON_TIME))
    )
    return Compliance(due=totals["due"], on_time=totals["on_time"])


def compliance_period(organization_time_zone: str, *, days: int = 365) -> tuple[date, date, date]:
    today = local_today(timezone.now(), organization_time_zone)
    return today - timedelta(days=days), today, today


# --- forecast -----------------------------------------------------------------------------------


@dataclass
class ProjectedDue:
    day: date
    asset_code: str
    by: str  # time / meter


@dataclass
class PlanForecast:
    plan: MaintenancePlan
    dues: list[ProjectedDue] = field(default_factory=list)
    note: str = ""


@dataclass
class Forecast:
    plans: list[PlanForecast]
    weeks: list[date]
    skills: list[str]
    # (week start, skill) -> (occurrences, minutes)
    load: dict[tuple[date, str], tuple[int, int]]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for week in self.weeks:
            cells = [self.load.get((week, skill), (0, 0)) for skill in self.skills]
            cells = [(n, round(minutes / 60, 1)) for n, minutes in cells]
            out.append({"week": week, "cells": cells, "total": sum(c[0] for c in cells)})
        return out


def _project(
    plan: MaintenancePlan,
    target: Any,
    meter: MeterState | None,
    *,
    today: date,
    until: date,
    limit: int,
) -> tuple[list[tuple[date, str]], str]:
    """The next due dates of one target: calendar steps, and meter marks turned into dates by
    the meter's recent usage per day. A floating plan is assumed done on each due date."""
    time_on, meter_on = plan.trigger != Trigger.METER, plan.trigger != Trigger.TIME
    count, unit = plan.interval_count, plan.interval_unit
    note = ""
    rate = meter.rate_per_day if meter else None
    day_per_mark = None
    if meter_on:
        if meter is None or meter.value is None:
            note = f"No readings on “{plan.meter_name}” yet."
        elif not rate:
            note = f"No usage trend on “{meter.name}” in the last 30 days."
        else:
            day_per_mark = plan.meter_interval / rate
    next_date = target.next_due_date if time_on else None
    step = target.time_index
    next_mark_day = None
    if meter_on and day_per_mark and target.next_due_meter is not None:
        remaining = max(0.0, target.next_due_meter - meter.value)
        next_mark_day = today + timedelta(days=remaining / rate)
    if target.waiting:
        # The open work order covers the current due point; project from it.
        if next_date is not None:
            next_date = add_interval(next_date, count, unit)
        if next_mark_day is not None:
            next_mark_day += timedelta(days=day_per_mark)
    dues: list[tuple[date, str]] = []
    while len(dues) < limit:
        candidates = [(d, by) for d, by in ((next_date, "time"), (next_mark_day, "meter")) if d]
        if not candidates:
            break
        day, by = min(candidates)
        day = max(day, today)
        if day > until or (plan.active_until and day > plan.active_until):
            break
        dues.append((day, by))
        fixed_time_only = plan.mode == ScheduleMode.FIXED and plan.trigger == Trigger.TIME
        if fixed_time_only:
            step += 1
            next_date = add_interval(plan.start_date, count, unit, step)
        elif plan.trigger == Trigger.BOTH:
            next_date = add_interval(day, count, unit)
            next_mark_day = day + timedelta(days=day_per_mark) if day_per_mark else None
        elif by == "time":
            next_date = add_interval(day, count, unit)
        else:
            next_mark_day = day + timedelta(days=day_per_mark)
    return dues, note


def forecast(
    *,
    organization_id: int,
    plans: list[MaintenancePlan],
    all_plans: QuerySet[MaintenancePlan] | None = None,
    count: int = 5,
    weeks: int = 12,
    now: datetime | None = None,
    time_zone: str = "UTC",
) -> Forecast:
    """The next ``count`` due dates of each plan in ``plans``, and the workload per week by
    skill over ``weeks`` weeks across ``all_plans`` (default: the same plans). Four queries."""
    now = now or timezone.now()
    today = local_today(now, time_zone)
    until = today + timedelta(weeks=weeks)
    scope = list(all_plans) if all_plans is not None else plans
    by_id = {p.pk: p for p in scope}
    for plan in plans:
        by_id.setdefault(plan.pk, plan)
    targets = (
        PlanTarget.objects.filter(plan_id__in=list(by_id), plan__is_active=True)
        .select_related("asset")
        .only("plan_id", "asset__code", "asset_id", *_TARGET_FIELDS)
    )
    meters = {}
    if any(p.trigger != Trigger.TIME for p in by_id.values()):
        meters = cumulative_meters(organization_ids=[organization_id], now=now, with_rate=True)
    wanted = {p.pk for p in plans}
    per_plan: dict[int, PlanForecast] = {p.pk: PlanForecast(plan=p) for p in plans}
    load: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    monday = today - timedelta(days=today.weekday())
    for target in targets:
        plan = by_id[target.plan_id]
        meter = None
        if plan.trigger != Trigger.TIME:
            meter = meters.get((target.asset_id, plan.meter_name.strip().lower()))
        horizon = max(weeks * 7 // max(1, _days_per_step(plan)) + 2, count)
        dues, note = _project(plan, target, meter, today=today, until=until, limit=horizon)
        if target.plan_id in wanted:
            entry = per_plan[target.plan_id]
            entry.dues += [ProjectedDue(day, target.asset.code, by) for day, by in dues]
            entry.note = entry.note or note
        for day, _ in dues:
            week = day - timedelta(days=day.weekday())
            cell = load[(week, plan.required_skill or "")]
            cell[0] += 1
            cell[1] += plan.estimated_minutes or 0
    for entry in per_plan.values():
        entry.dues = sorted(entry.dues, key=lambda d: (d.day, d.asset_code))[:count]
    week_list = [monday + timedelta(weeks=i) for i in range(weeks + 1)]
    skills = sorted({skill for _, skill in load})
    return Forecast(
        plans=[per_plan[p.pk] for p in plans],
        weeks=week_list,
        skills=skills,
        load={key: (value[0], value[1]) for key, value in load.items()},
    )


_TARGET_FIELDS = ("time_index", "next_due_date", "next_due_meter", "waiting")


def _days_per_step(plan: MaintenancePlan) -> int:
    if plan.trigger == Trigger.METER or not plan.interval_count:
        return 1
    return {"days": 1, "weeks": 7, "months": 28}[plan.interval_unit] * plan.interval_count


def preview_dues(
    plan: MaintenancePlan, *, asset_id: int | None, count: int, now: datetime, time_zone: str
) -> tuple[list[tuple[date, str]], str]:
    """The next due dates of an unsaved plan definition (the editor's live preview)."""
    from workorders.maintenance.services.targets import first_due

    meter = None
    if plan.trigger != Trigger.TIME and asset_id:
        meters = cumulative_meters(organization_ids=[plan.organization_id], now=now, with_rate=True)
        meter = meters.get((asset_id, plan.meter_name.strip().lower()))
    today = local_today(now, time_zone)
    target = PlanTarget(waiting=False, **first_due(plan, today=today, meter=meter))
    return _project(
        plan, target, meter, today=today, until=today + timedelta(days=3 * 366), limit=count
    )


# --- condition rules ----------------------------------------------------------------------------


def rules_for(membership: Membership) -> QuerySet[ConditionRule]:
    require(membership, "maintenance.read")
    open_firings = RuleFiring.objects.filter(is_open=True).select_related("work_order")
    return (
        ConditionRule.objects.filter(organization_id=membership.organization_id)
        .select_related("meter__asset")
        .prefetch_related(Prefetch("firings", queryset=open_firings, to_attr="open_firings"))
    )


def rule_get_for_member(membership: Membership, rule_id: Any) -> ConditionRule:
    return get_for_organization(
        rules_for(membership), organization_id=membership.organization_id, public_id=rule_id
    )


def rule_recent_readings(rule: ConditionRule, *, limit: int = 60) -> list[MeterReading]:
    rows = MeterReading.objects.filter(meter_id=rule.meter_id).order_by("-taken_at", "-id")
    return list(rows.only("taken_at", "value", "public_id")[:limit])[::-1]


def rule_firings(rule: ConditionRule, *, limit: int = 10) -> list[RuleFiring]:
    return list(rule.firings.select_related("work_order").order_by("-fired_at")[:limit])


FORECAST_PLAN_FIELDS = (
    "id",
    "organization_id",
    "trigger",
    "mode",
    "interval_count",
    "interval_unit",
    "start_date",
    "meter_name",
    "meter_interval",
    "active_until",
    "required_skill",
    "estimated_minutes",
)
