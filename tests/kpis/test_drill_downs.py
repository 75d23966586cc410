"""Each figure links to the work orders behind it, and the list holds exactly the ones it counted:
a built data set with the expected work-order numbers written out, through the page and the
API."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.workorders.factories import make_work_order
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
PERIOD = "start=2026-03-01&end=2026-03-10"
H = timedelta(hours=1)
D = timedelta(days=1)

# number: (status, created, due, completed, estimate minutes). SLA spans run created -> due;
# at risk = open, not overdue, less than 25 % of the span left.
DATA = {
    1: ("new", NOW - 2 * H, NOW + 10 * H, None, 480),  # open, 10 of 12 h left: on track
    2: ("in_progress", NOW - 10 * D, NOW - H, None, 600),  # open, overdue
    3: ("assigned", NOW - 20 * H, NOW + 2 * H, None, None),  # open, 2 of 22 h left: at risk
    4: ("on_hold", NOW - 40 * D, None, None, 120),  # open, no SLA
    5: ("completed", NOW - 3 * D, NOW, NOW - D, 60),  # done 9 Mar, on time
    6: ("completed", NOW - 7 * D, NOW - 6 * D, NOW - 5 * D, None),  # done 5 Mar, late
    7: ("completed", NOW - 7 * D, None, NOW - 5 * D, 30),  # done 5 Mar, no SLA: not counted
    8: ("completed", NOW - 30 * D, NOW - 20 * D, NOW - 19 * D, 30),  # done 19 Feb: not in period
    9: ("dispatched", NOW - 30 * H, NOW + H, None, 60),  # open, 1 of 31 h left: at risk
    10: ("cancelled", NOW - 2 * H, NOW + H, None, 90),  # cancelled: not open
}
EXPECTED = {
    "at_risk": ["WO-000009", "WO-000003"],
    "overdue": ["WO-000002"],
    "backlog": ["WO-000009", "WO-000004", "WO-000003", "WO-000002", "WO-000001"],
    "crew_weeks": ["WO-000009", "WO-000004", "WO-000003", "WO-000002", "WO-000001"],
    "sla_compliance": ["WO-000006", "WO-000005"],
}


@pytest.fixture
def data(dispatcher, other_org_user):
    for number, (status, created, due, completed, minutes) in DATA.items():
        work_order = make_work_order(dispatcher, title=f"Job {number}")
        assert work_order.number == number
        WorkOrder.objects.filter(pk=work_order.pk).update(
            status=status,
            created_at=created,
            due_at=due,
            completed_at=completed,
            estimated_minutes=minutes,
        )
    # Another organisation's at-risk, open, on-time work never shows.
    theirs = make_work_order(other_org_user, title="Theirs")
    WorkOrder.objects.filter(pk=theirs.pk).update(
        status="assigned", created_at=NOW - 20 * H, due_at=NOW + H, completed_at=None
    )


def numbers(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r'<th scope="row"[^>]*><a href="/work-orders/(WO-\d+)/">', body)


@time_machine.travel(NOW, tick=False)
def test_each_figure_links_to_exactly_the_work_orders_it_counted(
    supervisor, as_member, with_token, data, django_assert_max_num_queries
):
    client = as_member(supervisor)
    api = with_token(supervisor)
    figures = {f["key"]: f for f in api.get(f"/api/v1/kpis?{PERIOD}").json()["figures"]}
    assert figures["at_risk"]["value"] == 2
    assert figures["overdue"]["value"] == 1
    assert figures["backlog"]["value"] == 5
    # (480 + 600 + 120 + 60) / 60 = 21 h open; no shifts, so no crew-weeks value.
    assert figures["crew_weeks"]["numerator"] == 21.0
    assert (figures["sla_compliance"]["numerator"], figures["sla_compliance"]["denominator"]) == (
        1,
        2,
    )
    dashboard = client.get(f"/dashboard/?{PERIOD}").content.decode()

    for key, expected in EXPECTED.items():
        # The page: the figure's own link, followed.
        link = f"/dashboard/work/?figure={key}&{PERIOD}"
        if figures[key]["value"] is not None:
            assert f'href="{link.replace("&", "&amp;")}"' in dashboard, key
        with django_assert_max_num_queries(12):
            page = client.get(link)
        assert page.status_code == 200
        html = page.content.decode()
        assert numbers(html) == expected, key
        assert f"<strong>{len(expected)}</strong> work order" in html

        # The API: the figure's `drill` path.
        assert figures[key]["drill"] == f"/api/v1/kpis/work-orders?figure={key}&{PERIOD}"
        with django_assert_max_num_queries(12):
            body = api.get(figures[key]["drill"]).json()
        assert [item["number"] for item in body["items"]] == expected, key
        assert body["count"] == len(expected)

    sla = api.get(f"/api/v1/kpis/work-orders?figure=sla_compliance&{PERIOD}").json()
    assert {i["number"]: i["counted"] for i in sla["items"]} == {
        "WO-000006": False,
        "WO-000005": True,
    }
    assert (sla["counted"], sla["counted_label"]) == (1, "On time")
    crew = api.get(f"/api/v1/kpis/work-orders?figure=crew_weeks&{PERIOD}").json()
    assert crew["estimated_hours"] == 21.0
    html = client.get(f"/dashboard/work/?figure=crew_weeks&{PERIOD}").content.decode()
    assert "21.0 h estimated" in html


@time_machine.travel(NOW, tick=False)
def test_a_figure_without_a_list_an_unknown_or_a_missing_figure_are_refused(
    supervisor, as_member, with_token, technician
):
    assert as_member(supervisor).get("/dashboard/work/?figure=mtbf").status_code == 404
    api = with_token(supervisor)
    response = api.get("/api/v1/kpis/work-orders?figure=nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    missing = api.get("/api/v1/kpis/work-orders").json()["error"]
    assert missing["code"] == "VALIDATION_ERROR"
    assert "at_risk" in missing["details"]["figure"]
    assert with_token(technician).get("/api/v1/kpis/work-orders?figure=at_risk").status_code == 403
    assert as_member(technician).get("/dashboard/work/?figure=at_risk").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_list_pages_fifty_at_a_time_with_the_same_number_of_queries(
    supervisor, as_member, with_token, dispatcher, django_assert_max_num_queries
):
    for n in range(55):
        make_work_order(dispatcher, title=f"Open {n}")
    client = as_member(supervisor)
    with django_assert_max_num_queries(12):
        html = client.get("/dashboard/work/?figure=backlog").content.decode()
    assert len(numbers(html)) == 50
    assert "<strong>55</strong> work orders" in html
    cursor = re.search(r'cursor=([^"&]+)', html)[1]
    rest = client.get(f"/dashboard/work/?figure=backlog&cursor={cursor}").content.decode()
    assert numbers(rest) == [f"WO-{n:06d}" for n in range(5, 0, -1)]
    with django_assert_max_num_queries(12):
        body = with_token(supervisor).get("/api/v1/kpis/work-orders?figure=backlog").json()
    assert len(body["items"]) == 50
    assert body["next_cursor"]
