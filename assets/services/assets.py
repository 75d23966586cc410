"""Assets: registry records, their parent/child tree and status changes."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset, AssetStatus, AssetStatusChange, Criticality, Location
from assets.services._common import (
    MAX_TREE_DEPTH,
    FieldErrors,
    check_move,
    child_path,
    clean_choice,
    clean_coordinate,
    clean_date,
    clean_str,
    move_subtree,
    subtree_height,
)
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import NotFound, ValidationFailed, VersionConflict
from fieldops.events import publish_event
from fieldops.tenancy import get_for_organization

TEXT_FIELDS = {
    "code": 40,
    "name": 200,
    "asset_type": 60,
    "serial_number": 100,
    "manufacturer": 100,
    "model": 100,
}
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    "criticality",
    "location",
    "parent",
    "install_date",
    "warranty_end",
    "latitude",
    "longitude",
)
CODE_TAKEN = "Another asset already uses this code."


def search_text_for(asset: Asset) -> str:
    parts = (
        asset.code,
        asset.name,
        asset.asset_type,
        asset.serial_number,
        asset.manufacturer,
        asset.model,
    )
    return " ".join(p for p in parts if p).lower()[:600]


def _resolve(model: type, organization_id: int, public_id: Any, field: str, errors: FieldErrors):
    if public_id in (None, ""):
        return None
    if isinstance(public_id, model):
        return public_id
    try:
        return get_for_organization(
            model.objects.all(), organization_id=organization_id, public_id=public_id
        )
    except NotFound:
        errors.add(field, f"No such {model._meta.verbose_name}.")
        return None


def _code_taken(organization_id: int, code: str, exclude_pk: int | None) -> bool:
    qs = Asset.objects.filter(organization_id=organization_id, code__iexact=code)
    return qs.exclude(pk=exclude_pk).exists() if exclude_pk else qs.exists()


def asset_apply_fields(
    asset: Asset, changes: dict[str, Any], errors: FieldErrors
) -> tuple[list[str], Asset | None, bool]:
    """Validate ``changes`` onto ``asset`` (unsaved). Returns the changed field names, the new
    parent and whether the parent changes. The caller saves and moves the subtree."""
    org_id = asset.organization_id
    changed: list[str] = []

    def put(field: str, value: Any) -> None:
        if getattr(asset, field) != value:
            setattr(asset, field, value)
            changed.append(field)

    for field, limit in TEXT_FIELDS.items():
        if field in changes:
            required = field in ("code", "name")
            put(
                field, clean_str(errors, field, changes[field], max_length=limit, required=required)
            )
    if "code" in changes and asset.code and _code_taken(org_id, asset.code, asset.pk):
        errors.add("code", CODE_TAKEN)
    if "criticality" in changes:
        put(
            "criticality",
            clean_choice(errors, "criticality", changes["criticality"], Criticality.values),
        )
    for field in ("install_date", "warranty_end"):
        if field in changes:
            put(field, clean_date(errors, field, changes[field]))
    for field, limit in (("latitude", 90), ("longitude", 180)):
        if field in changes:
            put(field, clean_coordinate(errors, field, changes[field], limit))
    if "location" in changes:
        put("location", _resolve(Location, org_id, changes["location"], "location", errors))
    if asset.install_date and asset.warranty_end and asset.warranty_end < asset.install_date:
        errors.add("warranty_end", "The warranty cannot end before the install date.")
    new_parent, parent_changes = asset.parent, False
    if "parent" in changes:
        new_parent = _resolve(Asset, org_id, changes["parent"], "parent", errors)
        parent_changes = new_parent != asset.parent
        if parent_changes and new_parent is not None and asset.pk is not None:
            scope = Asset.objects.filter(organization_id=org_id)
            if problem := check_move(asset.path, new_parent, subtree_height(scope, asset)):
                errors.add("parent", problem)
        elif new_parent is not None and new_parent.depth + 1 >= MAX_TREE_DEPTH:
            errors.add("parent", f"The hierarchy may be at most {MAX_TREE_DEPTH} levels deep.")
    return changed, new_parent, parent_changes


def _save_new(asset: Asset, parent: Asset | None) -> None:
    asset.parent = parent
    asset.depth = parent.depth + 1 if parent else 0
    if asset.location_id is None and parent is not None:
        asset.location_id = parent.location_id
    asset.search_text = search_text_for(asset)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        raise ValidationFailed(details={"fields": {"code": CODE_TAKEN}}) from None
    asset.path = child_path(parent.path if parent else None, asset.pk)
    asset.save(update_fields=["path"])


def _record_status(
    asset: Asset, *, to_status: str, membership: Membership | None, reason: str, at: datetime
) -> AssetStatusChange:
    return AssetStatusChange.objects.create(
        organization_id=asset.organization_id,
        asset=asset,
        from_status=asset.status,
        to_status=to_status,
        changed_by=membership,
        changed_at=at,
        reason=reason,
    )


def asset_create(
    *, membership: Membership, status: str = AssetStatus.OPERATING, **fields: Any
) -> Asset:
    """Create an asset from public values (``location``/``parent`` are public ids)."""
    require(membership, "assets.manage")
    errors = FieldErrors()
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown asset fields: {sorted(unknown)}")
    fields.setdefault("code", "")
    fields.setdefault("name", "")
    status = clean_choice(errors, "status", status or AssetStatus.OPERATING, AssetStatus.values)
    asset = Asset(organization_id=membership.organization_id)
    with transaction.atomic():
        _, parent, _ = asset_apply_fields(asset, fields, errors)
        errors.raise_if_any()
        asset.status = status
        asset.status_changed_at = timezone.now()
        _save_new(asset, parent)
        _record_status_initial(asset, membership)
    return asset


def _record_status_initial(asset: Asset, membership: Membership | None) -> None:
    AssetStatusChange.objects.create(
        organization_id=asset.organization_id,
        asset=asset,
        from_status="",
        to_status=asset.status,
        changed_by=membership,
        changed_at=asset.status_changed_at or timezone.now(),
        reason="Registered",
    )


def asset_update(
    *, membership: Membership, asset_id: Any, version: int, changes: dict[str, Any]
) -> Asset:
    """Apply ``changes`` (any of EDITABLE_FIELDS) if ``version`` is still current; a new
    ``parent`` moves the asset with its whole subtree."""
    require(membership, "assets.manage")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown asset fields: {sorted(unknown)}")
    errors = FieldErrors()
    with transaction.atomic():
        asset = get_for_organization(
            Asset.objects.select_for_update(),
            organization_id=membership.organization_id,
            public_id=asset_id,
        )
        if asset.version != version:
            raise VersionConflict(details={"current_version": asset.version})
        changed, parent, parent_changes = asset_apply_fields(asset, changes, errors)
        errors.raise_if_any()
        save_asset_changes(asset, changed, parent, parent_changes)
    return asset


def save_asset_changes(
    asset: Asset, changed: list[str], parent: Asset | None, parent_changes: bool
) -> None:
    if parent_changes:
        move_subtree(Asset.objects.filter(organization_id=asset.organization_id), asset, parent)
        asset.parent = parent
        changed += ["parent", "path", "depth"]
    if not changed:
        return
    asset.search_text = search_text_for(asset)
    asset.version += 1
    try:
        with transaction.atomic():
            asset.save(update_fields=[*changed, "search_text", "version", "updated_at"])
    except IntegrityError:
        raise ValidationFailed(details={"fields": {"code": CODE_TAKEN}}) from None


def asset_change_status(
    *,
    membership: Membership | None,
    asset_id: Any,
    organization_id: int,
    status: str,
    reason: str = "",
) -> Asset:
    """Move an asset to operating / down / retired, recording who, when and why, and announce
    ``asset.status_changed`` after commit. Setting the current status again is a no-op."""
    errors = FieldErrors()
    status = clean_choice(errors, "status", status, AssetStatus.values)
    reason = clean_str(errors, "reason", reason, max_length=500)
    errors.raise_if_any()
    with transaction.atomic():
        asset = get_for_organization(
            Asset.objects.select_for_update(), organization_id=organization_id, public_id=asset_id
        )
        if asset.status == status:
            return asset
        # Anyone on site may report an asset down or back up; retiring it (or bringing it back
        # from retirement) is a registry decision.
        if membership is not None and AssetStatus.RETIRED in (status, asset.status):
            require(membership, "assets.manage")
        apply_status(asset, status=status, membership=membership, reason=reason)
    return asset


def apply_status(asset: Asset, *, status: str, membership: Membership | None, reason: str) -> None:
    """Inside a transaction, with ``asset`` locked: write the change, its history row, and the
    event."""
    now = timezone.now()
    previous = asset.status
    _record_status(asset, to_status=status, membership=membership, reason=reason, at=now)
    asset.status, asset.status_changed_at = status, now
    asset.version += 1
    asset.save(update_fields=["status", "status_changed_at", "version", "updated_at"])
    publish_event(
        "asset.status_changed",
        organization_id=asset.organization_id,
        data={
            "asset_id": str(asset.public_id),
            "code": asset.code,
            "from": previous,
            "to": status,
            "reason": reason,
            "changed_by": str(membership.public_id) if membership else None,
            "changed_at": now.isoformat(),
        },
    )
