"""Dispatchers and supervisors: every work order, filtered, with paging."""

from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.vary import vary_on_headers

from assets.models import Asset
from fieldops.errors import DomainError, ValidationFailed
from fieldops.pagination import cursor_paginate
from workorders.models import Priority, Status, WorkType
from workorders.selectors import WorkOrderFilters, work_order_search
from workorders.services import WorkOrderSpec, work_order_create
from workorders.services.sla import sla_state

PAGE_SIZE = 50


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
        post = request.POST
        try:
            asset_id = UUID(post["asset"]) if post.get("asset") else None
            spec = WorkOrderSpec(
                title=post.get("title", ""),
                description=post.get("description", ""),
                priority=post.get("priority", ""),
                work_type=post.get("work_type", ""),
                asset_id=asset_id,
                scheduled_start=_local_datetime(post.get("scheduled_start", ""), "scheduled_start"),
                estimated_minutes=_int_or_none(
                    post.get("estimated_minutes", ""), "estimated_minutes"
                ),
            )
            work_order, _ = work_order_create(
                membership=request.membership,
                organization_id=organization_id,
                spec=spec,
                client_id=_uuid_or_none(post.get("client_id", "")),
            )
        except (ValueError, DomainError) as exc:
            details = getattr(exc, "details", {"asset_id": "Choose an asset from the list."})
            context["errors"] = details
            return render(request, "workorders/office/new.html", context, status=422)
        messages.success(request, f"{work_order.reference} opened.")
        return redirect("workorders:detail", number=work_order.reference)
    return render(request, "workorders/office/new.html", context)


def _local_datetime(raw: str, field: str):
    if not raw.strip():
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise ValidationFailed(details={field: "Pick a date and time."})
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _int_or_none(raw: str, field: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed(details={field: "A whole number of minutes."})
    return int(raw)


def _uuid_or_none(raw: str) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None
