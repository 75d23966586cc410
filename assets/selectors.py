"""Reads shared by the API and the pages. Every function takes the organisation explicitly."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from assets.models import Asset, AssetStatusChange, Location, Meter, MeterReading
from fieldops.errors import NotFound, ValidationFailed
from fieldops.tenancy import get_for_organization


@dataclass
class AssetFilters:
    location: Any = None  # a location public id: the location and everything inside it
    asset_type: str = ""
    status: str = ""
    criticality: str = ""
    q: str = ""
    parent: Any = None
    updated_since: datetime | None = None


def location_get(*, organization_id: int, location_id: Any) -> Location:
    return get_for_organization(
        Location.objects.select_related("parent"),
        organization_id=organization_id,
        public_id=location_id,
    )


def locations_list(
    *,
    organization_id: int,
    kind: str = "",
    parent: Any = None,
    q: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Location]:
    qs = Location.objects.filter(organization_id=organization_id).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent=location_get(organization_id=organization_id, location_id=parent))
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def location_tree(*, organization_id: int) -> list[Location]:
    """All locations in depth-first order (by path), each with ``asset_count``."""
    return list(
        Location.objects.filter(organization_id=organization_id)
        .annotate(asset_count=Count("assets"))
        .order_by("path")
    )


def location_ancestors(location: Location) -> list[Location]:
    ids = location.ancestor_ids()
    by_id = {loc.pk: loc for loc in Location.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def assets_list(*, organization_id: int, filters: AssetFilters) -> QuerySet[Asset]:
    qs = Asset.objects.filter(organization_id=organization_id).select_related("location", "parent")
    if filters.location:
        place = location_get(organization_id=organization_id, location_id=filters.location)
        qs = qs.filter(
            location__in=Location.objects.filter(
                organization_id=organization_id, path__startswith=place.path
            ).values("pk")
        )
    if filters.parent:
        parent = asset_get(organization_id=organization_id, asset_id=filters.parent)
        qs = qs.filter(parent=parent)
    if filters.asset_type:
        qs = qs.filter(asset_type=filters.asset_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.criticality:
        qs = qs.filter(criticality=filters.criticality)
    if filters.q.strip():
        qs = qs.filter(search_text__contains=filters.q.strip().lower())
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    return qs


def asset_types(*, organization_id: int) -> list[str]:
    return list(
        Asset.objects.filter(organization_id=organization_id)
        .exclude(asset_type="")
        .order_by("asset_type")
        .values_list("asset_type", flat=True)
        .distinct()
    )


def asset_get(*, organization_id: int, asset_id: Any) -> Asset:
    return get_for_organization(
        Asset.objects.select_related("location", "parent"),
        organization_id=organization_id,
        public_id=asset_id,
    )


def asset_ancestors(asset: Asset) -> list[Asset]:
    ids = [int(p) for p in asset.path.strip("/").split("/") if p][:-1]
    by_id = {a.pk: a for a in Asset.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def asset_children(asset: Asset) -> QuerySet[Asset]:
    return asset.children.order_by("code")


def asset_status_history(asset: Asset, limit: int = 50) -> list[AssetStatusChange]:
    return list(
        asset.status_changes.select_related("changed_by__user").order_by("-changed_at", "-id")[
            :limit
        ]
    )


def meters_list(
    *,
    organization_id: int,
    asset: Any = None,
    kind: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Meter]:
    qs = Meter.objects.filter(organization_id=organization_id).select_related("asset")
    if asset:
        qs = qs.filter(asset=asset_get(organization_id=organization_id, asset_id=asset))
    if kind:
        qs = qs.filter(kind=kind)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def meter_get(*, organization_id: int, meter_id: Any) -> Meter:
    return get_for_organization(
        Meter.objects.select_related("asset"), organization_id=organization_id, public_id=meter_id
    )


def readings_list(
    *,
    organization_id: int,
    meter: Any = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[MeterReading]:
    qs = MeterReading.objects.filter(organization_id=organization_id).select_related("meter__asset")
    if meter:
        qs = qs.filter(meter=meter_get(organization_id=organization_id, meter_id=meter))
    if since:
        qs = qs.filter(taken_at__gte=since)
    if until:
        qs = qs.filter(taken_at__lt=until)
    return qs


@dataclass
class ChartPoint:
    t: datetime
    avg: float
    min: float
    max: float
    last: float
    n: int


@dataclass
class ChartData:
    meter: Meter
    since: datetime
    until: datetime
    bucket: str  # raw | hour | day
    points: list[ChartPoint]


MAX_RAW_POINTS = 400


def meter_chart(
    meter: Meter, *, since: datetime | None = None, until: datetime | None = None
) -> ChartData:
    """A chart's worth of points, whatever the history's size: raw readings when few, else
    aggregated per hour (windows up to 14 days) or per day, in the database."""
    until = until or timezone.now()
    since = since or until - timedelta(days=90)
    if since >= until:
        raise ValidationFailed(details={"fields": {"since": "Must be before until."}})
    if until - since > timedelta(days=3660):
        raise ValidationFailed(details={"fields": {"since": "At most ten years at a time."}})
    window = meter.readings.filter(taken_at__gte=since, taken_at__lt=until)
    raw = list(
        window.order_by("taken_at", "id").values_list("taken_at", "value")[: MAX_RAW_POINTS + 1]
    )
    if len(raw) <= MAX_RAW_POINTS:
        points = [ChartPoint(t=t, avg=v, min=v, max=v, last=v, n=1) for t, v in raw]
        return ChartData(meter=meter, since=since, until=until, bucket="raw", points=points)
    bucket = "hour" if until - since <= timedelta(days=14) else "day"
    trunc = TruncHour if bucket == "hour" else TruncDay
    rows = (
        window.annotate(bucket=trunc("taken_at", tzinfo=UTC))
        .values("bucket")
        .annotate(avg=Avg("value"), low=Min("value"), high=Max("value"), n=Count("id"))
        .order_by("bucket")
    )
    points = [
        ChartPoint(
            t=r["bucket"], avg=r["avg"], min=r["low"], max=r["high"], last=r["high"], n=r["n"]
        )
        for r in rows
    ]
    return ChartData(meter=meter, since=since, until=until, bucket=bucket, points=points)


def asset_for_qr(*, organization_id: int, asset_ids: list[Any]) -> list[Asset]:
    try:
        return list(
            Asset.objects.filter(organization_id=organization_id, public_id__in=asset_ids)
            .select_related("location")
            .order_by("code")
        )
    except (ValueError, TypeError):
        raise NotFound() from None
