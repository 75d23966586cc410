"""Both hierarchies stay trees: valid kinds, no cycles, subtrees move whole."""

import pytest

from assets import services
from assets.models import Asset, Location
from fieldops.errors import ValidationFailed
from tests.assets.factories import make_asset, make_location


def test_site_cannot_have_a_parent(dispatcher, site):
    with pytest.raises(ValidationFailed) as exc:
        make_location(dispatcher, "S2", kind="site", parent=site)
    assert "parent" in exc.value.details["fields"]


def test_building_must_sit_in_a_site_and_area_in_a_building_or_area(
    dispatcher, site, building, area
):
    with pytest.raises(ValidationFailed):
        make_location(dispatcher, "B-ORPHAN", kind="building")
    with pytest.raises(ValidationFailed):
        make_location(dispatcher, "A-IN-SITE", kind="area", parent=site)
    nested = make_location(dispatcher, "A-NESTED", kind="area", parent=area)
    assert nested.path == f"{area.path}{nested.pk}/"
    assert nested.depth == 3


def test_moving_a_building_moves_its_areas_and_keeps_assets_found_by_subtree(
    dispatcher, site, building, area, pump, as_member
):
    other_site = make_location(dispatcher, "PLANT-2")
    services.location_update(
        membership=dispatcher,
        location_id=building.public_id,
        version=building.version,
        changes={"parent": other_site.public_id},
    )
    area.refresh_from_db()
    building.refresh_from_db()
    assert building.path == f"/{other_site.pk}/{building.pk}/"
    assert area.path == f"/{other_site.pk}/{building.pk}/{area.pk}/"
    client = as_member(dispatcher)
    moved = client.get(f"/api/v1/assets?location={other_site.public_id}").json()["items"]
    assert [a["code"] for a in moved] == ["PMP-001"]
    assert client.get(f"/api/v1/assets?location={site.public_id}").json()["items"] == []


def test_a_location_cannot_move_under_its_own_descendant(dispatcher, area):
    child = make_location(dispatcher, "A-CHILD", kind="area", parent=area)
    with pytest.raises(ValidationFailed) as exc:
        services.location_update(
            membership=dispatcher,
            location_id=area.public_id,
            version=area.version,
            changes={"parent": child.public_id},
        )
    assert "descendants" in exc.value.details["fields"]["parent"]
    area.refresh_from_db()
    assert area.parent_id != child.pk


def test_asset_cannot_become_its_own_parent_or_descendants_child(dispatcher, pump, as_member):
    motor = make_asset(dispatcher, "MTR-001", parent=pump)
    bearing = make_asset(dispatcher, "BRG-001", parent=motor)
    client = as_member(dispatcher)
    for new_parent in (pump, motor, bearing):
        pump.refresh_from_db()
        response = client.patch(
            f"/api/v1/assets/{pump.public_id}",
            {"version": pump.version, "parent": str(new_parent.public_id)},
            content_type="application/json",
        )
        assert response.status_code == 422, new_parent.code
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    pump.refresh_from_db()
    assert pump.parent_id is None


def test_moving_an_asset_moves_its_components(dispatcher, pump):
    motor = make_asset(dispatcher, "MTR-001", parent=pump)
    bearing = make_asset(dispatcher, "BRG-001", parent=motor)
    skid = make_asset(dispatcher, "SKID-1")
    services.asset_update(
        membership=dispatcher,
        asset_id=motor.public_id,
        version=Asset.objects.get(pk=motor.pk).version,
        changes={"parent": skid.public_id},
    )
    bearing.refresh_from_db()
    motor.refresh_from_db()
    assert motor.parent_id == skid.pk
    assert bearing.path == f"/{skid.pk}/{motor.pk}/{bearing.pk}/"
    assert bearing.depth == 2
    # and back to the top of the tree
    services.asset_update(
        membership=dispatcher,
        asset_id=motor.public_id,
        version=motor.version,
        changes={"parent": None},
    )
    bearing.refresh_from_db()
    assert bearing.path == f"/{motor.pk}/{bearing.pk}/"


def test_tree_depth_is_bounded(dispatcher):
    node = make_asset(dispatcher, "L0")
    for level in range(1, 12):
        node = make_asset(dispatcher, f"L{level}", parent=node)
    with pytest.raises(ValidationFailed):
        make_asset(dispatcher, "L12", parent=node)
    assert not Asset.objects.filter(code="L12").exists()


def test_parent_location_of_other_organisation_is_refused(dispatcher, foreign_asset):
    _, _, rival_site = foreign_asset
    with pytest.raises(ValidationFailed):
        make_location(dispatcher, "B-X", kind="building", parent=rival_site)
    assert not Location.objects.filter(code="B-X").exists()
