"""ERP equipment and locations into the asset registry, through the asset services."""

from __future__ import annotations

from typing import Any

from assets.models import Asset, AssetStatus, Location, LocationKind
from assets.services import (
    asset_change_status,
    asset_create,
    asset_update,
    location_create,
    location_update,
)
from integrations.models import ExternalReference
from integrations.services.local._common import ASSET, LOCATION, Context, clip, linked_id
from integrations.unified import Asset as UnifiedAsset
from integrations.unified import Location as UnifiedLocation


def _public_id(model: type[Asset] | type[Location], pk: int | None) -> Any:
    if pk is None:
        return None
    return model.objects.filter(pk=pk).values_list("public_id", flat=True).first()


def _find_asset(ctx: Context, ref: ExternalReference, code: str) -> Asset | None:
    """The asset this record became, or one FieldOps already has under the same code (adopted
    rather than refused: registries are often seeded from the ERP by hand first)."""
    scope = Asset.objects.filter(organization_id=ctx.organization_id)
    pk = linked_id(ref, ASSET)
    found = scope.filter(pk=pk).first() if pk else None
    return found or scope.filter(code__iexact=code).first()


def asset_upsert(ctx: Context, ref: ExternalReference, record: UnifiedAsset) -> tuple[str, int]:
    code = clip(record.code, 40)
    fields: dict[str, Any] = {
        "code": code,
        "name": clip(record.name, 200) or code,
        "asset_type": clip(record.asset_type, 60),
        "serial_number": clip(record.serial_number, 100),
        "manufacturer": clip(record.manufacturer, 100),
        "model": clip(record.model, 100),
        "install_date": record.install_date,
        "location": _public_id(Location, ctx.local_id("locations", record.location_remote_id)),
        "parent": _public_id(Asset, ctx.local_id("assets", record.parent_remote_id)),
    }
    status = AssetStatus.RETIRED if record.is_deleted else record.status
    asset = _find_asset(ctx, ref, code)
    if asset is None:
        asset = asset_create(membership=ctx.actor, status=status, **fields)
        return ASSET, asset.pk
    if asset.parent_id and fields["parent"] is None:
        del fields["parent"]  # a parent set in FieldOps stays while the ERP names none we know
    asset = asset_update(
        membership=ctx.actor, asset_id=asset.public_id, version=asset.version, changes=fields
    )
    if asset.status != status:
        asset_change_status(
            membership=ctx.actor,
            asset_id=asset.public_id,
            organization_id=ctx.organization_id,
            status=status,
            reason="Changed in the ERP",
        )
    return ASSET, asset.pk


def asset_retire(ctx: Context, ref: ExternalReference) -> None:
    pk = linked_id(ref, ASSET)
    public_id = _public_id(Asset, pk)
    if public_id is not None:
        asset_change_status(
            membership=ctx.actor,
            asset_id=public_id,
            organization_id=ctx.organization_id,
            status=AssetStatus.RETIRED,
            reason="Deleted in the ERP",
        )


def _location_kind(parent: Location | None) -> str:
    # FieldOps's tree is site → building → area; an ERP's warehouses, plants and storerooms
    # take the place their parent gives them.
    if parent is None:
        return LocationKind.SITE
    return LocationKind.BUILDING if parent.kind == LocationKind.SITE else LocationKind.AREA


def location_upsert(
    ctx: Context, ref: ExternalReference, record: UnifiedLocation
) -> tuple[str, int]:
    code = clip(record.code or record.remote_id, 40)
    scope = Location.objects.filter(organization_id=ctx.organization_id)
    parent_pk = ctx.local_id("locations", record.parent_remote_id)
    parent = scope.filter(pk=parent_pk).first() if parent_pk else None
    pk = linked_id(ref, LOCATION)
    location = (scope.filter(pk=pk).first() if pk else None) or scope.filter(
        code__iexact=code
    ).first()
    if location is None:
        location = location_create(
            membership=ctx.actor,
            code=code,
            name=clip(record.name, 200) or code,
            kind=_location_kind(parent),
            parent_id=parent.public_id if parent else None,
            address=clip(record.address, 300),
        )
        return LOCATION, location.pk
    changes: dict[str, Any] = {"code": code, "name": clip(record.name, 200) or code}
    if record.address is not None:
        changes["address"] = clip(record.address, 300)
    if parent is not None and parent.pk != location.parent_id:
        changes["parent"] = parent.public_id
    current = {"code": location.code, "name": location.name, "address": location.address}
    if any(current.get(k) != v for k, v in changes.items() if k != "parent") or (
        "parent" in changes
    ):
        location = location_update(
            membership=ctx.actor,
            location_id=location.public_id,
            version=location.version,
            changes=changes,
        )
    return LOCATION, location.pk
