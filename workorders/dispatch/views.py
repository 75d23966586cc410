"""The dispatch board and its plan panel. Views parse, call one selector or service, render."""

from datetime import datetime, timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import may, require
from fieldops.errors import DomainError
from fieldops.inputs import field_problems, form_data, parse_input
from fieldops.time import parse_moment, today_in, zone_of
from workorders.dispatch.board import (
    BoardFilters,
    board_changed_since,
    board_day,
    board_for,
    board_options,
)
from workorders.dispatch.board_cache import board_live_cached, card_html
from workorders.dispatch.schemas import DispatchIn
from workorders.dispatch.selectors import technicians_for
from workorders.dispatch.suggestions import suggestions_for
from workorders.selectors import work_order_get_for_member
from workorders.services import work_order_assign


def _viewer(request: HttpRequest) -> Membership:
    membership = request.membership
    require(membership, "board.view")
    return membership


@login_required
@vary_on_headers("HX-Request")
def board(request: HttpRequest) -> HttpResponse:
    """The whole board, or (htmx) just its live part; with ``since`` (ISO time the client last
    rendered) a 204 says nothing changed, so a reconnect or poll costs three small queries."""
    if request.membership is None:
        return redirect("no-organization")
    membership = _viewer(request)
    return _board(request, membership)  # in the organisation's zone: the middleware set it


def _board(request: HttpRequest, membership: Membership) -> HttpResponse:
    since = parse_datetime(request.GET.get("since", "") or "")
    changed: list[str] = []
    if since is not None and timezone.is_aware(since):
        changed = board_changed_since(membership.organization_id, since)
        if not changed:
            return HttpResponse(status=204)
    filters = BoardFilters.from_query(request.GET)
    day = board_day(request.GET, zone_of(membership))
    can_plan = may(membership, "work.dispatch")
    query = request.GET.copy()
    query.pop("since", None)
    context: dict = {}

    def render_live() -> tuple[str, datetime]:
        context.update(board_for(membership=membership, filters=filters, day=day))
        context["can_plan"] = can_plan
        for wo in context["queue"]:
            wo.card = card_html(wo, can_plan=can_plan)
        for lane in context["lanes"]:
            # One job can sit in several lanes, on another row in each.
            for item in lane["placed"]:
                item["card"] = card_html(item["wo"], can_plan=can_plan, place=item["place"])
            for wo in lane["others"]:
                wo.card = card_html(wo, can_plan=can_plan)
        html = render_to_string("dispatch/board.html#live", context, request)
        return mark_safe(html), context["as_of"]  # noqa: S308 - our own template's output

    live = board_live_cached(
        organization_id=membership.organization_id,
        filters=filters,
        day=day,
        can_plan=can_plan,
        render=render_live,
    )
    live_html, as_of = live.html, live.as_of
    if request.htmx and request.htmx.target == "board-live":
        if live.refresh_after is not None and since is not None and as_of <= since:
            # The client already shows this (stale) rendering: nothing to send but when to
            # ask again.
            response = HttpResponse(status=204)
        else:
            response = HttpResponse(live_html)
    else:
        if "sites" not in context:
            context.update(board_options(membership.organization_id))
        context |= {
            "live_html": live_html,
            "day": day,
            "today": today_in(zone_of(membership)),
            "filters": filters,
            "query": query.urlencode(),
            "can_plan": can_plan,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "refresh_after_ms": _ms(live.refresh_after),
        }
        response = render(request, "dispatch/board.html", context)
    response["X-Board-As-Of"] = as_of.isoformat()
    if live.refresh_after is not None:
        response["X-Board-Refresh-After"] = str(_ms(live.refresh_after))
    # The fragment is shared by every viewer; what changed since this viewer's last look is
    # theirs, and board.js highlights it.
    response["X-Board-Changed"] = " ".join(ref for ref in changed if ref != "*")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    """Assign and/or reschedule one work order: the keyboard path, and what a drop posts to."""
    membership = _viewer(request)
    require(membership, "work.dispatch")
    return _plan(request, membership)


def _plan(request: HttpRequest, membership: Membership) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    work_order = work_order_get_for_member(membership, data.get("wo", ""))
    zone = zone_of(membership)
    form = {
        "technician": data.get("technician", ""),
        "start": data.get("start", ""),
        "reason": data.get("override_reason", ""),
        "override": data.get("override") == "1",
    }
    errors: dict = {}
    needs_override = False
    status = 200
    start = None
    try:
        start = parse_moment(form["start"], zone=zone, field="start")
        if request.method == "POST":
            asked = parse_input(
                DispatchIn, form_data(data, DispatchIn, names=FORM_NAMES), zone=zone
            )
            work_order_assign(
                membership=membership,
                work_order=work_order,
                expected_version=asked.version,
                **asked.model_dump(exclude={"version"}),
            )
            return _planned(request, work_order, asked.technician_ids[0])
    except DomainError as exc:
        errors, needs_override = _refusal(exc)
        status = exc.status
    work_order = work_order_get_for_member(membership, work_order.public_id)
    technicians = list(technicians_for(membership.organization_id))
    context = {
        "wo": work_order,
        "suggestions": suggestions_for(
            membership=membership, work_order=work_order, start=start, technicians=technicians
        ),
        "form": form,
        "errors": errors,
        "needs_override": needs_override,
        "start_text": _start_text(form["start"], start, work_order.scheduled_start, zone),
        "zone": zone,
    }
    if request.htmx:
        response = render(request, "dispatch/board.html#plan", context, status=status)
        if "version" in errors:
            trigger_client_event(response, "board:refresh")
        return response
    return render(request, "dispatch/plan.html", context, status=status)


# The plan form's names for DispatchIn's fields.
FORM_NAMES = {"technician": "technician_ids"}
# The plan form's own fields (and the services' names for them): a refusal's detail about one
# of them is shown beside it.
PLAN_FIELDS = {
    "start": "start",
    "technician": "technician",
    "technician_ids": "technician",
    "override_reason": "override_reason",
}


def _refusal(exc: DomainError) -> tuple[dict[str, str], bool]:
    """What the plan form shows for any refusal: its message (unless the fields' own messages
    say it better), each field's detail beside the field, and the override form ready when a
    rule needs one. Matched by error code, so a refusal from any service reads the same."""
    details = exc.details or {}
    flat = field_problems(details)
    errors = {field: flat[key] for key, field in PLAN_FIELDS.items() if key in flat}
    needs_override = exc.code == "OVERRIDE_REQUIRED" or "override_reason" in details
    if exc.code == "VERSION_CONFLICT":
        errors["version"] = "Someone changed this job meanwhile; the board shows the latest."
    elif needs_override:
        # The rules each technician would break come keyed by the technician's id.
        problems = [
            str(text) for value in details.values() if isinstance(value, list) for text in value
        ]
        errors["override"] = "; ".join(problems) or exc.message
    elif not errors or exc.message != type(exc).default_message:
        errors["form"] = exc.message
    return errors, needs_override


def _planned(request: HttpRequest, work_order, technician_id: UUID) -> HttpResponse:
    text = f"{work_order.reference} planned."
    if request.htmx:
        response = render(request, "dispatch/board.html#planned", {"text": text, "wo": work_order})
        return trigger_client_event(response, "board:refresh")
    messages.success(request, text)
    return redirect("board")


def _start_text(raw: str, start: datetime | None, planned: datetime | None, zone) -> str:
    """The start field's value: the time in the organisation's zone (a drop sends it with an
    offset, a datetime-local field has none), what was typed if it did not parse, else the
    job's planned start."""
    if raw.strip() and start is None:
        return raw
    chosen = start or planned
    return timezone.localtime(chosen, zone).strftime("%Y-%m-%dT%H:%M") if chosen else ""


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else max(1, round(seconds * 1000))
