"""An asset's (and a location's) code is unique within its organisation, case-insensitively."""

import pytest

from assets.models import Asset
from fieldops.errors import ValidationFailed
from tests.assets.factories import make_asset, make_location


def test_duplicate_asset_code_is_refused_through_the_api(as_member, dispatcher, pump):
    response = as_member(dispatcher).post(
        "/api/v1/assets", {"code": "pmp-001", "name": "Another"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "VALIDATION_ERROR"
    assert "code" in body["details"]["fields"]
    assert Asset.objects.filter(organization=dispatcher.organization).count() == 1


def test_same_code_is_fine_in_another_organisation(pump, foreign_asset):
    rival_pump, _, _ = foreign_asset
    assert rival_pump.code == pump.code


def test_renaming_onto_a_taken_code_is_refused(as_member, dispatcher, pump):
    other = make_asset(dispatcher, "PMP-002")
    response = as_member(dispatcher).patch(
        f"/api/v1/assets/{other.public_id}",
        {"version": other.version, "code": "PMP-001"},
        content_type="application/json",
    )
    assert response.status_code == 422
    other.refresh_from_db()
    assert other.code == "PMP-002"


def test_location_codes_are_unique_per_organisation(dispatcher, site, other_org_user):
    with pytest.raises(ValidationFailed):
        make_location(dispatcher, "plant-1")
    assert make_location(other_org_user, "PLANT-1").code == "PLANT-1"


def test_database_constraint_backs_the_rule(dispatcher, pump):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(organization=dispatcher.organization, code="Pmp-001", name="x")
