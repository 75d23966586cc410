"""Another organisation's location, asset or meter is a 404 everywhere: API and pages."""

import pytest

from assets.models import Asset, AssetStatusChange, MeterReading


@pytest.fixture
def rival(foreign_asset):
    asset, meter, site = foreign_asset
    return {"asset": asset.public_id, "meter": meter.public_id, "site": site.public_id}


API_READS = [
    "/api/v1/assets/{asset}",
    "/api/v1/assets/{asset}/status-history",
    "/api/v1/meters/{meter}",
    "/api/v1/meters/{meter}/chart",
    "/api/v1/locations/{site}",
    "/api/v1/assets?location={site}",
    "/api/v1/assets?parent={asset}",
    "/api/v1/meters?asset={asset}",
    "/api/v1/readings?meter={meter}",
]


@pytest.mark.parametrize("url", API_READS)
def test_api_reads_of_another_organisation_are_404(with_token, dispatcher, rival, url):
    response = with_token(dispatcher).get(url.format(**rival))
    assert response.status_code == 404, url
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_api_writes_to_another_organisation_are_404_and_change_nothing(
    as_member, dispatcher, rival
):
    client = as_member(dispatcher)
    json = "application/json"
    responses = [
        client.patch(
            f"/api/v1/assets/{rival['asset']}", {"version": 1, "name": "x"}, content_type=json
        ),
        client.post(
            f"/api/v1/assets/{rival['asset']}/status", {"status": "down"}, content_type=json
        ),
        client.patch(
            f"/api/v1/meters/{rival['meter']}", {"version": 1, "unit": "x"}, content_type=json
        ),
        client.patch(
            f"/api/v1/locations/{rival['site']}", {"version": 1, "name": "x"}, content_type=json
        ),
        client.post(
            "/api/v1/readings",
            {"meter": str(rival["meter"]), "value": 1, "taken_at": "2024-01-01T00:00:00Z"},
            content_type=json,
        ),
        client.post(
            "/api/v1/meters",
            {"asset": str(rival["asset"]), "name": "Sneaky", "kind": "gauge", "unit": "bar"},
            content_type=json,
        ),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    rival_asset = Asset.objects.get(public_id=rival["asset"])
    assert (rival_asset.name, rival_asset.status) == ("Rival pump", "operating")
    assert MeterReading.objects.count() == 0
    assert AssetStatusChange.objects.filter(asset=rival_asset).count() == 1


def test_lists_never_show_another_organisation(with_token, dispatcher, pump, rival):
    client = with_token(dispatcher)
    assets = client.get("/api/v1/assets").json()["items"]
    assert [a["id"] for a in assets] == [str(pump.public_id)]
    codes = [loc["code"] for loc in client.get("/api/v1/locations").json()["items"]]
    assert "RIVAL-SITE" not in codes


@pytest.mark.parametrize(
    "url",
    [
        "/assets/{asset}/",
        "/assets/{asset}/qr.svg",
        "/meters/{meter}/reading/",
    ],
)
def test_pages_of_another_organisation_are_404(as_member, technician, rival, url):
    assert as_member(technician).get(url.format(**rival)).status_code == 404


def test_page_writes_to_another_organisation_are_404(as_member, technician, rival):
    client = as_member(technician)
    assert client.post(f"/assets/{rival['asset']}/status/", {"status": "down"}).status_code == 404
    reading = client.post(
        f"/meters/{rival['meter']}/reading/", {"value": "1", "taken_at": "2024-01-01T00:00"}
    )
    assert reading.status_code == 404
    assert MeterReading.objects.count() == 0


def test_label_sheet_skips_other_organisations_assets(as_member, technician, pump, rival):
    response = as_member(technician).get(f"/assets/labels/?id={rival['asset']}&id={pump.public_id}")
    content = response.content.decode()
    assert "Rival pump" not in content
    assert "PMP-001" in content


def test_a_location_filter_of_another_organisation_on_the_list_page_is_404(
    as_member, technician, rival
):
    assert as_member(technician).get(f"/assets/?location={rival['site']}").status_code == 404
