"""Asset registry factories. Trees go through the services, so paths are always right."""

from datetime import datetime

from assets import services
from assets.models import Asset, Location, Meter, MeterReading
from fieldops.accounts.models import Membership


def make_location(
    manager: Membership, code: str, *, kind: str = "site", parent: Location | None = None
) -> Location:
    return services.location_create(
        membership=manager,
        code=code,
        name=f"{kind.title()} {code}",
        kind=kind,
        parent_id=parent.public_id if parent else None,
    )


def make_asset(
    manager: Membership,
    code: str,
    *,
    location: Location | None = None,
    parent: Asset | None = None,
    **fields,
) -> Asset:
    fields.setdefault("name", f"Asset {code}")
    return services.asset_create(
        membership=manager,
        code=code,
        location=location.public_id if location else None,
        parent=parent.public_id if parent else None,
        **fields,
    )


def make_meter(
    manager: Membership,
    asset: Asset,
    *,
    name: str = "Run hours",
    kind: str = "cumulative",
    unit: str = "h",
    min_value: float | None = 0,
    max_value: float | None = None,
) -> Meter:
    return services.meter_create(
        membership=manager,
        asset_id=asset.public_id,
        name=name,
        kind=kind,
        unit=unit,
        min_value=min_value,
        max_value=max_value,
    )


def make_reading(
    member: Membership, meter: Meter, value: float, taken_at: datetime, **kw
) -> MeterReading:
    reading, _ = services.reading_record(
        membership=member,
        organization_id=member.organization_id,
        meter_id=meter.public_id,
        value=value,
        taken_at=taken_at,
        **kw,
    )
    return reading
