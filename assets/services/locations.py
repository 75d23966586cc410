"""Locations: site → building → area, a tree per organisation."""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from assets.models import Location, LocationKind
from assets.services._common import (
    MAX_TREE_DEPTH,
    FieldErrors,
    check_move,
    child_path,
    clean_choice,
    clean_coordinate,
    clean_str,
    move_subtree,
    subtree_height,
)
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import NotFound, ValidationFailed, VersionConflict
from fieldops.tenancy import get_for_organization

# Which kind of location may hold which: a site is always a root.
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    LocationKind.SITE: (),
    LocationKind.BUILDING: (LocationKind.SITE,),
    LocationKind.AREA: (LocationKind.BUILDING, LocationKind.AREA),
}
EDITABLE_FIELDS = ("code", "name", "address", "latitude", "longitude", "parent")


def _parent_error(kind: str, parent: Location | None) -> str | None:
    allowed = ALLOWED_PARENT_KINDS.get(kind, ())
    if parent is None:
        return None if not allowed else f"A {kind} must sit inside a {' or '.join(allowed)}."
    if parent.kind not in allowed:
        if not allowed:
            return "A site is a top-level location and has no parent."
        return f"A {kind} can only sit inside a {' or '.join(allowed)}."
    return None


def _code_taken(organization_id: int, code: str, exclude_pk: int | None = None) -> bool:
    qs = Location.objects.filter(organization_id=organization_id, code__iexact=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _resolve_parent(organization_id: int, parent_id: Any) -> Location | None:
    if parent_id in (None, ""):
        return None
    try:
        return get_for_organization(
            Location.objects.select_for_update(),
            organization_id=organization_id,
            public_id=parent_id,
        )
    except NotFound:  # the field's error, not a 404 of the whole request
        raise ValidationFailed(details={"fields": {"parent": "No such location."}}) from None


def location_create(
    *,
    membership: Membership,
    code: str,
    name: str,
    kind: str,
    parent_id: Any = None,
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
) -> Location:
    require(membership, "assets.manage")
    org_id = membership.organization_id
    errors = FieldErrors()
    code = clean_str(errors, "code", code, max_length=40, required=True)
    name = clean_str(errors, "name", name, max_length=200, required=True)
    kind = clean_choice(errors, "kind", kind, LocationKind.values)
    address = clean_str(errors, "address", address, max_length=300)
    lat = clean_coordinate(errors, "latitude", latitude, 90)
    lon = clean_coordinate(errors, "longitude", longitude, 180)
    errors.raise_if_any()
    with transaction.atomic():
        parent = _resolve_parent(org_id, parent_id)
        if problem := _parent_error(kind, parent):
            errors.add("parent", problem)
        if parent is not None and parent.depth + 1 >= MAX_TREE_DEPTH:
            errors.add("parent", "The location tree is too deep here.")
        if _code_taken(org_id, code):
            errors.add("code", "Another location already uses this code.")
        errors.raise_if_any()
        location = Location(
            organization_id=org_id,
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            address=address,
            latitude=lat,
            longitude=lon,
            depth=parent.depth + 1 if parent else 0,
        )
        try:
            with transaction.atomic():
                location.save()
        except IntegrityError:
            raise ValidationFailed(
                details={"fields": {"code": "Another location already uses this code."}}
            ) from None
        location.path = child_path(parent.path if parent else None, location.pk)
        location.save(update_fields=["path"])
    return location


def location_update(
    *, membership: Membership, location_id: Any, version: int, changes: dict[str, Any]
) -> Location:
    """Apply ``changes`` (any of EDITABLE_FIELDS; ``parent`` is a public id or None to move
    the location with its whole subtree) if ``version`` is still current."""
    require(membership, "assets.manage")
    org_id = membership.organization_id
    errors = FieldErrors()
    with transaction.atomic():
        location = get_for_organization(
            Location.objects.select_for_update(), organization_id=org_id, public_id=location_id
        )
        if location.version != version:
            raise VersionConflict(details={"current_version": location.version})
        fields: list[str] = []
        if "code" in changes:
            location.code = clean_str(errors, "code", changes["code"], max_length=40, required=True)
            if location.code and _code_taken(org_id, location.code, exclude_pk=location.pk):
                errors.add("code", "Another location already uses this code.")
            fields.append("code")
        if "name" in changes:
            location.name = clean_str(
                errors, "name", changes["name"], max_length=200, required=True
            )
            fields.append("name")
        if "address" in changes:
            location.address = clean_str(errors, "address", changes["address"], max_length=300)
            fields.append("address")
        for field, limit in (("latitude", 90), ("longitude", 180)):
            if field in changes:
                setattr(location, field, clean_coordinate(errors, field, changes[field], limit))
                fields.append(field)
        if "parent" in changes:
            parent = _resolve_parent(org_id, changes["parent"])
            scope = Location.objects.filter(organization_id=org_id)
            problem = _parent_error(location.kind, parent) or check_move(
                location.path, parent, subtree_height(scope, location)
            )
            if problem:
                errors.add("parent", problem)
            errors.raise_if_any()
            if parent != location.parent:
                move_subtree(scope, location, parent)
                location.parent = parent
                fields += ["parent", "path", "depth"]
        errors.raise_if_any()
        location.version += 1
        location.save(update_fields=[*fields, "version", "updated_at"])
    return location
