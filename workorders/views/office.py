"""Dispatchers and supervisors: every work order, filtered, with paging."""

from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from assets.models import Asset
from fieldops.errors import DomainError, ValidationFailed
from fieldops.inputs import field_problems, page_input
from fieldops.pagination import cursor_paginate
from workorders.models import Priority, Status, WorkType
from workorders.schemas import WorkOrderIn
from workorders.selectors import WorkOrderFilters, work_order_search
from workorders.services import WorkOrderSpec, work_order_create
from workorders.services.sla import sla_state

PAGE_SIZE = 50
# The new-work-order form's names where they differ from WorkOrderIn's.
NEW_FORM_NAMES = {"asset": "asset_id", "client_id": "id"}


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@login_required
@vary_on_headers("HX-Request")
def work_order_list(request: HttpRequest) -> HttpResponse:
    if request.membership is None:
        return redirect("no-organization")
    params = request.GET
    filters = WorkOrderFilters(
        status=params.get("status") or None,
        priority=params.get("priority") or None,
        work_type=params.get("work_type") or None,
        assignee=params.get("assignee") or None,
        overdue=True if params.get("overdue") == "1" else None,
        q=(params.get("q") or "").strip()[:100] or None,
        # The dashboards drill down by asset and by site (a location's whole subtree).
        asset=_uuid_or_none(params.get("asset")),
        location=_uuid_or_none(params.get("location")),
    )
    error = ""
    try:
        page = cursor_paginate(
            work_order_search(request.membership, filters),
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
            keys=("-id",),
        )
        rows = page.items
    except ValidationFailed as exc:
        error, rows, page = "; ".join(f"{k}: {v}" for k, v in exc.details.items()), [], None
    now = timezone.now()
    for row in rows:
        row.sla = sla_state(row, now=now)
    query = params.copy()
    query.pop("cursor", None)
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor if page else None,
        "query": query.urlencode(),
        "filters": params,
        "statuses": [("open", "All open"), *Status.choices],
        "priorities": Priority.choices,
        "types": WorkType.choices,
        "error": error,
    }
    if request.htmx and request.htmx.target == "wo-results":
        return render(request, "workorders/office/list.html#results", context)
    return render(request, "workorders/office/list.html", context)


@login_required
def work_order_new(request: HttpRequest) -> HttpResponse:
    """Open a work order from the office (technicians may too: they find problems on site)."""
    if request.membership is None:
        return redirect("no-organization")
    organization_id = request.membership.organization_id
    context = {
        "priorities": Priority.choices,
        "types": WorkType.choices,
        "assets": Asset.objects.filter(organization_id=organization_id)
        .order_by("code")
        .only("public_id", "code", "name")[:1000],
        "form": request.POST
        or {
            "priority": "p3",
            "work_type": "corrective",
            "asset": request.GET.get("asset", ""),
            "client_id": str(uuid4()),
        },
        "errors": {},
    }
    if request.method == "POST":
        try:
            payload = page_input(
                request, WorkOrderIn, names={"asset": "asset_id", "client_id": "id"}
            )
            work_order, _ = work_order_create(
                membership=request.membership,
                organization_id=organization_id,
                spec=WorkOrderSpec(**payload.model_dump(exclude={"id", "checklist"})),
                client_id=payload.id,
            )
        except DomainError as exc:
            context["errors"] = field_problems(exc.details) or {"__all__": exc.message}
            return render(request, "workorders/office/new.html", context, status=exc.status)
        messages.success(request, f"{work_order.reference} opened.")
        return redirect("workorders:detail", number=work_order.reference)
    return render(request, "workorders/office/new.html", context)
