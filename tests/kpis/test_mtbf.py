"""One MTBF for one asset: the dashboard headline, its period table, Asset health (page and CSV)
and the API all give the same figure for the same asset and period, worked out by hand below."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine

from assets.services import asset_change_status
from tests.assets.factories import make_asset, make_location

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
PERIOD = "start=2026-03-01&end=2026-03-10"  # 1 Mar 00:00 .. 11 Mar 00:00 UTC = 240 h


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def set_status(member, asset, status: str, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        asset_change_status(
            membership=member,
            asset_id=asset.public_id,
            organization_id=member.organization_id,
            status=status,
        )


@pytest.fixture
def pump(admin_member):
    """PUMP-1 at site S1, registered 2 Mar 00:00 (operating); down 3 Mar 00:00-06:00 and
    6 Mar 00:00-12:00. In 1-10 March it existed 216 h, was down 18 h: operating 198 h over
    2 failures -> MTBF 99 h (the day before it was registered is not operating time).

    FAN-1 at site S2, registered before the period; down 5 Mar 00:00-10:00: operating 230 h,
    1 failure -> MTBF 230 h. Both assets: (198 + 230) / 3 = 142.67 h."""
    s1 = make_location(admin_member, "S1")
    s2 = make_location(admin_member, "S2")
    with time_machine.travel(utc(2026, 2, 1), tick=False):
        fan = make_asset(admin_member, "FAN-1", location=s2)
    with time_machine.travel(utc(2026, 3, 2), tick=False):
        pump = make_asset(admin_member, "PUMP-1", location=s1)
    set_status(admin_member, pump, "down", utc(2026, 3, 3))
    set_status(admin_member, pump, "operating", utc(2026, 3, 3, 6))
    set_status(admin_member, pump, "down", utc(2026, 3, 6))
    set_status(admin_member, pump, "operating", utc(2026, 3, 6, 12))
    set_status(admin_member, fan, "down", utc(2026, 3, 5))
    set_status(admin_member, fan, "operating", utc(2026, 3, 5, 10))
    return s1


def headline(html: str) -> str:
    card = re.search(r'<article class="card kpi" id="kpi-mtbf">(.*?)</article>', html, re.S)
    return re.sub(r"<[^>]+>", "", re.search(r'class="kpi-value">(.*?)</p>', card[1], re.S)[1])


def table_row(html: str, section_id: str, code: str) -> list[str]:
    section = html[html.index(section_id) :]
    row = re.search(rf'<tr>\s*<th scope="row"[^>]*>(?:<a[^>]*>)?{code}<.*?</tr>', section, re.S)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


@time_machine.travel(NOW, tick=False)
def test_one_asset_has_one_mtbf_on_the_dashboard_asset_health_and_the_api(
    supervisor, as_member, with_token, pump
):
    site = f"&site={pump.public_id}"
    client = as_member(supervisor)

    # The API: the headline over the site's one asset, and the asset's row.
    body = with_token(supervisor).get(f"/api/v1/kpis?{PERIOD}{site}").json()
    figure = next(f for f in body["figures"] if f["key"] == "mtbf")
    assert (figure["value"], figure["numerator"], figure["denominator"]) == (99.0, 198.0, 2)
    assets = next(t for t in body["tables"] if t["key"] == "assets")
    assert assets["columns"][-1] == "MTBF h"
    assert [row[0] for row in assets["rows"]] == ["PUMP-1"]
    assert (assets["rows"][0][2], assets["rows"][0][-1]) == (2, 99.0)

    # The dashboard page: the headline and the period table.
    html = client.get(f"/dashboard/?{PERIOD}{site}").content.decode()
    assert headline(html).split() == ["99.0", "h"]
    assert table_row(html, 'id="kpi-assets-h"', "PUMP-1")[-1] == "99.0"

    # Asset health over the same period: the same failures and MTBF.
    html = client.get(f"/dashboard/assets/?{PERIOD}{site}").content.decode()
    cells = table_row(html, "Asset health</caption>", "PUMP-1")
    assert cells[5:7] == ["2", "99.0"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/dashboard/assets/?format=csv&{PERIOD}{site}").content.decode()
            )
        )
    )
    assert [(r["Asset"], r["Failures"], r["MTBF h"]) for r in rows] == [("PUMP-1", "2", "99.0")]


@time_machine.travel(NOW, tick=False)
def test_the_headline_over_several_assets_pools_their_operating_time_and_failures(
    supervisor, as_member, with_token, pump
):
    body = with_token(supervisor).get(f"/api/v1/kpis?{PERIOD}").json()
    figure = next(f for f in body["figures"] if f["key"] == "mtbf")
    assert (figure["value"], figure["numerator"], figure["denominator"]) == (142.67, 428.0, 3)
    assert figure["label"] == "MTBF (all assets)"
    assert "PUMP-1" not in figure["definition"]
    table = next(t for t in body["tables"] if t["key"] == "assets")
    rows = {row[0]: row[-1] for row in table["rows"]}
    assert rows == {"PUMP-1": 99.0, "FAN-1": 230.0}
    html = as_member(supervisor).get(f"/dashboard/assets/?{PERIOD}").content.decode()
    assert table_row(html, "Asset health</caption>", "FAN-1")[5:7] == ["1", "230.0"]


@time_machine.travel(NOW, tick=False)
def test_an_asset_operating_all_period_without_failing_counts_in_the_headline(
    supervisor, with_token, admin_member, pump
):
    with time_machine.travel(utc(2026, 2, 1), tick=False):
        make_asset(admin_member, "STEADY-1")  # operating all 240 h, no failure
    body = with_token(supervisor).get(f"/api/v1/kpis?{PERIOD}").json()
    figure = next(f for f in body["figures"] if f["key"] == "mtbf")
    # (198 + 230 + 240) / 3 = 222.67 h.
    assert (figure["value"], figure["numerator"], figure["denominator"]) == (222.67, 668.0, 3)
