"""GET /assets renders its page without ninja's per-item validation: same bytes as the schema."""

import json
from decimal import Decimal

import pytest
from ninja.responses import NinjaJSONEncoder

from assets.models import Asset
from assets.schemas import AssetPage
from tests.assets.factories import make_asset, make_location

pytestmark = pytest.mark.django_db


def test_asset_page_bytes_match_the_schema_rendering(with_token, admin_member, rf):
    site = make_location(admin_member, "S-1")
    parent = make_asset(admin_member, "A-1", location=site, name="Line <one>")
    make_asset(admin_member, "A-2", parent=parent, latitude=Decimal("60.1699"))
    make_asset(admin_member, "A-3", install_date="2024-02-29")
    response = with_token(admin_member).get("/api/v1/assets?limit=2")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert [a["code"] for a in body["items"]] == ["A-1", "A-2"]

    from assets.api import asset_out

    request = rf.get("/api/v1/assets")
    assets = Asset.objects.select_related("location", "parent").order_by("code")[:2]
    page = AssetPage.model_validate(
        {"items": [asset_out(request, a) for a in assets], "next_cursor": body["next_cursor"]}
    )
    assert response.content.decode() == json.dumps(page.model_dump(), cls=NinjaJSONEncoder)
    first = body["items"][0]
    assert first["url"] == f"http://testserver/assets/{first['id']}/"
    assert first["qr_code_url"].startswith("http://testserver/")
    assert first["id"] in first["qr_code_url"]
    rest = with_token(admin_member).get(f"/api/v1/assets?limit=2&cursor={body['next_cursor']}")
    assert [a["code"] for a in rest.json()["items"]] == ["A-3"]
