"""The work orders behind a dashboard figure, one page at a time: what the drill-down page and
`GET /api/v1/kpis/work-orders?figure=` list. Three queries whatever the data size."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum

from fieldops.errors import NotFound, ValidationFailed
from fieldops.pagination import cursor_paginate
from workorders.kpis.scope import Scope
from workorders.kpis.selectors import DEFINITIONS, at_risk_fraction
from workorders.kpis.sets import DRILLS, Drill, drill_work_orders
from workorders.models import WorkOrder

PAGE_SIZE = 50


@dataclass
class DrillList:
    key: str
    drill: Drill
    definition: str
    now: datetime
    count: int
    counted: int | None  # how many of them are in the figure's numerator (None: no numerator)
    estimated_hours: float | None  # the listed work's estimates added up, where the figure does
    items: list[WorkOrder]
    next_cursor: str | None


def drill_list(
    scope: Scope, key: str, *, now: datetime, cursor: str | None = None, limit: int = PAGE_SIZE
) -> DrillList:
    """One page of the work orders behind figure `key`, with the count of all of them (a key
    without a drill-down is a 404)."""
    if not key:
        raise ValidationFailed(details={"figure": f"Which figure: one of {', '.join(DRILLS)}."})
    drill = DRILLS.get(key)
    if drill is None:
        raise NotFound("This figure has no list of work orders.")
    rows = drill_work_orders(scope, key, now=now, fraction=at_risk_fraction(scope.organization_id))
    totals = rows.aggregate(
        count=Count("id"), counted=Count("id", filter=drill.mark), minutes=Sum("estimated_minutes")
    )
    page = cursor_paginate(
        rows.select_related("asset", "location"), cursor=cursor, limit=limit, keys=("-number",)
    )
    for work_order in page.items:
        minutes = work_order.estimated_minutes
        work_order.estimated_hours = None if minutes is None else round(minutes / 60, 1)
    return DrillList(
        key=key,
        drill=drill,
        definition=DEFINITIONS[key].format(days=scope.ftf_days),
        now=now,
        count=totals["count"],
        counted=totals["counted"] if drill.mark is not None else None,
        estimated_hours=round((totals["minutes"] or 0) / 60, 1) if drill.totals_estimate else None,
        items=page.items,
        next_cursor=page.next_cursor,
    )
