"""The supervisor dashboard page, its live fragment and the CSV exports. Thin: parse the scope,
call the dashboard selector, render."""

import csv
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from assets.models import Location
from workorders.dispatch.models import Crew
from workorders.kpis import charts, overview, selectors
from workorders.kpis.params import require_dashboard_reader, scope_for

GROUPS = (
    ("Open work", ("backlog", "overdue", "at_risk", "crew_weeks")),
    ("Service levels", ("sla_compliance", "response_time", "onsite_time", "resolution_time")),
    (
        "Maintenance",
        ("pm_compliance", "planned_reactive", "pmp", "schedule_compliance", "first_time_fix"),
    ),
    ("Reliability", ("mttr_labour", "mttr_downtime", "mtbf")),
    ("People", ("utilisation", "wrench_time")),
)

# The line under each figure: what it was computed from ({n} numerator, {d} denominator).
DETAILS = {
    "sla_compliance": "{n} of {d} completed on time",
    "response_time": "{n} of {d} responded within SLA",
    "onsite_time": "{n} of {d} on site within SLA",
    "resolution_time": "{n} of {d} resolved within SLA",
    "pm_compliance": "{n} of {d} PM done on time",
    "planned_reactive": "{n} planned · {d} reactive",
    "pmp": "{n} of {d} work hours planned",
    "schedule_compliance": "{n} of {d} done within window",
    "first_time_fix": "{n} of {d} repairs fixed first time",
    "mttr_labour": "over {d} repairs",
    "mttr_downtime": "{n} h down · {d} failures",
    "mtbf": "{n} h operating · {d} failures",
    "utilisation": "{n} of {d} shift hours worked",
    "wrench_time": "{n} of {d} paid hours on tools",
    "crew_weeks": "{n} h open · {d} crew h/week",
}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _detail(figure: selectors.Figure) -> str:
    template = DETAILS.get(figure.key)
    if template is None:
        return ""
    return template.format(n=_number(figure.numerator), d=_number(figure.denominator))


def reader_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.membership is None:
            return redirect("no-organization")
        require_dashboard_reader(request.membership)
        return view(request, *args, **kwargs)

    return wrapper


def _board(request: HttpRequest) -> selectors.Dashboard:
    params = request.GET
    scope = scope_for(
        request.membership,
        start=params.get("start") or None,
        end=params.get("end") or None,
        site=params.get("site") or None,
        team=params.get("team") or None,
    )
    return selectors.dashboard(scope)


@require_GET
@reader_view
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    tables = board.tables
    context = {
        "board": board,
        "scope": board.scope,
        "groups": [
            (title, [(board.figures[key], _detail(board.figures[key])) for key in keys])
            for title, keys in GROUPS
        ],
        "local_now": board.now.astimezone(board.scope.tz).strftime("%H:%M"),
        "tables": tables,
        "trend_svg": charts.trend(tables["per_day"].rows),
        "backlog_svg": charts.stacked_bars(tables["backlog"].rows),
        "age_svg": charts.histogram(tables["backlog_age"].rows),
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "kpis/dashboard.html#board", context)
    org = request.membership.organization_id
    context["sites"] = Location.objects.filter(organization_id=org, depth__lte=1).order_by("path")[
        :300
    ]
    context["teams"] = Crew.objects.filter(organization_id=org).order_by("name")[:100]
    return render(request, "kpis/dashboard.html", context)


@require_GET
@reader_view
def export(request: HttpRequest, table: str) -> HttpResponse:
    board = _board(request)
    if table not in board.tables:
        raise Http404()
    found = board.tables[table]
    scope = board.scope
    return _csv(
        f"{table}-{scope.start.isoformat()}-{scope.end.isoformat()}", found.columns, found.rows
    )


def _csv(name: str, columns: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return response


@require_GET
@reader_view
def assets_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    organization = membership.organization
    scope = scope_for(membership, site=request.GET.get("site") or None)
    now = timezone.now()
    rows = overview.asset_health(
        organization_id=organization.pk,
        time_zone=organization.time_zone,
        today=now.astimezone(scope.tz).date(),
        now=now,
        site=scope.site,
    )
    if request.GET.get("format") == "csv":
        return _csv(
            "asset-health",
            ["Asset", "Name", "Location", "Status", "Open work", "Overdue", "Last PM",
             "Failures (365 d)", "MTBF h", "Condition rules near limit"],
            [
                [r.asset.code, r.asset.name, r.asset.location.name if r.asset.location else "",
                 r.asset.get_status_display(), r.open_work, r.overdue,
                 r.last_pm.isoformat() if r.last_pm else "", r.failures, r.mtbf_hours,
                 "; ".join(r.rules_near)]
                for r in rows
            ],
        )  # fmt: skip
    sites = Location.objects.filter(organization_id=organization.pk, depth__lte=1)
    return render(
        request,
        "kpis/assets.html",
        {"rows": rows, "scope": scope, "sites": sites.order_by("path")[:300], "section": "assets"},
    )


@require_GET
@reader_view
def workforce_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    scope = scope_for(membership, team=request.GET.get("team") or None)
    today = timezone.now().astimezone(scope.tz).date()
    rows = overview.workforce(
        organization_id=membership.organization_id, time_zone=scope.tz, today=today, team=scope.team
    )
    if request.GET.get("format") == "csv":
        return _csv(
            f"workforce-{today.isoformat()}",
            ["Technician", "Team", "Status", "On the job", "Open work", "Open hours",
             "Worked today h"],
            [
                [r.membership.user.get_full_name() or r.membership.user.username, r.crew,
                 r.status, r.current, r.open_assigned, r.open_hours, r.worked_today]
                for r in rows
            ],
        )  # fmt: skip
    teams = Crew.objects.filter(organization_id=membership.organization_id).order_by("name")[:100]
    context = {"rows": rows, "scope": scope, "teams": teams, "today": today, "section": "people"}
    if request.htmx:
        return render(request, "kpis/workforce.html#people", context)
    return render(request, "kpis/workforce.html", context)
