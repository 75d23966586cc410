"""The asset health page: fifty assets a page with a count and links to the rest; the CSV has
every asset; the list is shared by the organisation's readers for a short time."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.assets.factories import make_asset, make_location
from tests.workorders.factories import make_work_order
from workorders.kpis import cache as kpis_cache
from workorders.kpis.overview import ASSETS_PER_PAGE

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
DASH = "\N{EN DASH}"


@pytest.fixture
def many_assets(admin_member, dispatcher):
    """A-000 .. A-051 (52 assets); A-051 has open work, so it comes first."""
    assets = [make_asset(admin_member, f"A-{n:03}") for n in range(ASSETS_PER_PAGE + 2)]
    make_work_order(dispatcher, asset_id=assets[-1].public_id, title="Seal")


@time_machine.travel(NOW, tick=False)
def test_the_first_page_shows_fifty_assets_the_count_and_a_link_to_the_next(
    supervisor, as_member, many_assets
):
    html = as_member(supervisor).get("/dashboard/assets/").content.decode()
    assert f"Assets 1{DASH}50 of 52" in html
    assert html.count('<th scope="row">') == ASSETS_PER_PAGE
    assert html.index("A-051") < html.index("A-000")
    assert 'href="?page=2">Next</a>' in html
    assert "Previous" not in html
    assert "Export CSV (all 52 assets)" in html


@time_machine.travel(NOW, tick=False)
def test_the_last_page_shows_the_rest(supervisor, as_member, many_assets):
    client = as_member(supervisor)
    html = client.get("/dashboard/assets/?page=2").content.decode()
    assert f"Assets 51{DASH}52 of 52" in html
    assert html.count('<th scope="row">') == 2
    assert 'href="?page=1">Previous</a>' in html
    assert "Next" not in html
    # Past the end: the last page; not a number: the first.
    assert f"Assets 51{DASH}52 of 52" in client.get("/dashboard/assets/?page=9").content.decode()
    assert f"Assets 1{DASH}50 of 52" in client.get("/dashboard/assets/?page=x").content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_csv_has_every_asset(supervisor, as_member, many_assets):
    response = as_member(supervisor).get("/dashboard/assets/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + 52
    assert rows[1][0] == "A-051"
    assert rows[1][4] == "1"


def test_the_page_is_shared_for_a_short_time_and_says_as_of_when(
    supervisor, admin_member, as_member
):
    client = as_member(supervisor)
    with time_machine.travel(NOW, tick=False):
        make_asset(admin_member, "PMP-1")
        client.get("/dashboard/assets/")
        make_asset(admin_member, "FAN-1")  # no event a KPI listens to: only the clock shows it
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        html = client.get("/dashboard/assets/").content.decode()
    assert "FAN-1" not in html
    assert '<time datetime="2026-03-10T12:00:00+00:00">12:00</time>' in html
    later = NOW + timedelta(seconds=kpis_cache.FRESH_SECONDS)
    with time_machine.travel(later, tick=False):
        assert "FAN-1" in client.get("/dashboard/assets/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_site_filter_is_not_served_the_whole_organisations_list(
    supervisor, admin_member, as_member
):
    plant = make_location(admin_member, "PLANT")
    make_asset(admin_member, "IN-PLANT", location=plant)
    make_asset(admin_member, "ELSEWHERE")
    client = as_member(supervisor)
    assert "ELSEWHERE" in client.get("/dashboard/assets/").content.decode()
    html = client.get(f"/dashboard/assets/?site={plant.public_id}").content.decode()
    assert "IN-PLANT" in html
    assert "ELSEWHERE" not in html


@time_machine.travel(NOW, tick=False)
def test_pages_past_the_end_are_the_last_page_and_compute_nothing_new(
    supervisor, as_member, many_assets, monkeypatch
):
    from workorders.kpis import overview

    computed = []
    real = overview.asset_health_page
    monkeypatch.setattr(
        overview, "asset_health_page", lambda **kw: computed.append(kw["page"]) or real(**kw)
    )
    client = as_member(supervisor)
    for page in (2, 9, 500, 10**9):
        html = client.get(f"/dashboard/assets/?page={page}").content.decode()
        assert f"Assets 51{DASH}52 of 52" in html
    assert computed == [2]
