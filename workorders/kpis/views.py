"""The supervisor dashboard page, its live fragment, the asset health page and the CSV exports.
Thin: parse the scope, take the shared figures (workorders/kpis/cache.py), render."""

import csv
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from assets.models import Location
from fieldops.accounts.permissions import require
from workorders.dispatch.models import Crew
from workorders.kpis import cache as kpis_cache
from workorders.kpis import charts, overview, selectors
from workorders.kpis.drilldowns import drill_list
from workorders.kpis.params import scope_for

FILTERS = ("start", "end", "site", "team")
# The figures' version the live board shows; equal versions mean equal figures.
VERSION_HEADER = "X-Kpi-Version"
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
        require(request.membership, "dashboard.read")
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest):
    """The dashboard's period, site and team, as its query string gives them."""
    params = request.GET
    return scope_for(
        request.membership,
        start=params.get("start") or None,
        end=params.get("end") or None,
        site=params.get("site") or None,
        team=params.get("team") or None,
    )


def _board(request: HttpRequest) -> kpis_cache.Shared[selectors.Dashboard]:
    return kpis_cache.dashboard_shared(_scope(request))


def _retry_ms(found: kpis_cache.Shared[Any]) -> int | None:
    """When the live board asks again for stale figures: once they can be redone (the time
    left in the cache's window, rounded up to 100 ms so that a few renderings serve everyone)."""
    if not found.stale:
        return None
    left_ms = round((found.retry_after or kpis_cache.COALESCE_SECONDS) * 1000)  # float noise off
    return max(100, math.ceil(left_ms / 100) * 100)


def _board_html(
    found: kpis_cache.Shared[selectors.Dashboard], query: str, retry_ms: int | None
) -> str:
    board = found.value
    tables = board.tables
    context = {
        "board": board,
        "scope": board.scope,
        "groups": [
            (title, [(board.figures[key], _detail(board.figures[key])) for key in keys])
            for title, keys in GROUPS
        ],
        "as_of": found.as_of,
        "local_now": found.as_of.astimezone(board.scope.tz).strftime("%H:%M"),
        "version": found.version,
        # Figures a change has not reached yet: the board asks again once they can be redone.
        "retry_ms": retry_ms,
        "live_events": kpis_cache.live_events(),
        "tables": tables,
        "trend_svg": charts.trend(tables["per_day"].rows),
        "backlog_svg": charts.stacked_bars(tables["backlog"].rows),
        "age_svg": charts.histogram(tables["backlog_age"].rows),
        "query": query,
    }
    # No request: the fragment holds nothing personal (no CSRF token, no user), so one rendering
    # serves every reader of the same figures.
    return render_to_string("kpis/dashboard.html#board", context)


@require_GET
@reader_view
@vary_on_headers("HX-Request", VERSION_HEADER)
def dashboard(request: HttpRequest) -> HttpResponse:
    found = _board(request)
    if request.htmx and not found.stale and request.headers.get(VERSION_HEADER) == found.version:
        # The live refresh of figures that did not move: htmx swaps nothing on a 204, and the
        # reader's open "Definition" panels stay open.
        return HttpResponse(status=204)
    # Only the filters: the fragment's links carry them, and other parameters must not make
    # the shared rendering's key (one per reader's stray parameter) or its links.
    query = urlencode([(name, request.GET[name]) for name in FILTERS if request.GET.get(name)])
    retry_ms = _retry_ms(found)
    board_html = kpis_cache.rendered(
        found, variant=f"{query}|{retry_ms}", render=lambda: _board_html(found, query, retry_ms)
    )
    if request.htmx:
        return HttpResponse(board_html)
    org = request.membership.organization_id
    context = {
        "scope": found.value.scope,
        "period_query": _period_query(request),
        "board_html": mark_safe(board_html),  # noqa: S308 - our own template's output
        "sites": Location.objects.filter(organization_id=org, depth__lte=1).order_by("path")[:300],
        "teams": Crew.objects.filter(organization_id=org).order_by("name")[:100],
    }
    return render(request, "kpis/dashboard.html", context)


@require_GET
@reader_view
def export(request: HttpRequest, table: str) -> HttpResponse:
    board = _board(request).value
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
    params = request.GET
    scope = scope_for(
        membership,
        start=params.get("start") or None,
        end=params.get("end") or None,
        site=params.get("site") or None,
    )
    if params.get("format") == "csv":
        return _assets_csv(scope)
    found = kpis_cache.asset_health_shared(scope, page=_page_number(params.get("page")))
    query = _period_query(request)
    context = {
        "page": found.value,
        "as_of": found.as_of,
        "local_as_of": found.as_of.astimezone(scope.tz).strftime("%H:%M"),
        "scope": scope,
        "query": query,
    }
    table_html = kpis_cache.rendered(
        found,
        variant=query,
        render=lambda: render_to_string("kpis/assets.html#table", context),
    )
    sites = Location.objects.filter(organization_id=membership.organization_id, depth__lte=1)
    context |= {
        "table_html": mark_safe(table_html),  # noqa: S308 - our own template's output
        "sites": sites.order_by("path")[:300],
        "section": "assets",
        "period_query": query,
    }
    return render(request, "kpis/assets.html", context)


def _period_query(request: HttpRequest) -> str:
    """The filters the dashboard and Asset health share, for links between them."""
    params = request.GET
    return urlencode(
        [(name, params[name]) for name in ("start", "end", "site") if params.get(name)]
    )


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def _assets_csv(scope: selectors.Scope) -> HttpResponse:
    """Every asset, a thousand at a time (bounded IN lists); rare, so not shared."""
    now = timezone.now()
    ranked = overview.asset_ranking(organization_id=scope.organization_id, now=now, site=scope.site)
    rows = [
        row
        for at in range(0, len(ranked), 1000)
        for row in overview.asset_health(scope=scope, now=now, ranked=ranked[at : at + 1000])
    ]
    return _csv(
        f"asset-health-{scope.start.isoformat()}-{scope.end.isoformat()}",
        ["Asset", "Name", "Location", "Status", "Open work", "Overdue", "Last PM",
         "Failures", "MTBF h", "Condition rules near limit"],
        [
            [r.asset.code, r.asset.name, r.asset.location.name if r.asset.location else "",
             r.asset.get_status_display(), r.open_work, r.overdue,
             r.last_pm.isoformat() if r.last_pm else "", r.failures, r.mtbf_hours,
             "; ".join(r.rules_near)]
            for r in rows
        ],
    )  # fmt: skip


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


@require_GET
@reader_view
def work_view(request: HttpRequest) -> HttpResponse:
    """The work orders behind one figure: exactly the ones it counts."""
    params = request.GET
    scope = _scope(request)
    found = drill_list(
        scope,
        params.get("figure") or "",
        now=timezone.now(),
        cursor=params.get("cursor") or None,
    )
    context = {
        "found": found,
        "scope": scope,
        "query": f"figure={found.key}&{scope.filters()}",
        "filters": scope.filters(),
        "local_now": found.now.astimezone(scope.tz).strftime("%H:%M"),
        "section": "kpis",
        "period_query": _period_query(request),
    }
    return render(request, "kpis/work.html", context)
