"""The htmx pages: list with filters, asset page, locations, labels, QR."""

import pytest

from tests.assets.factories import make_asset, make_reading


def test_list_page_filters_and_links_to_each_asset(as_member, technician, pump, area):
    client = as_member(technician)
    response = client.get("/assets/", {"q": "feed", "status": "operating"})
    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="/assets/{pump.public_id}/"' in content
    assert 'name="q"' in content
    empty = client.get("/assets/", {"status": "down"}).content.decode()
    assert "No assets match" in empty


def test_htmx_request_gets_only_the_results_fragment(as_member, technician, pump):
    response = as_member(technician).get(
        "/assets/", {"q": "pmp"}, headers={"HX-Request": "true", "HX-Target": "asset-results"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="asset-results"')
    assert "<html" not in content


def test_list_page_runs_a_fixed_number_of_queries(
    as_member, dispatcher, area, django_assert_max_num_queries
):
    client = as_member(dispatcher)
    make_asset(dispatcher, "A-0", location=area)
    with django_assert_max_num_queries(20) as small:
        client.get("/assets/")
    for i in range(1, 30):
        make_asset(dispatcher, f"A-{i}", location=area, asset_type=f"type-{i % 4}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/assets/")
    assert response.content.decode().count('class="asset-row"') == 25


def test_list_page_pages_with_a_cursor(as_member, dispatcher, area):
    for i in range(30):
        make_asset(dispatcher, f"A-{i:02d}", location=area)
    client = as_member(dispatcher)
    first = client.get("/assets/").content.decode()
    assert "Next page" in first
    href = first.split('class="button block" href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(f"/assets/?{href}").content.decode()
    assert "A-25" in second
    assert "A-00" not in second


def test_asset_page_shows_hierarchy_meters_history_and_work_placeholder(
    as_member, dispatcher, pump, area, hours_meter
):
    from datetime import UTC, datetime, timedelta

    child = make_asset(dispatcher, "MTR-001", parent=pump, name="Pump motor")
    now = datetime.now(UTC)
    for d in range(5):
        make_reading(dispatcher, hours_meter, 100 + d * 8, now - timedelta(days=5 - d))
    response = as_member(dispatcher).get(f"/assets/{child.public_id}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert area.name in content  # location breadcrumb
    assert f'href="/assets/{pump.public_id}/"' in content  # parent breadcrumb
    assert f'hx-get="/assets/{child.public_id}/work/"' in content
    parent_page = as_member(dispatcher).get(f"/assets/{pump.public_id}/").content.decode()
    assert "<svg" in parent_page
    assert 'class="chart"' in parent_page
    assert "Pump motor" in parent_page  # components
    assert "Registered" in parent_page  # status history


def test_status_change_from_the_page(as_member, technician, pump):
    client = as_member(technician)
    response = client.post(
        f"/assets/{pump.public_id}/status/", {"status": "down", "reason": "leak"}
    )
    assert response.status_code == 302
    pump.refresh_from_db()
    assert pump.status == "down"
    page = client.get(f"/assets/{pump.public_id}/").content.decode()
    assert "“leak”" in page


def test_qr_code_opens_the_asset_page(as_member, technician, pump):
    response = as_member(technician).get(f"/assets/{pump.public_id}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_qr_encodes_the_absolute_scan_url(rf, technician, pump):
    import segno

    from assets.views import _asset_url

    request = rf.get("/", HTTP_HOST="testserver")
    url = _asset_url(request, pump.public_id)
    # the scan address: staff are sent on to the asset page, passers-by get the report form
    assert url == f"http://testserver/r/{pump.public_id}/"
    assert segno.make(url, error="m").designator  # encodable


def test_label_sheet_for_filtered_assets(as_member, dispatcher, pump, area):
    make_asset(dispatcher, "FAN-001", location=area, asset_type="fan")
    content = as_member(dispatcher).get("/assets/labels/", {"type": "pump"}).content.decode()
    assert content.count('class="label"') == 1
    assert "PMP-001" in content
    assert "<svg" in content


def test_location_tree_page(as_member, technician, site, building, area, pump):
    content = as_member(technician).get("/locations/").content.decode()
    assert content.index(site.name) < content.index(building.name) < content.index(area.name)
    assert content.count("1 asset<") == 3  # the area and every location above it


def test_pages_need_a_login(client, pump):
    response = client.get("/assets/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/assets/import/", "/readings/import/"])
def test_import_pages_render(as_member, dispatcher, url):
    assert as_member(dispatcher).get(url).status_code == 200


def test_reading_entry_page_renders_for_technician(as_member, technician, hours_meter):
    content = (
        as_member(technician).get(f"/meters/{hours_meter.public_id}/reading/").content.decode()
    )
    assert 'inputmode="decimal"' in content
    assert "meter was replaced" in content
