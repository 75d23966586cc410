"""Plan the day from the board: ask for a plan, watch it solve, read the proposal as a diff
against today's plan, accept all, a lane or one job. Views parse and call the services."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets.models import Location
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import may, require
from fieldops.errors import DomainError
from fieldops.inputs import field_problems, page_input, typed_text
from fieldops.time import today_in, zone_of
from workorders.dispatch.models import Crew, DayPlan, DayPlanStatus
from workorders.dispatch.planning import services
from workorders.dispatch.schemas import DayPlanAcceptIn, DayPlanFormIn


def _viewer(request: HttpRequest) -> Membership:
    membership = request.membership
    require(membership, "board.view")
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def day_plan_new(request: HttpRequest) -> HttpResponse:
    membership = _viewer(request)
    zone = zone_of(membership)
    today = today_in(zone)
    typed = {name: typed_text(request, name) for name in ("day", "scope")}
    form = {
        "day": typed["day"] or request.GET.get("day") or today.isoformat(),
        "scope": typed["scope"],
    }
    errors: dict = {}
    status = 200
    if request.method == "POST":
        require(membership, "work.dispatch")  # before the form: no fixing it only to be refused
        try:
            asked = page_input(request, DayPlanFormIn)
            plan = services.day_plan_request(
                membership=membership, day=asked.day, site_id=asked.site, crew_id=asked.crew
            )
            return redirect("dispatch:day-plan", day_plan_id=plan.public_id)
        except DomainError as error:
            errors = field_problems(error.details) or {"form": error.message}
            for chosen in ("site", "crew"):  # the service's word on either is the scope's
                if chosen in errors:
                    errors.setdefault("scope", errors.pop(chosen))
            status = error.status
    organization_id = membership.organization_id
    context = {
        "form": form,
        "errors": errors,
        "can_plan": may(membership, "work.dispatch"),
        "scopes": [
            (f"site:{s.public_id}", f"Site: {s.name}")
            for s in Location.objects.filter(organization_id=organization_id, parent__isnull=True)
            .only("public_id", "name")
            .order_by("name")
        ]
        + [
            (f"crew:{c.public_id}", f"Crew: {c.name}")
            for c in Crew.objects.filter(organization_id=organization_id).order_by("name")
        ],
        "recent": DayPlan.objects.filter(organization_id=organization_id)
        .select_related("site", "crew")
        .order_by("-created_at")[:10],
    }
    return render(request, "dispatch/day_plan_new.html", context, status=status)


def _detail(request, membership, plan, *, result=None, error=None, status=200) -> HttpResponse:
    context = {
        "plan": plan,
        "progress": services.day_plan_progress(plan),
        "solving": plan.status in (DayPlanStatus.QUEUED, DayPlanStatus.SOLVING),
        "proposal": plan.proposal,
        "can_plan": may(membership, "work.dispatch"),
        "result": result,
        "error": error,
    }
    template = "dispatch/day_plan.html"
    if request.htmx and request.method == "GET":
        template += "#plan-body"
    return render(request, template, context, status=status)


@login_required
@require_GET
def day_plan(request: HttpRequest, day_plan_id: UUID) -> HttpResponse:
    membership = _viewer(request)
    plan = services.day_plan_get_for_member(membership, day_plan_id)
    return _detail(request, membership, plan)


@login_required
@require_POST
def day_plan_accept(request: HttpRequest, day_plan_id: UUID) -> HttpResponse:
    membership = _viewer(request)
    plan = services.day_plan_get_for_member(membership, day_plan_id)
    try:
        result = services.day_plan_accept(
            membership=membership,
            plan=plan,
            **page_input(request, DayPlanAcceptIn).model_dump(),
        )
    except DomainError as error:
        return _detail(request, membership, plan, error=error.message, status=error.status)
    return _detail(request, membership, plan, result=result)
