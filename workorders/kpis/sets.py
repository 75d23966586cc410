"""The sets of work orders behind the dashboard's figures, each defined once: the figure counts
the set (selectors.py) and its drill-down lists the same set (drill-downs below), so the list
behind a figure holds exactly the work orders it counted."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.lookups import LessThan

from workorders.kpis.scope import Scope, work_orders_in_scope
from workorders.models import OPEN_STATUSES, Status, WorkOrder, WorkType

PLANNED_TYPES = (WorkType.PREVENTIVE, WorkType.PREDICTIVE, WorkType.INSPECTION)
REACTIVE_TYPES = (WorkType.CORRECTIVE, WorkType.EMERGENCY)


def _duration(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


def open_work() -> Q:
    return Q(status__in=OPEN_STATUSES)


def overdue(now: datetime) -> Q:
    """Open work whose SLA resolution due time has passed (with `open_work`)."""
    return Q(due_at__lt=now)


def at_risk(now: datetime, fraction: float) -> Q:
    """Not yet overdue, with less than `fraction` of the created→due span left (with
    `open_work`)."""
    span = _duration(F("due_at") - F("created_at"))
    time_left = _duration(F("due_at") - Value(now, output_field=DateTimeField()))
    return Q(due_at__gte=now) & LessThan(time_left, _duration(span * fraction))


def completed_in(scope: Scope) -> Q:
    return Q(completed_at__gte=scope.since, completed_at__lt=scope.until)


def created_in(scope: Scope) -> Q:
    return Q(created_at__gte=scope.since, created_at__lt=scope.until)


def sla_counted(scope: Scope) -> Q:
    """SLA compliance's denominator: completed in the period with a resolution due time."""
    return completed_in(scope) & Q(due_at__isnull=False)


SLA_MET = Q(completed_at__lte=F("due_at"))


def repairs(scope: Scope) -> Q:
    """MTTR (repair)'s work: corrective and emergency work started and completed in the
    period."""
    return completed_in(scope) & Q(work_type__in=REACTIVE_TYPES, started_at__isnull=False)


def planned_or_reactive(scope: Scope) -> Q:
    return created_in(scope) & Q(work_type__in=PLANNED_TYPES + REACTIVE_TYPES)


PLANNED = Q(work_type__in=PLANNED_TYPES)


def scheduled_in(scope: Scope) -> Q:
    """Schedule compliance's denominator: not cancelled, scheduled window ending in the
    period."""
    return Q(scheduled_end__gte=scope.since, scheduled_end__lt=scope.until) & ~Q(
        status=Status.CANCELLED
    )


ON_SCHEDULE = Q(completed_at__lte=F("scheduled_end"))


# --- drill-downs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """The work orders behind one figure; `mark` (when set) flags the ones in its numerator,
    shown in a column headed `mark_label`."""

    title: str
    rows: Callable[[Scope, datetime, float], Q]
    mark: Q | None = None
    mark_label: str = ""
    totals_estimate: bool = False  # the figure adds up the listed estimates


DRILLS: dict[str, Drill] = {
    "backlog": Drill("Open backlog", lambda scope, now, fraction: open_work()),
    "overdue": Drill("Overdue", lambda scope, now, fraction: open_work() & overdue(now)),
    "at_risk": Drill("At risk", lambda scope, now, fraction: open_work() & at_risk(now, fraction)),
    "crew_weeks": Drill(
        "Backlog (crew-weeks)",
        lambda scope, now, fraction: open_work(),
        totals_estimate=True,
    ),
    "sla_compliance": Drill(
        "SLA compliance",
        lambda scope, now, fraction: sla_counted(scope),
        SLA_MET,
        "On time",
    ),
    "planned_reactive": Drill(
        "Planned : reactive",
        lambda scope, now, fraction: planned_or_reactive(scope),
        PLANNED,
        "Planned",
    ),
    "mttr_labour": Drill("MTTR (repair)", lambda scope, now, fraction: repairs(scope)),
    "schedule_compliance": Drill(
        "Schedule compliance",
        lambda scope, now, fraction: scheduled_in(scope),
        ON_SCHEDULE,
        "Within window",
    ),
}


def drill_work_orders(
    scope: Scope, key: str, *, now: datetime, fraction: float
) -> QuerySet[WorkOrder]:
    """The work orders behind figure `key` (a key of DRILLS), newest first, each with
    `counted` (in the figure's numerator; None without one)."""
    drill = DRILLS[key]
    rows = work_orders_in_scope(scope).filter(drill.rows(scope, now, fraction))
    counted = (
        ExpressionWrapper(drill.mark, output_field=BooleanField())
        if drill.mark is not None
        else Value(None, output_field=BooleanField())
    )
    return rows.annotate(counted=counted).order_by("-number")
