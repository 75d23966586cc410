"""The asset API: filters, cursor paging, updated_since, versions, status history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import Asset
from tests.assets.factories import make_asset, make_location


@pytest.fixture
def fleet(dispatcher, site, building, area):
    other_site = make_location(dispatcher, "DEPOT")
    make_asset(dispatcher, "PMP-002", location=area, asset_type="pump", criticality="low")
    make_asset(
        dispatcher,
        "FAN-001",
        location=building,
        asset_type="fan",
        criticality="high",
        manufacturer="Ziehl-Abegg",
    )
    make_asset(
        dispatcher,
        "TRK-001",
        location=other_site,
        asset_type="truck",
        criticality="high",
        status="down",
        serial_number="WVW-ZZZ-42",
    )
    make_asset(dispatcher, "TRK-002", location=other_site, asset_type="truck", status="retired")
    return other_site


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["code"] for a in response.json()["items"]]


def test_filters(with_token, dispatcher, pump, fleet, site, building):
    client = with_token(dispatcher)
    assert codes(client.get(f"/api/v1/assets?location={site.public_id}")) == [
        "FAN-001",
        "PMP-001",
        "PMP-002",
    ]
    assert codes(client.get(f"/api/v1/assets?location={fleet.public_id}")) == ["TRK-001", "TRK-002"]
    assert codes(client.get("/api/v1/assets?asset_type=truck")) == ["TRK-001", "TRK-002"]
    assert codes(client.get("/api/v1/assets?status=down")) == ["TRK-001"]
    assert codes(client.get("/api/v1/assets?criticality=high")) == ["FAN-001", "PMP-001", "TRK-001"]
    assert codes(client.get("/api/v1/assets?q=ziehl")) == ["FAN-001"]
    assert codes(client.get("/api/v1/assets?q=wvw-zzz")) == ["TRK-001"]
    assert codes(
        client.get(f"/api/v1/assets?location={site.public_id}&criticality=high&q=fan")
    ) == ["FAN-001"]


def test_cursor_paging_walks_every_asset_once(with_token, dispatcher, pump, fleet):
    client = with_token(dispatcher)
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/assets?limit=2&cursor={cursor}").json()
        seen += [a["code"] for a in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["FAN-001", "PMP-001", "PMP-002", "TRK-001", "TRK-002"]


def test_bad_cursor_and_limit_are_validation_errors(with_token, dispatcher):
    client = with_token(dispatcher)
    assert client.get("/api/v1/assets?cursor=garbage").json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get("/api/v1/assets?limit=1000").status_code == 422


def test_updated_since_returns_only_changed_assets(with_token, dispatcher, pump, fleet):
    client = with_token(dispatcher)
    mark = timezone.now()
    client.post(
        f"/api/v1/assets/{pump.public_id}/status",
        {"status": "down"},
        content_type="application/json",
    )
    since = (mark - timedelta(milliseconds=1)).isoformat()
    assert codes(client.get("/api/v1/assets", {"updated_since": since})) == ["PMP-001"]


def test_list_endpoint_runs_a_fixed_number_of_queries(
    with_token, dispatcher, site, area, django_assert_max_num_queries
):
    client = with_token(dispatcher)
    parent = make_asset(dispatcher, "ROOT")
    for i in range(3):
        make_asset(dispatcher, f"A-{i}", location=area, parent=parent)
    with django_assert_max_num_queries(6) as small:
        client.get(f"/api/v1/assets?location={site.public_id}&q=a-")
    for i in range(3, 40):
        make_asset(dispatcher, f"A-{i}", location=area, parent=parent)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(f"/api/v1/assets?location={site.public_id}&q=a-").json()
    assert len(body["items"]) == 40


def test_create_then_patch_with_version(as_member, dispatcher, area):
    client = as_member(dispatcher)
    created = client.post(
        "/api/v1/assets",
        {
            "code": "CMP-1",
            "name": "Compressor",
            "location": str(area.public_id),
            "install_date": "2022-01-01",
            "warranty_end": "2025-01-01",
            "latitude": "52.52",
            "longitude": "13.405",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    asset = created.json()
    assert asset["location"]["code"] == "B1-BOILER"
    assert asset["url"].endswith(f"/assets/{asset['id']}/")
    ok = client.patch(
        f"/api/v1/assets/{asset['id']}",
        {"version": asset["version"], "name": "Air compressor"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/assets/{asset['id']}",
        {"version": asset["version"], "name": "Old"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "VERSION_CONFLICT"
    assert error["details"]["current"]["name"] == "Air compressor"


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "", "name": "x"},
        {"code": "X-1"},
        {"code": "X-1", "name": "x", "criticality": "urgent"},
        {"code": "X-1", "name": "x", "install_date": "2024-05-01", "warranty_end": "2023-01-01"},
        {"code": "X-1", "name": "x", "latitude": "95"},
        {"code": "X-1", "name": "x", "location": "5f0c8a3e-0000-4000-8000-000000000000"},
        {"code": "X" * 41, "name": "x"},
    ],
)
def test_bad_asset_input_is_a_validation_error_and_stores_nothing(as_member, dispatcher, payload):
    response = as_member(dispatcher).post(
        "/api/v1/assets", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert Asset.objects.count() == 0


def test_technician_may_report_down_but_not_retire_or_register(as_member, technician, pump):
    client = as_member(technician)
    down = client.post(
        f"/api/v1/assets/{pump.public_id}/status",
        {"status": "down", "reason": "leak"},
        content_type="application/json",
    )
    assert down.json()["status"] == "down"
    retire = client.post(
        f"/api/v1/assets/{pump.public_id}/status",
        {"status": "retired"},
        content_type="application/json",
    )
    assert retire.status_code == 403
    create = client.post(
        "/api/v1/assets", {"code": "N-1", "name": "n"}, content_type="application/json"
    )
    assert create.status_code == 403


def test_status_change_records_who_when_why_and_announces_it(
    as_member, technician, pump, django_capture_on_commit_callbacks
):
    from fieldops import events

    seen = []
    events.subscribe("asset.*", seen.append)
    with django_capture_on_commit_callbacks(execute=True):
        as_member(technician).post(
            f"/api/v1/assets/{pump.public_id}/status",
            {"status": "down", "reason": "bearing noise"},
            content_type="application/json",
        )
    events._subscribers.remove(("asset.*", seen.append))
    history = as_member(technician).get(f"/api/v1/assets/{pump.public_id}/status-history").json()
    assert history[0]["to_status"] == "down"
    assert history[0]["from_status"] == "operating"
    assert history[0]["reason"] == "bearing noise"
    assert history[0]["changed_by"]
    assert seen[0].type == "asset.status_changed"
    assert seen[0].data["to"] == "down"


def test_meters_api(as_member, dispatcher, pump):
    client = as_member(dispatcher)
    created = client.post(
        "/api/v1/meters",
        {
            "asset": str(pump.public_id),
            "name": "Vibration",
            "kind": "gauge",
            "unit": "mm/s",
            "min_value": 0,
            "max_value": 50,
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    bad_range = client.post(
        "/api/v1/meters",
        {
            "asset": str(pump.public_id),
            "name": "Pressure",
            "kind": "gauge",
            "unit": "bar",
            "min_value": 10,
            "max_value": 1,
        },
        content_type="application/json",
    )
    assert bad_range.status_code == 422
    duplicate = client.post(
        "/api/v1/meters",
        {"asset": str(pump.public_id), "name": "vibration", "kind": "gauge", "unit": "mm/s"},
        content_type="application/json",
    )
    assert duplicate.status_code == 422
    listed = client.get(f"/api/v1/meters?asset={pump.public_id}").json()["items"]
    assert [m["name"] for m in listed] == ["Vibration"]


def test_location_api_create_and_list(as_member, dispatcher, site):
    client = as_member(dispatcher)
    response = client.post(
        "/api/v1/locations",
        {"code": "B2", "name": "Hall 2", "kind": "building", "parent": str(site.public_id)},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["parent"]["code"] == "PLANT-1"
    listed = client.get(f"/api/v1/locations?parent={site.public_id}").json()["items"]
    assert [loc["code"] for loc in listed] == ["B2"]


def test_readings_list_newest_first(as_member, technician, hours_meter):
    from datetime import UTC, datetime

    from tests.assets.factories import make_reading

    for day, value in ((1, 10), (3, 30), (2, 20)):
        make_reading(technician, hours_meter, value, datetime(2024, 1, day, tzinfo=UTC))
    body = as_member(technician).get(f"/api/v1/readings?meter={hours_meter.public_id}").json()
    assert [r["value"] for r in body["items"]] == [30, 20, 10]
