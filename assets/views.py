"""htmx pages of the asset registry. Thin: parse, call a selector or service, render."""

from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets import selectors, services
from assets.charts import reading_chart
from assets.models import AssetStatus, Criticality, MeterKind
from assets.schemas import ReadingIn, RegisterImportIn, StatusIn
from fieldops.accounts.permissions import may
from fieldops.errors import DomainError, NotFound, ValidationFailed
from fieldops.inputs import field_problems, page_input, typed_text
from fieldops.pagination import cursor_paginate
from fieldops.time import zone_of

PAGE_SIZE = 25
MAX_LABELS = 120


def member_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, acting in an organisation; a NotFound (another organisation's row) is a 404."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.membership is None:
            return redirect("no-organization")
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "assets/not_found.html", status=404)

    return wrapper


def _org(request: HttpRequest) -> int:
    return request.membership.organization_id


def _filters(request: HttpRequest) -> selectors.AssetFilters:
    get = request.GET
    return selectors.AssetFilters(
        location=get.get("location") or None,
        asset_type=get.get("type", ""),
        status=get.get("status", "") if get.get("status") in AssetStatus.values else "",
        criticality=(
            get.get("criticality", "") if get.get("criticality") in Criticality.values else ""
        ),
        q=get.get("q", "")[:100],
    )


@member_view
def asset_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    qs = selectors.assets_list(organization_id=_org(request), filters=filters)
    try:
        page = cursor_paginate(
            qs, cursor=request.GET.get("cursor"), limit=PAGE_SIZE, keys=("code", "id")
        )
    except ValidationFailed:
        page = cursor_paginate(qs, cursor=None, limit=PAGE_SIZE, keys=("code", "id"))
    query = request.GET.copy()
    query.pop("cursor", None)
    next_query = None
    if page.next_cursor:
        query["cursor"] = page.next_cursor
        next_query = query.urlencode()
        query.pop("cursor")
    context = {
        "assets": page.items,
        "next_query": next_query,
        "filter_query": query.urlencode(),
        "filters": filters,
        "first_page": not request.GET.get("cursor"),
    }
    if request.htmx and request.htmx.target == "asset-results":
        return render(request, "assets/list.html#results", context)
    context.update(
        location_options=[
            (str(loc.public_id), "\u2003" * loc.depth + loc.name)
            for loc in selectors.location_tree(organization_id=_org(request))
        ],
        types=selectors.asset_types(organization_id=_org(request)),
        statuses=AssetStatus.choices,
        criticalities=Criticality.choices,
        can_manage=may(request.membership, "assets.manage"),
    )
    return render(request, "assets/list.html", context)


@member_view
def asset_detail(request: HttpRequest, asset_id: str) -> HttpResponse:
    asset = selectors.asset_get(organization_id=_org(request), asset_id=asset_id)
    meters = list(asset.meters.order_by("name"))
    charts = {m.pk: reading_chart(selectors.meter_chart(m)) for m in meters}
    context = {
        "asset": asset,
        "locations": [*selectors.location_ancestors(asset.location), asset.location]
        if asset.location
        else [],
        "ancestors": selectors.asset_ancestors(asset),
        "children": selectors.asset_children(asset),
        "meters": [(m, charts[m.pk]) for m in meters],
        "history": selectors.asset_status_history(asset, limit=20),
        "statuses": AssetStatus.choices,
        "can_manage": may(request.membership, "assets.manage"),
        "qr_svg": _qr(request, asset.public_id, scale=4),
    }
    return render(request, "assets/detail.html", context)


def _asset_url(request: HttpRequest, asset_id: Any) -> str:
    """What a label encodes: the scan address served by the work-order app (a path, not an
    import — assets sits below it). Staff who scan it reach this asset's page; a passer-by
    reaches the no-login problem report form."""
    return request.build_absolute_uri(f"/r/{asset_id}/")


def _qr(request: HttpRequest, asset_id: Any, *, scale: int) -> str:
    code = segno.make(_asset_url(request, asset_id), error="m")
    return code.svg_inline(scale=scale, border=2, omitsize=True)


@member_view
def asset_qr(request: HttpRequest, asset_id: str) -> HttpResponse:
    asset = selectors.asset_get(organization_id=_org(request), asset_id=asset_id)
    svg = segno.make(_asset_url(request, asset.public_id), error="m").svg_inline(scale=8, border=4)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{asset.code}-qr.svg"'
    return response


@member_view
@require_POST
def asset_status(request: HttpRequest, asset_id: str) -> HttpResponse:
    try:
        asset = services.asset_change_status(
            membership=request.membership,
            organization_id=_org(request),
            asset_id=asset_id,
            **page_input(request, StatusIn).model_dump(),
        )
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, _first_error(exc))
        return redirect("assets:detail", asset_id=asset_id)
    messages.success(request, f"{asset.code} is now {asset.get_status_display().lower()}.")
    return redirect("assets:detail", asset_id=asset_id)


def _first_error(exc: DomainError) -> str:
    fields = exc.details.get("fields") or {}
    return next(iter(fields.values()), exc.message)


@member_view
def label_sheet(request: HttpRequest) -> HttpResponse:
    ids = request.GET.getlist("id")
    if ids:
        assets = selectors.asset_for_qr(organization_id=_org(request), asset_ids=ids[:MAX_LABELS])
    else:
        qs = selectors.assets_list(organization_id=_org(request), filters=_filters(request))
        assets = list(qs.order_by("code")[: MAX_LABELS + 1])
    truncated = len(assets) > MAX_LABELS
    labels = [(a, _qr(request, a.public_id, scale=3)) for a in assets[:MAX_LABELS]]
    return render(
        request,
        "assets/labels.html",
        {"labels": labels, "truncated": truncated, "max_labels": MAX_LABELS},
    )


@member_view
@require_http_methods(["GET", "POST"])
def reading_entry(request: HttpRequest, meter_id: str) -> HttpResponse:
    meter = selectors.meter_get(organization_id=_org(request), meter_id=meter_id)
    now_local = timezone.localtime(timezone.now(), zone_of(request.membership))
    form = {"value": "", "taken_at": now_local.strftime("%Y-%m-%dT%H:%M"), "note": ""}
    errors: dict[str, str] = {}
    general_error = ""
    status = 200
    if request.method == "POST":
        form = {k: typed_text(request, k) for k in ("value", "taken_at", "note")}
        try:
            typed = page_input(request, ReadingIn, names={"client_id": "id"}, meter=meter.public_id)
            reading, _ = services.reading_record(
                membership=request.membership,
                organization_id=_org(request),
                meter_id=meter.public_id,
                value=typed.value,
                taken_at=typed.taken_at,
                is_replacement=typed.is_replacement,
                note=typed.note,
                reading_id=typed.id,
            )
        except DomainError as exc:
            errors = field_problems(exc.details)
            general_error = "" if errors else exc.message
            status = 422
        else:
            messages.success(
                request, f"Recorded {reading.value:g} {meter.unit} on {meter.asset.code}."
            )
            return redirect("assets:detail", asset_id=meter.asset.public_id)
    recent = list(meter.readings.order_by("-taken_at", "-id")[:5])
    context = {
        "meter": meter,
        "asset": meter.asset,
        "form": form,
        "errors": errors,
        "general_error": general_error,
        "recent": recent,
        "cumulative": meter.kind == MeterKind.CUMULATIVE,
        "time_zone": request.membership.organization.time_zone,
    }
    return render(request, "assets/reading_entry.html", context, status=status)


@member_view
@require_http_methods(["GET", "POST"])
def readings_import(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"report": None, "error": None}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose a CSV file to upload."
            status = 422
        else:
            try:
                context["report"] = services.readings_import_csv(
                    membership=request.membership, upload=upload
                )
            except DomainError as exc:
                context["error"] = exc.message
                context["details"] = exc.details
                status = 422
    return render(request, "assets/readings_import.html", context, status=status)


@member_view
@require_http_methods(["GET", "POST"])
def asset_import(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"report": None, "error": None, "dry_run": True}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = page_input(request, RegisterImportIn).dry_run
        context["dry_run"] = dry_run
        if upload is None:
            context["error"] = "Choose a CSV file to upload."
            status = 422
        else:
            try:
                context["report"] = services.asset_register_import(
                    membership=request.membership, upload=upload, dry_run=dry_run
                )
            except DomainError as exc:
                context["error"] = exc.message
                context["details"] = exc.details
                status = 403 if exc.status == 403 else 422
    return render(request, "assets/import.html", context, status=status)


@member_view
def location_tree(request: HttpRequest) -> HttpResponse:
    locations = selectors.location_tree(organization_id=_org(request))
    # Each location counts the assets of its whole subtree, as the list filter does.
    totals = {loc.pk: 0 for loc in locations}
    for loc in locations:
        for pk in [*loc.ancestor_ids(), loc.pk]:
            if pk in totals:
                totals[pk] += loc.asset_count
    for loc in locations:
        loc.subtree_count = totals[loc.pk]
    return render(request, "assets/locations.html", {"locations": locations})
