"""The supervisor dashboard's figures. Every KPI is computed over one `Scope` (organisation, a
period of local dates in the organisation's time zone, optionally a site subtree and a team) and
carries the definition it was computed with, because the field's tools disagree on them.

Aggregation happens in the database; the number of queries does not depend on the data size."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Greatest, Least, TruncDate
from django.utils import timezone

from assets.models import Asset, AssetStatus, AssetStatusChange
from workorders.dispatch.models import Shift
from workorders.kpis import sets
from workorders.kpis.scope import DEFAULT_FTF_DAYS, Scope, work_orders_in_scope
from workorders.kpis.sets import PLANNED_TYPES, REACTIVE_TYPES
from workorders.lifecycle import READY_STATUSES
from workorders.maintenance.selectors import pm_compliance
from workorders.models import (
    OPEN_STATUSES,
    OrganizationWorkSettings,
    Priority,
    Status,
    TimeEntry,
    WorkOrder,
)
from workorders.models.children import TimeKind

__all__ = ["DEFAULT_FTF_DAYS", "Scope", "work_orders_in_scope"]  # re-exported for callers

AGE_BUCKETS = (
    ("age_0", 0, 1, "< 1 day"),
    ("age_1", 1, 7, "1-7 days"),
    ("age_7", 7, 30, "7-30 days"),
    ("age_30", 30, None, "30+ days"),
)
DEFINITIONS = {
    "backlog": "Open work now (new, assigned, dispatched, en route, in progress, on hold), "
    "by status and priority; age = now - created.",
    "overdue": "Open work whose SLA resolution due time has passed.",
    "at_risk": "Open work not yet overdue with less than the organisation's at-risk fraction "
    "(default 25 %) of its SLA resolution time left.",
    "sla_compliance": "Work completed in the period on or before its SLA resolution due time ÷ "
    "work completed in the period that had one.",
    "response_time": "Mean of first response (assignment) - created, over work completed in the "
    "period; met = responded by the response due time.",
    "onsite_time": "Mean of work started - created (arrival on site), over work completed in the "
    "period; met = started by the on-site due time.",
    "resolution_time": "Mean of completed - created, over work completed in the period; "
    "met = completed by the resolution due time.",
    "pm_compliance": "PM occurrences done within their tolerance window ÷ PM occurrences due in "
    "the period (Fiix's 10 % rule, per plan). Organisation-wide: site and team do not apply.",
    "planned_reactive": "Work created in the period: planned (preventive, predictive, "
    "inspection) vs reactive (corrective, emergency); ratio = planned ÷ reactive.",
    "mttr_labour": "MTTR (repair time): mean of completed - started over corrective and emergency "
    "work completed in the period. Includes pauses; it is not labour minutes.",
    "mttr_downtime": "MTTR (downtime per failure): total asset downtime from 'down' status "
    "changes that began in the period (until back to operating, or the period end) ÷ number of "
    "those failures.",
    "mtbf": "MTBF: operating time in the period ÷ failures ('down' status changes) that began "
    "in the period, from the asset status history; an asset's time counts from its "
    "registration. All assets: the operating time and failures of every asset in scope added "
    "up. Per asset (the reliability table, Asset health): the same over that one asset.",
    "first_time_fix": "Corrective and emergency work with an asset completed in the period, with "
    "no follow-up and no other corrective or emergency work opened on the same asset within "
    "{days} days after completion ÷ all such completed work.",
    "utilisation": "Technician utilisation: logged work time ÷ shift time in the period "
    "(weekly shifts, time off not deducted).",
    "wrench_time": "Wrench time: hands-on work time ÷ (travel + work + waiting) time logged in "
    "the period; breaks are not paid time here.",
    "pmp": "Planned maintenance percentage: work time logged on planned work (preventive, "
    "predictive, inspection) ÷ all work time logged in the period.",
    "schedule_compliance": "Work whose scheduled window ends in the period (not cancelled), "
    "completed by the end of its window ÷ all such work.",
    "crew_weeks": "Backlog in crew-weeks: estimated hours of open work ÷ crew hours per week "
    "(the weekly shifts of the technicians in scope). Ready to schedule = new, assigned or "
    "dispatched; work without an estimate counts 0 hours.",
    "created_completed": "Work orders created and completed per local day of the period.",
}


@dataclass
class Figure:
    key: str
    label: str
    value: float | None
    unit: str = ""
    numerator: float | None = None
    denominator: float | None = None
    definition: str = ""
    drill: str = ""  # query string for the work-order list
    extra: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    scope: Scope
    now: datetime
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, "Table"] = field(default_factory=dict)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    definition: str = ""

    def labelled(self) -> list[list[tuple[str, Any]]]:
        """Each row's cells with their column's name: on a phone every cell is labelled."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]


def _ratio(part: float | None, whole: float | None, scale: float = 100) -> float | None:
    if part is None or not whole:
        return None
    return round(scale * part / whole, 1)


def _hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 2)


def _duration(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


# --- open work: backlog, age, overdue, at risk, crew-weeks -------------------------------------


def open_work(
    scope: Scope, *, now: datetime, at_risk_fraction: float
) -> tuple[dict[tuple[str, str], int], dict]:
    """The open backlog now: (status, priority) -> count, and the counts and estimate sums of
    all open work. One query: every figure is a count or a sum, so it is grouped by status and
    priority and the groups are added up here (two scans of the open work cost twice)."""
    aggregates = {
        "total": Count("id"),
        "overdue": Count("id", filter=sets.overdue(now)),
        "at_risk": Count("id", filter=sets.at_risk(now, at_risk_fraction)),
        "minutes": Sum("estimated_minutes"),
        "ready_minutes": Sum("estimated_minutes", filter=Q(status__in=READY_STATUSES)),
        "unestimated": Count("id", filter=Q(estimated_minutes__isnull=True)),
    }
    for key, low, high, _ in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        aggregates[key] = Count("id", filter=condition)
    groups = (
        work_orders_in_scope(scope)
        .filter(sets.open_work())
        .values("status", "priority")
        .annotate(**aggregates)
    )
    grid = {}
    totals: dict = dict.fromkeys(aggregates, 0)
    totals["minutes"] = totals["ready_minutes"] = None  # a sum over no estimate is unknown
    for group in groups:
        grid[(group["status"], group["priority"])] = group["total"]
        for key in aggregates:
            if group[key] is not None:
                totals[key] = (totals[key] or 0) + group[key]
    return grid, totals


# --- completed and created in the period --------------------------------------------------------


def period_work(scope: Scope) -> dict:
    """SLA, response/on-site/resolution, MTTR, planned vs reactive, schedule compliance. One
    query over work created, completed or scheduled to end in the period."""
    done = sets.completed_in(scope)
    created = sets.created_in(scope)
    scheduled = sets.scheduled_in(scope)
    repair = sets.repairs(scope)
    return (
        work_orders_in_scope(scope)
        .filter(done | created | scheduled)
        .aggregate(
            completed=Count("id", filter=done),
            with_due=Count("id", filter=sets.sla_counted(scope)),
            met=Count("id", filter=sets.sla_counted(scope) & sets.SLA_MET),
            responded=Count("id", filter=done & Q(responded_at__isnull=False)),
            response_with_due=Count(
                "id", filter=done & Q(responded_at__isnull=False, response_due_at__isnull=False)
            ),
            response_met=Count("id", filter=done & Q(responded_at__lte=F("response_due_at"))),
            response_mean=Avg(
                _duration(F("responded_at") - F("created_at")),
                filter=done & Q(responded_at__isnull=False),
            ),
            onsite_with_due=Count(
                "id", filter=done & Q(started_at__isnull=False, onsite_due_at__isnull=False)
            ),
            onsite_met=Count("id", filter=done & Q(started_at__lte=F("onsite_due_at"))),
            onsite_mean=Avg(
                _duration(F("started_at") - F("created_at")),
                filter=done & Q(started_at__isnull=False),
            ),
            resolution_mean=Avg(_duration(F("completed_at") - F("created_at")), filter=done),
            repairs=Count("id", filter=repair),
            mttr=Avg(_duration(F("completed_at") - F("started_at")), filter=repair),
            planned=Count("id", filter=sets.planned_or_reactive(scope) & sets.PLANNED),
            reactive=Count("id", filter=sets.planned_or_reactive(scope) & ~sets.PLANNED),
            scheduled=Count("id", filter=scheduled),
            on_schedule=Count("id", filter=scheduled & sets.ON_SCHEDULE),
        )
    )


def first_time_fix(scope: Scope) -> dict:
    """Completed corrective work without a follow-up or a repeat on the same asset within
    `ftf_days` of completion. One query."""
    window = timedelta(days=scope.ftf_days)
    others = WorkOrder.objects.filter(organization_id=scope.organization_id)
    # Two EXISTS rather than one with an OR: each can use its own index (follow_up_of, asset).
    follow_up = others.filter(follow_up_of=OuterRef("pk"))
    repeat = others.filter(
        asset=OuterRef("asset"),
        work_type__in=REACTIVE_TYPES,
        created_at__gt=OuterRef("completed_at"),
        created_at__lte=OuterRef("completed_at") + window,
    ).exclude(pk=OuterRef("pk"))
    return (
        work_orders_in_scope(scope)
        .filter(
            completed_at__gte=scope.since,
            completed_at__lt=scope.until,
            work_type__in=REACTIVE_TYPES,
            asset__isnull=False,
        )
        .annotate(repeated=Exists(follow_up) | Exists(repeat))
        .aggregate(total=Count("id"), fixed=Count("id", filter=Q(repeated=False)))
    )


def per_day(scope: Scope) -> list[tuple[date, int, int]]:
    """(local day, created, completed) for every day of the period. Two queries."""
    base = work_orders_in_scope(scope)
    created = dict(
        base.filter(created_at__gte=scope.since, created_at__lt=scope.until)
        .annotate(day=TruncDate("created_at", tzinfo=scope.tz))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    completed = dict(
        base.filter(completed_at__gte=scope.since, completed_at__lt=scope.until)
        .annotate(day=TruncDate("completed_at", tzinfo=scope.tz))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [(day, created.get(day, 0), completed.get(day, 0)) for day in scope.days]


# --- assets: downtime and MTBF ------------------------------------------------------------------


@dataclass
class AssetReliability:
    asset_id: int
    code: str
    name: str
    failures: int = 0
    downtime: timedelta = timedelta(0)
    operating: timedelta = timedelta(0)

    @property
    def mtbf_hours(self) -> float | None:
        return mtbf_hours(self.operating, self.failures)

    @property
    def mttr_hours(self) -> float | None:
        return None if not self.failures else _hours(self.downtime / self.failures)


def mtbf_hours(operating: timedelta, failures: int) -> float | None:
    """MTBF, the one formula every page and the API use: operating time ÷ failures."""
    return None if not failures else _hours(operating / failures)


def _changes_in_window(scope: Scope, until: datetime) -> QuerySet[AssetStatusChange]:
    changes = AssetStatusChange.objects.filter(organization_id=scope.organization_id)
    if scope.site is not None:
        changes = changes.filter(asset__location__path__startswith=scope.site.path)
    return changes.filter(changed_at__gte=scope.since, changed_at__lt=until)


def _state_before(since: datetime, asset: Any) -> Subquery:
    """The asset's status just before `since` (None: not registered yet)."""
    earlier = AssetStatusChange.objects.filter(asset=asset, changed_at__lt=since)
    return Subquery(earlier.order_by("-changed_at", "-id").values("to_status")[:1])


def asset_reliability(
    scope: Scope, *, now: datetime, asset_ids: list[int] | None = None
) -> list[AssetReliability]:
    """Per asset with a status change in the period (of `asset_ids` only, when given):
    failures, downtime of those failures and operating time in the period. One query.

    An asset's time counts from its registration (its first status record, from no status):
    before it the asset did not exist, so it was not operating."""
    since, until = scope.since, min(scope.until, now)
    changes = _changes_in_window(scope, until)
    if asset_ids is not None:
        changes = changes.filter(asset_id__in=asset_ids)
    rows = (
        changes.annotate(before=_state_before(since, OuterRef("asset_id")))
        .order_by("asset_id", "changed_at", "id")
        .values_list(
            "asset_id", "asset__code", "asset__name", "from_status", "to_status", "changed_at",
            "before",
        )
    )  # fmt: skip
    by_asset: dict[int, list] = defaultdict(list)
    for row in rows:
        by_asset[row[0]].append(row)
    result = []
    for asset_id, history in by_asset.items():
        first = history[0]
        state = first[6] or first[3] or None  # before the first change: not registered
        item = AssetReliability(asset_id, first[1], first[2])
        cursor = since
        for _, _, _, _, to_status, at, _ in history:
            _accrue(item, state, at - cursor)
            if to_status == AssetStatus.DOWN and state != AssetStatus.DOWN:
                item.failures += 1
            state, cursor = to_status, at
        _accrue(item, state, until - cursor)
        result.append(item)
    return sorted(result, key=lambda r: (-r.failures, r.code))


def assets_operating_throughout(scope: Scope, *, now: datetime) -> int:
    """How many assets in scope were operating for the whole period without a status change:
    their operating time counts in the organisation's MTBF too. One query."""
    since, until = scope.since, min(scope.until, now)
    assets = Asset.objects.filter(organization_id=scope.organization_id)
    if scope.site is not None:
        assets = assets.filter(location__path__startswith=scope.site.path)
    changed = _changes_in_window(scope, until).filter(asset_id=OuterRef("pk"))
    return (
        assets.annotate(before=_state_before(since, OuterRef("pk")))
        .filter(before=AssetStatus.OPERATING)
        .exclude(Exists(changed))
        .count()
    )


def _accrue(item: AssetReliability, state: str | None, span: timedelta) -> None:
    if span <= timedelta(0):
        return
    if state == AssetStatus.OPERATING:
        item.operating += span
    elif state == AssetStatus.DOWN and item.failures:
        item.downtime += span  # downtime of a failure that began in the period


# --- people: time entries and shifts ------------------------------------------------------------


def time_split(scope: Scope) -> dict:
    """Minutes by kind logged in the period (entries clipped to its edges), and work minutes on
    planned work. One query."""
    since, until = scope.since, scope.until
    entries = TimeEntry.objects.filter(
        organization_id=scope.organization_id,
        started_at__lt=until,
        ended_at__gt=since,
    )
    if scope.team is not None:
        entries = entries.filter(technician__technician_profile__crew=scope.team)
    if scope.site is not None:
        entries = entries.filter(
            Q(work_order__location__path__startswith=scope.site.path)
            | Q(work_order__asset__location__path__startswith=scope.site.path)
        )
    clipped = _duration(Least(F("ended_at"), until) - Greatest(F("started_at"), since))
    sums = {kind: Sum(clipped, filter=Q(kind=kind)) for kind in TimeKind.values}
    sums["planned_work"] = Sum(clipped, filter=Q(kind=TimeKind.WORK, planned=True))
    # A correlated EXISTS on the work order's primary key, not a join: a join makes the planner
    # hash the whole work-order table for a few thousand entries.
    planned = WorkOrder.objects.filter(pk=OuterRef("work_order_id"), work_type__in=PLANNED_TYPES)
    totals = entries.annotate(planned=Exists(planned)).aggregate(**sums)
    return {key: (value or timedelta(0)).total_seconds() / 3600 for key, value in totals.items()}


def shift_hours(scope: Scope) -> tuple[float, float]:
    """(shift hours in the period, crew hours per week) of the technicians in scope. One query."""
    shifts = Shift.objects.filter(
        profile__organization_id=scope.organization_id,
        profile__membership__is_active=True,
    )
    if scope.team is not None:
        shifts = shifts.filter(profile__crew=scope.team)
    weekdays = defaultdict(int)
    for day in scope.days:
        weekdays[day.weekday()] += 1
    in_period = weekly = 0.0
    for weekday, starts, ends in shifts.values_list("weekday", "starts", "ends"):
        hours = (
            datetime.combine(date.min, ends) - datetime.combine(date.min, starts)
        ).total_seconds() / 3600
        weekly += hours
        in_period += hours * weekdays[weekday]
    return in_period, weekly


# --- the dashboard ------------------------------------------------------------------------------


def at_risk_fraction(organization_id: int) -> float:
    settings = OrganizationWorkSettings.objects.filter(organization_id=organization_id).first()
    return settings.at_risk_fraction if settings else 0.25


def dashboard(scope: Scope, *, now: datetime | None = None) -> Dashboard:
    """Every figure and table of the dashboard. A fixed number of queries (11)."""
    now = now or timezone.now()
    board = Dashboard(scope=scope, now=now)
    fraction = at_risk_fraction(scope.organization_id)
    grid, opened = open_work(scope, now=now, at_risk_fraction=fraction)
    work = period_work(scope)
    ftf = first_time_fix(scope)
    days = per_day(scope)
    reliability = asset_reliability(scope, now=now)
    hours = time_split(scope)
    shift_total, crew_weekly = shift_hours(scope)
    pm = pm_compliance(
        organization_id=scope.organization_id,
        start=scope.start,
        end=scope.end,
        today=now.astimezone(scope.tz).date(),
    )

    filters = scope.filters()

    def add(key: str, label: str, value, unit: str = "", num=None, den=None):
        drill = f"/api/v1/kpis/work-orders?figure={key}&{filters}" if key in sets.DRILLS else ""
        board.figures[key] = Figure(
            key, label, value, unit, num, den, DEFINITIONS[key].format(days=scope.ftf_days), drill
        )

    add("backlog", "Open backlog", opened["total"])
    add("overdue", "Overdue", opened["overdue"])
    add("at_risk", "At risk", opened["at_risk"])
    add(
        "sla_compliance",
        "SLA compliance",
        _ratio(work["met"], work["with_due"]),
        "%",
        work["met"],
        work["with_due"],
    )
    add(
        "response_time",
        "Response time",
        _hours(work["response_mean"]),
        "h",
        work["response_met"],
        work["response_with_due"],
    )
    add(
        "onsite_time",
        "On-site time",
        _hours(work["onsite_mean"]),
        "h",
        work["onsite_met"],
        work["onsite_with_due"],
    )
    add(
        "resolution_time",
        "Resolution time",
        _hours(work["resolution_mean"]),
        "h",
        work["met"],
        work["with_due"],
    )
    add("pm_compliance", "PM compliance", pm.rate, "%", pm.on_time, pm.due)
    add(
        "planned_reactive",
        "Planned : reactive",
        _ratio(work["planned"], work["reactive"], scale=1),
        "",
        work["planned"],
        work["reactive"],
    )
    add(
        "mttr_labour",
        "MTTR (repair)",
        _hours(work["mttr"]),
        "h",
        None,
        work["repairs"],
    )
    failures = sum(r.failures for r in reliability)
    downtime = sum((r.downtime for r in reliability), timedelta(0))
    steady = assets_operating_throughout(scope, now=now)
    window = max(min(scope.until, now) - scope.since, timedelta(0))
    operating = sum((r.operating for r in reliability), window * steady)
    add(
        "mttr_downtime",
        "MTTR (downtime)",
        _hours(downtime / failures) if failures else None,
        "h",
        _hours(downtime),
        failures,
    )
    add(
        "mtbf",
        "MTBF (all assets)",
        mtbf_hours(operating, failures),
        "h",
        _hours(operating),
        failures,
    )
    add(
        "first_time_fix",
        "First-time fix",
        _ratio(ftf["fixed"], ftf["total"]),
        "%",
        ftf["fixed"],
        ftf["total"],
    )
    worked = hours[TimeKind.WORK]
    paid = hours[TimeKind.TRAVEL] + worked + hours[TimeKind.WAITING]
    add("utilisation", "Utilisation", _ratio(worked, shift_total), "%", worked, shift_total)
    add("wrench_time", "Wrench time", _ratio(worked, paid), "%", worked, paid)
    add("pmp", "Planned maintenance", _ratio(hours["planned_work"], worked), "%")
    board.figures["pmp"].numerator, board.figures["pmp"].denominator = (
        round(hours["planned_work"], 2),
        round(worked, 2),
    )
    add(
        "schedule_compliance",
        "Schedule compliance",
        _ratio(work["on_schedule"], work["scheduled"]),
        "%",
        work["on_schedule"],
        work["scheduled"],
    )
    open_hours = (opened["minutes"] or 0) / 60
    ready_hours = (opened["ready_minutes"] or 0) / 60
    add(
        "crew_weeks",
        "Backlog (crew-weeks)",
        _ratio(open_hours, crew_weekly, scale=1),
        "wk",
        round(open_hours, 1),
        round(crew_weekly, 1),
    )
    board.figures["crew_weeks"].extra = {
        "ready_crew_weeks": _ratio(ready_hours, crew_weekly, scale=1),
        "ready_hours": round(ready_hours, 1),
        "unestimated": opened["unestimated"],
    }

    _tables(board, grid, opened, days, reliability)
    return board


def _tables(board: Dashboard, grid, opened, days, reliability) -> None:
    open_statuses = [Status(s) for s in OPEN_STATUSES]
    priorities = list(Priority)
    board.tables["backlog"] = Table(
        "backlog",
        "Open backlog by status and priority",
        ["Status", *[p.label for p in priorities], "Total"],
        [
            [
                status.label,
                *[grid.get((status.value, p.value), 0) for p in priorities],
                sum(grid.get((status.value, p.value), 0) for p in priorities),
            ]
            for status in open_statuses
        ],
        DEFINITIONS["backlog"],
    )
    board.tables["backlog_age"] = Table(
        "backlog_age",
        "Open backlog by age",
        ["Age", "Open work orders"],
        [[label, opened[key]] for key, _, _, label in AGE_BUCKETS],
        DEFINITIONS["backlog"],
    )
    board.tables["per_day"] = Table(
        "per_day",
        "Created vs completed per day",
        ["Day", "Created", "Completed"],
        [[day.isoformat(), created, completed] for day, created, completed in days],
        DEFINITIONS["created_completed"],
    )
    board.tables["assets"] = Table(
        "assets",
        "Asset reliability in the period",
        ["Asset", "Name", "Failures", "Downtime h", "MTTR h (downtime)", "MTBF h"],
        [
            [r.code, r.name, r.failures, _hours(r.downtime), r.mttr_hours, r.mtbf_hours]
            for r in reliability[:50]
        ],
        DEFINITIONS["mtbf"],
    )
    board.tables["figures"] = Table(
        "figures",
        "All figures",
        ["Figure", "Value", "Unit", "Numerator", "Denominator", "Definition"],
        [
            [f.label, f.value, f.unit, f.numerator, f.denominator, f.definition]
            for f in board.figures.values()
        ],
    )
