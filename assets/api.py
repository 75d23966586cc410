"""The asset registry's JSON API: /locations, /assets, /meters, /readings."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder

from assets import selectors, services
from assets.models import Asset, Location, Meter, MeterReading
from assets.schemas import (
    AssetIn,
    AssetOut,
    AssetPage,
    AssetPatch,
    BatchIn,
    BatchOut,
    ChartOut,
    LocationIn,
    LocationOut,
    LocationPage,
    LocationPatch,
    MeterIn,
    MeterOut,
    MeterPage,
    MeterPatch,
    ReadingIn,
    ReadingOut,
    ReadingPage,
    RegisterImportIn,
    RegisterOut,
    StatusChangeOut,
    StatusIn,
)
from assets.services.imports import BatchReport, RegisterReport
from fieldops.errors import VersionConflict
from fieldops.pagination import cursor_paginate

router = Router(tags=["assets"])


class PageParams(Schema):
    cursor: str | None = None
    limit: int = 50
    updated_since: datetime | None = None


def _org(request: HttpRequest) -> int:
    return request.auth.organization_id


def _keys(params: PageParams, default: tuple[str, ...]) -> tuple[str, ...]:
    # A sync client pages in change order, so rows changed while it pages are not skipped.
    return ("updated_at", "id") if params.updated_since else default


def _ref(obj: Asset | Location | None) -> dict | None:
    return None if obj is None else {"id": obj.public_id, "code": obj.code, "name": obj.name}


def location_out(location: Location) -> dict[str, Any]:
    return {
        "id": location.public_id,
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "parent": _ref(location.parent),
        "depth": location.depth,
        "address": location.address,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "version": location.version,
        "created_at": location.created_at,
        "updated_at": location.updated_at,
    }


def asset_out(
    request: HttpRequest, asset: Asset, links: "AssetLinks | None" = None
) -> dict[str, Any]:
    links = links or AssetLinks(request)
    return {
        "id": asset.public_id,
        "code": asset.code,
        "name": asset.name,
        "asset_type": asset.asset_type,
        "criticality": asset.criticality,
        "status": asset.status,
        "status_changed_at": asset.status_changed_at,
        "location": _ref(asset.location),
        "parent": _ref(asset.parent),
        "depth": asset.depth,
        "serial_number": asset.serial_number,
        "manufacturer": asset.manufacturer,
        "model": asset.model,
        "install_date": asset.install_date,
        "warranty_end": asset.warranty_end,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "url": links.page(asset.public_id),
        "qr_code_url": links.qr(asset.public_id),
        "version": asset.version,
        "created_at": asset.created_at,
        "updated_at": asset.updated_at,
    }


class AssetLinks:
    """An asset's absolute page and QR URLs. Reversed and made absolute once per request (a
    list of 50 did it 100 times, host validation included), then only the id changes."""

    _SLOT = UUID(int=0)

    def __init__(self, request: HttpRequest) -> None:
        self._page = request.build_absolute_uri(reverse("assets:detail", args=[self._SLOT]))
        self._qr = request.build_absolute_uri(reverse("assets:qr", args=[self._SLOT]))

    def page(self, asset_id: UUID) -> str:
        return self._page.replace(str(self._SLOT), str(asset_id))

    def qr(self, asset_id: UUID) -> str:
        return self._qr.replace(str(self._SLOT), str(asset_id))


def meter_out(meter: Meter) -> dict[str, Any]:
    return {
        "id": meter.public_id,
        "asset": _ref(meter.asset),
        "name": meter.name,
        "kind": meter.kind,
        "unit": meter.unit,
        "min_value": meter.min_value,
        "max_value": meter.max_value,
        "last_value": meter.last_value,
        "last_reading_at": meter.last_reading_at,
        "version": meter.version,
        "created_at": meter.created_at,
        "updated_at": meter.updated_at,
    }


def reading_out(reading: MeterReading) -> dict[str, Any]:
    return {
        "id": reading.public_id,
        "meter": reading.meter.public_id,
        "asset": reading.meter.asset.public_id,
        "value": reading.value,
        "unit": reading.meter.unit,
        "taken_at": reading.taken_at,
        "source": reading.source,
        "is_replacement": reading.is_replacement,
        "note": reading.note,
        "created_at": reading.created_at,
    }


def batch_out(report: BatchReport) -> dict[str, Any]:
    return {
        "stored": report.stored,
        "duplicates": report.duplicates,
        "refused": report.refused,
        "rows": [vars(row) for row in report.rows],
    }


def register_out(report: RegisterReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "applied": report.applied,
        "created": report.count("create"),
        "updated": report.count("update"),
        "unchanged": report.count("unchanged"),
        "errors": report.count("error"),
        "rows": [vars(row) for row in report.rows],
    }


def _with_current(exc: VersionConflict, current: dict[str, Any]) -> VersionConflict:
    return VersionConflict(exc.message, details={**exc.details, "current": current})


# --- Locations ----------------------------------------------------------------------------------


class LocationFilters(PageParams):
    kind: str = ""
    parent: UUID | None = None
    q: str = ""


@router.get("/locations", response=LocationPage, summary="Locations (sites, buildings, areas)")
def location_list(request: HttpRequest, params: Query[LocationFilters]) -> dict:
    qs = selectors.locations_list(
        organization_id=_org(request),
        kind=params.kind,
        parent=params.parent,
        q=params.q,
        updated_since=params.updated_since,
    )
    page = cursor_paginate(
        qs, cursor=params.cursor, limit=params.limit, keys=_keys(params, ("path", "id"))
    )
    return {"items": [location_out(x) for x in page.items], "next_cursor": page.next_cursor}


@router.post("/locations", response={201: LocationOut}, summary="Add a location")
def location_create(request: HttpRequest, payload: LocationIn) -> Status:
    data = payload.dict()
    location = services.location_create(
        membership=request.auth, parent_id=data.pop("parent"), **data
    )
    return Status(201, location_out(location))


@router.get("/locations/{location_id}", response=LocationOut)
def location_detail(request: HttpRequest, location_id: UUID) -> dict:
    return location_out(
        selectors.location_get(organization_id=_org(request), location_id=location_id)
    )


@router.patch("/locations/{location_id}", response=LocationOut, summary="Edit or move a location")
def location_update(request: HttpRequest, location_id: UUID, payload: LocationPatch) -> dict:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    try:
        location = services.location_update(
            membership=request.auth, location_id=location_id, version=version, changes=changes
        )
    except VersionConflict as exc:
        current = selectors.location_get(organization_id=_org(request), location_id=location_id)
        raise _with_current(exc, location_out(current)) from None
    return location_out(location)


# --- Assets -------------------------------------------------------------------------------------


class AssetQuery(PageParams):
    location: UUID | None = None
    asset_type: str = ""
    status: str = ""
    criticality: str = ""
    q: str = ""
    parent: UUID | None = None


@router.get("/assets", response=AssetPage, summary="Assets, filtered and paged")
def asset_list(request: HttpRequest, params: Query[AssetQuery]) -> HttpResponse:
    qs = selectors.assets_list(
        organization_id=_org(request),
        filters=selectors.AssetFilters(
            location=params.location,
            asset_type=params.asset_type,
            status=params.status,
            criticality=params.criticality,
            q=params.q,
            parent=params.parent,
            updated_since=params.updated_since,
        ),
    )
    page = cursor_paginate(
        qs, cursor=params.cursor, limit=params.limit, keys=_keys(params, ("code", "id"))
    )
    links = AssetLinks(request)
    items = [asset_out(request, asset, links) for asset in page.items]
    # Built in AssetOut's shape and order from the model's own types: rendered as ninja would,
    # without validating each item again (that cost more than reading the page).
    body = json.dumps({"items": items, "next_cursor": page.next_cursor}, cls=NinjaJSONEncoder)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@router.post("/assets", response={201: AssetOut}, summary="Register an asset")
def asset_create(request: HttpRequest, payload: AssetIn) -> Status:
    asset = services.asset_create(membership=request.auth, **payload.dict())
    asset = selectors.asset_get(organization_id=_org(request), asset_id=asset.public_id)
    return Status(201, asset_out(request, asset))


@router.post(
    "/assets/import",
    response=RegisterOut,
    summary="Import an asset register from CSV (dry_run=true shows what would change)",
)
def asset_import(
    request: HttpRequest, file: File[UploadedFile], options: Query[RegisterImportIn]
) -> dict:
    report = services.asset_register_import(
        membership=request.auth, upload=file, dry_run=options.dry_run
    )
    return register_out(report)


@router.get("/assets/{asset_id}", response=AssetOut)
def asset_detail(request: HttpRequest, asset_id: UUID) -> dict:
    return asset_out(request, selectors.asset_get(organization_id=_org(request), asset_id=asset_id))


@router.patch("/assets/{asset_id}", response=AssetOut, summary="Edit or move an asset")
def asset_update(request: HttpRequest, asset_id: UUID, payload: AssetPatch) -> dict:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    try:
        services.asset_update(
            membership=request.auth, asset_id=asset_id, version=version, changes=changes
        )
    except VersionConflict as exc:
        current = selectors.asset_get(organization_id=_org(request), asset_id=asset_id)
        raise _with_current(exc, asset_out(request, current)) from None
    return asset_out(request, selectors.asset_get(organization_id=_org(request), asset_id=asset_id))


@router.post("/assets/{asset_id}/status", response=AssetOut, summary="Change an asset's status")
def asset_status(request: HttpRequest, asset_id: UUID, payload: StatusIn) -> dict:
    services.asset_change_status(
        membership=request.auth,
        organization_id=_org(request),
        asset_id=asset_id,
        status=payload.status,
        reason=payload.reason,
    )
    return asset_out(request, selectors.asset_get(organization_id=_org(request), asset_id=asset_id))


@router.get("/assets/{asset_id}/status-history", response=list[StatusChangeOut])
def asset_status_history(request: HttpRequest, asset_id: UUID) -> list[dict]:
    asset = selectors.asset_get(organization_id=_org(request), asset_id=asset_id)
    return [
        {
            "from_status": change.from_status,
            "to_status": change.to_status,
            "changed_by": change.changed_by.user.get_full_name() or change.changed_by.user.username
            if change.changed_by
            else None,
            "changed_at": change.changed_at,
            "reason": change.reason,
        }
        for change in selectors.asset_status_history(asset)
    ]


# --- Meters -------------------------------------------------------------------------------------


class MeterQuery(PageParams):
    asset: UUID | None = None
    kind: str = ""


@router.get("/meters", response=MeterPage)
def meter_list(request: HttpRequest, params: Query[MeterQuery]) -> dict:
    qs = selectors.meters_list(
        organization_id=_org(request),
        asset=params.asset,
        kind=params.kind,
        updated_since=params.updated_since,
    )
    page = cursor_paginate(
        qs, cursor=params.cursor, limit=params.limit, keys=_keys(params, ("id",))
    )
    return {"items": [meter_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post("/meters", response={201: MeterOut}, summary="Add a meter to an asset")
def meter_create(request: HttpRequest, payload: MeterIn) -> Status:
    data = payload.dict()
    meter = services.meter_create(membership=request.auth, asset_id=data.pop("asset"), **data)
    return Status(201, meter_out(meter))


@router.get("/meters/{meter_id}", response=MeterOut)
def meter_detail(request: HttpRequest, meter_id: UUID) -> dict:
    return meter_out(selectors.meter_get(organization_id=_org(request), meter_id=meter_id))


@router.patch("/meters/{meter_id}", response=MeterOut)
def meter_update(request: HttpRequest, meter_id: UUID, payload: MeterPatch) -> dict:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    try:
        meter = services.meter_update(
            membership=request.auth, meter_id=meter_id, version=version, changes=changes
        )
    except VersionConflict as exc:
        current = selectors.meter_get(organization_id=_org(request), meter_id=meter_id)
        raise _with_current(exc, meter_out(current)) from None
    return meter_out(meter)


class ChartQuery(Schema):
    since: datetime | None = None
    until: datetime | None = None


@router.get(
    "/meters/{meter_id}/chart",
    response=ChartOut,
    summary="Chart data: raw readings when few, else hourly or daily min/avg/max",
)
def meter_chart(request: HttpRequest, meter_id: UUID, params: Query[ChartQuery]) -> dict:
    meter = selectors.meter_get(organization_id=_org(request), meter_id=meter_id)
    chart = selectors.meter_chart(meter, since=params.since, until=params.until)
    return {
        "meter": meter.public_id,
        "unit": meter.unit,
        "kind": meter.kind,
        "since": chart.since,
        "until": chart.until,
        "bucket": chart.bucket,
        "points": [vars(p) for p in chart.points],
    }


# --- Readings -----------------------------------------------------------------------------------


class ReadingQuery(Schema):
    cursor: str | None = None
    limit: int = 50
    meter: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


@router.get("/readings", response=ReadingPage, summary="Readings, newest first")
def reading_list(request: HttpRequest, params: Query[ReadingQuery]) -> dict:
    qs = selectors.readings_list(
        organization_id=_org(request), meter=params.meter, since=params.since, until=params.until
    )
    page = cursor_paginate(qs, cursor=params.cursor, limit=params.limit, keys=("-taken_at", "-id"))
    return {"items": [reading_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/readings",
    response={201: ReadingOut, 200: ReadingOut},
    summary="Record a reading (201; 200 when the same client id was already stored)",
)
def reading_create(request: HttpRequest, payload: ReadingIn) -> Status:
    reading, created = services.reading_record(
        membership=request.auth,
        organization_id=_org(request),
        meter_id=payload.meter,
        value=payload.value,
        taken_at=payload.taken_at,
        unit=payload.unit,
        source=payload.source,
        is_replacement=payload.is_replacement,
        note=payload.note,
        reading_id=payload.id,
    )
    return Status(201 if created else 200, reading_out(reading))


@router.post(
    "/readings/batch",
    response=BatchOut,
    summary="Record up to 1000 readings; the answer says per row what was stored or refused",
)
def reading_batch(request: HttpRequest, payload: BatchIn) -> dict:
    rows = [
        {
            **row.dict(exclude={"meter", "meter_name"}),
            "meter_id": row.meter,
            "meter": row.meter_name,
        }
        for row in payload.readings
    ]
    report = services.readings_record_batch(
        membership=request.auth, rows=rows, source=payload.source
    )
    return batch_out(report)


@router.post(
    "/readings/import",
    response=BatchOut,
    summary="Import readings from CSV; per-row report, nothing stored from a malformed file",
)
def reading_import(request: HttpRequest, file: File[UploadedFile]) -> dict:
    report = services.readings_import_csv(membership=request.auth, upload=file)
    return batch_out(report)
