"""Plan the day from the board: ask for a plan, watch it solve, read the proposal as a diff
against today's plan, accept all, a lane or one job. Views parse and call the services."""

from datetime import date
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets.models import Location
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import may, require
from fieldops.errors import DomainError, ValidationFailed
from workorders.dispatch.models import Crew, DayPlan, DayPlanStatus
from workorders.dispatch.planning import services
from workorders.dispatch.selectors import org_zone


def _viewer(request: HttpRequest) -> Membership:
    membership = request.membership
    require(membership, "board.view")
    return membership


def _scope(raw: str) -> tuple[UUID | None, UUID | None]:
    kind, _, value = (raw or "").partition(":")
    if not value:
        return None, None
    try:
        uid = UUID(value)
    except ValueError as error:
        raise ValidationFailed(details={"scope": "Choose a site, a crew or everyone."}) from error
    return (uid, None) if kind == "site" else (None, uid)


@login_required
@require_http_methods(["GET", "POST"])
def day_plan_new(request: HttpRequest) -> HttpResponse:
    membership = _viewer(request)
    zone = org_zone(membership)
    today = timezone.now().astimezone(zone).date()
    form = {
        "day": request.POST.get("day") or request.GET.get("day") or today.isoformat(),
        "scope": request.POST.get("scope", ""),
    }
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            try:
                day = date.fromisoformat(form["day"])
            except ValueError as error:
                raise ValidationFailed(details={"day": "Pick a date."}) from error
            site_id, crew_id = _scope(form["scope"])
            plan = services.day_plan_request(
                membership=membership, day=day, site_id=site_id, crew_id=crew_id
            )
            return redirect("dispatch:day-plan", day_plan_id=plan.public_id)
        except DomainError as error:
            errors = error.details or {"form": error.message}
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
            technician=request.POST.get("technician") or None,
            work_order=request.POST.get("work_order") or None,
        )
    except DomainError as error:
        return _detail(request, membership, plan, error=error.message, status=error.status)
    return _detail(request, membership, plan, result=result)
