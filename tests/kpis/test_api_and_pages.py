"""The KPIs through the API, the dashboard page, its live fragment and the CSV exports."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from fieldops.accounts.models import Role
from tests.assets.factories import make_location
from tests.factories import MembershipFactory, OrganizationFactory
from tests.workorders.factories import make_work_order
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def data(dispatcher, other_org_user):
    """Two open work orders (one overdue), one completed on time; another organisation's open
    overdue work that must never show."""
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        late = make_work_order(dispatcher, title="Late")
        make_work_order(dispatcher, title="Fresh")
        done = make_work_order(dispatcher, title="Done")
        make_work_order(other_org_user, title="Theirs")
    WorkOrder.objects.filter(pk=late.pk).update(due_at=NOW - timedelta(hours=1))
    WorkOrder.objects.filter(title="Theirs").update(due_at=NOW - timedelta(hours=1))
    WorkOrder.objects.filter(pk=done.pk).update(
        status="completed", completed_at=NOW - timedelta(days=1), due_at=NOW
    )


def by_key(body: dict) -> dict:
    return {f["key"]: f for f in body["figures"]}


@time_machine.travel(NOW, tick=False)
def test_api_returns_every_figure_with_its_definition(supervisor, with_token, data):
    response = with_token(supervisor).get("/api/v1/kpis?start=2026-03-01&end=2026-03-10")
    assert response.status_code == 200
    body = response.json()
    figures = by_key(body)
    assert figures["backlog"]["value"] == 2
    assert figures["overdue"]["value"] == 1
    # Completed in the period with an SLA: 1, on time -> 100 %.
    assert figures["sla_compliance"]["value"] == 100.0
    assert all(f["definition"] for f in body["figures"])
    assert "downtime" in figures["mttr_downtime"]["definition"]
    assert "completed - started" in figures["mttr_labour"]["definition"]
    assert {t["key"] for t in body["tables"]} >= {"backlog", "backlog_age", "per_day", "assets"}


@time_machine.travel(NOW, tick=False)
def test_api_refuses_bad_periods(supervisor, with_token):
    client = with_token(supervisor)
    bad = client.get("/api/v1/kpis?start=2026-03-10&end=2026-03-01")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get("/api/v1/kpis?start=soon").status_code == 422


@time_machine.travel(NOW, tick=False)
def test_technicians_are_refused_and_other_organisations_see_only_their_own(
    technician, other_org_user, with_token, as_member, data
):
    assert with_token(technician).get("/api/v1/kpis").status_code == 403
    assert as_member(technician).get("/dashboard/").status_code == 403
    assert as_member(technician).get("/dashboard/export/backlog.csv").status_code == 403
    other_org_user.role = "supervisor"
    other_org_user.save(update_fields=["role"])
    figures = by_key(with_token(other_org_user).get("/api/v1/kpis").json())
    assert figures["backlog"]["value"] == 1  # their own one, not ours


@time_machine.travel(NOW, tick=False)
def test_another_organisations_site_is_not_found(supervisor, with_token, as_member):
    stranger = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
    their_site = make_location(stranger, "THEIRS")
    response = with_token(supervisor).get(f"/api/v1/kpis?site={their_site.public_id}")
    assert response.status_code == 404
    assert as_member(supervisor).get(f"/dashboard/?site={their_site.public_id}").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_dashboard_page_shows_figures_charts_tables_and_drill_downs(
    supervisor, as_member, data, django_assert_max_num_queries
):
    client = as_member(supervisor)
    with django_assert_max_num_queries(20):
        response = client.get("/dashboard/?start=2026-03-01&end=2026-03-10")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/dashboard/work/?figure=overdue&amp;start=2026-03-01&amp;end=2026-03-10"' in html
    assert '<details class="kpi-def"><summary>Definition</summary>' in html
    assert html.count("<svg") == 3
    assert html.count('class="kpi-table"') >= 3
    assert "fo:workorder.status_changed from:body" in html
    assert "—" in html  # figures without data (no shifts -> no utilisation)


@time_machine.travel(NOW, tick=False)
def test_live_fragment_is_the_board_only(supervisor, as_member, data):
    response = as_member(supervisor).get("/dashboard/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "kpi-grid" in html
    assert "<form" not in html


@time_machine.travel(NOW, tick=False)
def test_live_refresh_keeps_the_filters_chosen_since_the_page_loaded(supervisor, as_member, data):
    # The fragment replaces the whole board, so its own refresh URL carries the new period.
    response = as_member(supervisor).get(
        "/dashboard/?start=2026-03-05&end=2026-03-10", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="kpi-board"')
    assert 'hx-get="/dashboard/?start=2026-03-05&amp;end=2026-03-10"' in html


@time_machine.travel(NOW, tick=False)
def test_every_table_exports_as_csv(supervisor, as_member, data):
    client = as_member(supervisor)
    for table in ("backlog", "backlog_age", "per_day", "assets", "figures"):
        response = client.get(f"/dashboard/export/{table}.csv?start=2026-03-01&end=2026-03-10")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0]
    per_day = client.get("/dashboard/export/per_day.csv?start=2026-03-01&end=2026-03-10")
    rows = list(csv.reader(io.StringIO(per_day.content.decode())))
    assert rows[0] == ["Day", "Created", "Completed"]
    assert len(rows) == 11  # header + 10 days
    assert client.get("/dashboard/export/nope.csv").status_code == 404


def test_drill_down_by_site_lists_only_that_sites_work(supervisor, admin_member, as_member):
    site = make_location(admin_member, "S1")
    area = make_location(admin_member, "B1", kind="building", parent=site)
    elsewhere = make_location(admin_member, "S2")
    inside = make_work_order(admin_member, title="Inside the site")
    outside = make_work_order(admin_member, title="Somewhere else")
    WorkOrder.objects.filter(pk=inside.pk).update(location=area)
    WorkOrder.objects.filter(pk=outside.pk).update(location=elsewhere)
    client = as_member(supervisor)
    html = client.get(f"/dashboard/?site={site.public_id}").content.decode()
    link = re.search(r'href="(/dashboard/work/\?figure=backlog&amp;[^"]+)"', html)[1].replace(
        "&amp;", "&"
    )
    assert f"site={site.public_id}" in link
    listing = client.get(link).content.decode()
    assert "Inside the site" in listing
    assert "Somewhere else" not in listing
