"""KPIs in the JSON API: GET /kpis, every dashboard figure with its definition, and its tables."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from workorders.kpis import selectors
from workorders.kpis.cache import dashboard_shared
from workorders.kpis.drilldowns import DrillList, drill_list
from workorders.kpis.params import scope_for
from workorders.kpis.schemas import DrillOut, KpisOut

router = Router(tags=["kpis"])


def kpis_out(board: selectors.Dashboard) -> dict:
    scope = board.scope
    return {
        "start": scope.start,
        "end": scope.end,
        "time_zone": scope.time_zone,
        "site": scope.site and {"id": scope.site.public_id, "name": scope.site.name},
        "team": scope.team and {"id": scope.team.public_id, "name": scope.team.name},
        "first_time_fix_days": scope.ftf_days,
        "generated_at": board.now,
        # vars, not asdict: asdict deep-copies every table row (3 ms a request), and the schema
        # only reads them.
        "figures": [vars(figure) for figure in board.figures.values()],
        "tables": [vars(table) for table in board.tables.values()],
    }


@router.get("/kpis", response=KpisOut, summary="Dashboard KPIs with their definitions")
def kpis(
    request: HttpRequest,
    start: str | None = None,
    end: str | None = None,
    site: str | None = None,
    team: str | None = None,
    ftf_days: int | None = None,
) -> dict:
    """Figures over a period of local dates (`start`, `end`: YYYY-MM-DD, default the last 30
    days), optionally one site's location subtree (`site`: location id) and one crew (`team`).

    The figures are shared by the organisation's readers for a short time: `generated_at` is
    the moment they were computed. A change to work orders, an asset's status or a finished
    sync shows within about a second; any other change within 30 s."""
    scope = scope_for(request.auth, start=start, end=end, site=site, team=team, ftf_days=ftf_days)
    return kpis_out(dashboard_shared(scope).value)


def drill_out(found: DrillList) -> dict:
    return {
        "figure": found.key,
        "title": found.drill.title,
        "definition": found.definition,
        "generated_at": found.now,
        "count": found.count,
        "counted": found.counted,
        "counted_label": found.drill.mark_label,
        "estimated_hours": found.estimated_hours,
        "items": [
            {
                "number": w.reference,
                "title": w.title,
                "status": w.status,
                "priority": w.priority,
                "work_type": w.work_type,
                "created_at": w.created_at,
                "due_at": w.due_at,
                "completed_at": w.completed_at,
                "scheduled_end": w.scheduled_end,
                "estimated_minutes": w.estimated_minutes,
                "counted": w.counted,
            }
            for w in found.items
        ],
        "next_cursor": found.next_cursor,
    }


@router.get(
    "/kpis/work-orders",
    response=DrillOut,
    summary="The work orders behind one dashboard figure",
)
def kpi_work_orders(
    request: HttpRequest,
    figure: str | None = None,
    start: str | None = None,
    end: str | None = None,
    site: str | None = None,
    team: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    """Exactly the work orders `figure` counts, over the same scope as `GET /kpis` (each
    figure's `drill` is this path with its filters), newest first, cursor paged. Figures with a
    list: backlog, overdue, at_risk, crew_weeks, sla_compliance, planned_reactive, mttr_labour,
    schedule_compliance. Computed at request time, not shared."""
    scope = scope_for(request.auth, start=start, end=end, site=site, team=team)
    found = drill_list(scope, figure or "", now=timezone.now(), cursor=cursor, limit=limit)
    return drill_out(found)
