"""The fast read paths (my-work's cached cards, the API's column-built answers) give exactly
what the model-based ones gave."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from tests.assets.factories import make_asset, make_location
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
from workorders import services
from workorders.models import WorkOrder
from workorders.schemas import WorkOrderOut, WorkOrderPage
from workorders.selectors import work_order_out, work_orders_for, work_orders_out

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_work(dispatcher, technician, organization):
    """Work orders with and without asset, location, assignees (named or not) and follow-up."""
    site = make_location(dispatcher, "SITE-1")
    pump = make_asset(dispatcher, "P-7", name="Pump <seven>", location=site)
    anonymous = MembershipFactory(
        organization=organization, user__first_name="", user__last_name=""
    )
    first = make_work_order(dispatcher, title="Seal & gasket", asset_id=pump.public_id)
    assign(first, technician, dispatcher)
    services.work_order_assign(
        membership=dispatcher,
        work_order=first,
        technician_ids=[technician.public_id, anonymous.public_id],
        expected_version=None,
    )
    second = make_work_order(
        dispatcher, title="Site walk", location_id=site.public_id, priority="p1"
    )
    third = make_work_order(dispatcher, title="Done already", description="Long\ntext")
    assign(third, technician, dispatcher)
    move(third, dispatcher, "dispatched")
    for step in ("en_route", "in_progress"):
        move(third, technician, step)
    WorkOrder.objects.filter(pk=second.pk).update(follow_up_of=first)
    return [first, second, third]


def _by_model(organization_id: int) -> list[dict]:
    now = timezone.now()
    rows = [work_order_out(w, now=now) for w in work_orders_for(organization_id).order_by("id")]
    for row in rows:
        row["assignees"].sort(key=lambda person: str(person["id"]))
    return rows


def test_column_built_rows_equal_the_model_built_ones(varied_work, organization):
    rows = work_orders_out(WorkOrder.objects.filter(organization=organization).order_by("id"))
    for row in rows:
        assert list(row) == list(WorkOrderOut.model_fields)  # the answer keeps the schema's order
        row["assignees"].sort(key=lambda person: str(person["id"]))
    assert rows == _by_model(organization.pk)
    assert len(rows[0]["assignees"]) == 2
    assert rows[1]["follow_up_of"] == rows[0]["number"]
    assert rows[0]["asset"]["name"] == "Pump <seven>"


def test_list_and_detail_bytes_match_the_schema_rendering(with_token, varied_work, dispatcher):
    client = with_token(dispatcher)
    expected = _by_model(dispatcher.organization_id)
    listed = client.get("/api/v1/work-orders?sort=created&limit=2")
    assert listed["Content-Type"] == "application/json; charset=utf-8"
    body = listed.json()
    for item in body["items"]:
        item["assignees"].sort(key=lambda person: person["id"])
    page = WorkOrderPage.model_validate({"items": expected[:2], "next_cursor": body["next_cursor"]})
    assert body == json.loads(json.dumps(page.model_dump(), cls=NinjaJSONEncoder))
    rest = client.get(f"/api/v1/work-orders?sort=created&limit=2&cursor={body['next_cursor']}")
    assert [w["number"] for w in rest.json()["items"]] == [expected[2]["number"]]

    third = varied_work[2]
    detail = client.get(f"/api/v1/work-orders/{third.reference}")
    rendered = json.dumps(
        WorkOrderOut.model_validate(expected[2]).model_dump(), cls=NinjaJSONEncoder
    )
    assert detail.content.decode() == rendered
    assert client.get(f"/api/v1/work-orders/{third.public_id}").content == detail.content
    assert client.get(f"/api/v1/work-orders/{third.number}").content == detail.content


@pytest.mark.parametrize(
    "ref", ["WO-999999", "999999", "not-a-ref", "00000000-0000-0000-0000-000000000000"]
)
def test_unknown_work_order_is_a_404_envelope(with_token, dispatcher, ref):
    response = with_token(dispatcher).get(f"/api/v1/work-orders/{ref}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_another_organisations_work_order_is_404_by_number_and_id(
    with_token, varied_work, other_org_user
):
    client = with_token(other_org_user)
    for ref in (varied_work[0].reference, varied_work[0].public_id):
        assert client.get(f"/api/v1/work-orders/{ref}").status_code == 404
    assert client.get("/api/v1/work-orders").json()["items"] == []


def test_my_work_cards_show_asset_location_and_badges(as_member, varied_work, technician):
    page = as_member(technician).get("/my-work/").content.decode()
    assert "P-7 · Pump &lt;seven&gt;" in page
    assert "Seal &amp; gasket" in page
    assert "Site walk" not in page  # not assigned to me
    assert 'href="/work-orders/WO-000003/"' in page
    assert '<span class="badge st-in_progress" data-status-badge>In progress</span>' in page


def test_my_work_card_follows_a_change_to_its_job(as_member, dispatcher, technician):
    job = assign(make_work_order(dispatcher, title="Old title"), technician, dispatcher)
    client = as_member(technician)
    assert "Old title" in client.get("/my-work/").content.decode()
    services.work_order_update(
        membership=dispatcher,
        work_order=job,
        expected_version=job.version,
        changes={"title": "New"},
    )
    move(job, dispatcher, "dispatched")
    page = client.get("/my-work/").content.decode()
    assert "Old title" not in page
    assert '<strong class="job-title">New</strong>' in page
    assert "st-dispatched" in page


def test_my_work_card_turns_overdue_when_its_time_passes(as_member, dispatcher, technician):
    assign(make_work_order(dispatcher, title="Urgent", priority="p1"), technician, dispatcher)
    client = as_member(technician)
    assert "sla-overdue" not in client.get("/my-work/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        page = client.get("/my-work/").content.decode()
    assert 'id="sec-overdue"' in page
    assert '<span class="badge sla-overdue">Overdue</span>' in page


def test_my_work_card_dates_follow_the_organisations_time_zone(as_member, dispatcher, technician):
    planned = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=3)
    job = make_work_order(dispatcher, title="Planned", scheduled_start=planned)
    assign(job, technician, dispatcher)
    client = as_member(technician)
    assert "12:00" in client.get("/my-work/").content.decode()
    organization = technician.organization
    organization.time_zone = "Asia/Kolkata"  # the cached cards follow a change of zone
    organization.save(update_fields=["time_zone"])
    assert "17:30" in client.get("/my-work/").content.decode()


def test_my_work_runs_a_fixed_number_of_queries(as_member, dispatcher, technician):
    client = as_member(technician)
    counts = []
    for total in (1, 12):
        while WorkOrder.objects.count() < total:
            assign(make_work_order(dispatcher), technician, dispatcher)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/my-work/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_work_order_page_shows_only_my_own_running_clock(
    as_member, dispatcher, technician, organization
):
    colleague = MembershipFactory(organization=organization, role="technician")
    job = make_work_order(dispatcher, title="Shared job")
    services.work_order_assign(
        membership=dispatcher,
        work_order=job,
        technician_ids=[technician.public_id, colleague.public_id],
        expected_version=None,
    )
    started = timezone.now() - timedelta(minutes=30)
    entry, _ = services.time_entry_add(
        membership=colleague, work_order=job, kind="work", started_at=started
    )
    mine_page = as_member(technician).get(f"/work-orders/{job.reference}/").content.decode()
    assert "data-running-entry" not in mine_page
    assert "Stop timer" not in mine_page
    theirs_page = as_member(colleague).get(f"/work-orders/{job.reference}/").content.decode()
    assert f'data-running-entry="{entry.public_id}"' in theirs_page
    assert "Stop timer" in theirs_page


def test_work_order_page_runs_a_fixed_number_of_queries(as_member, dispatcher, technician):
    job = assign(make_work_order(dispatcher), technician, dispatcher)
    client = as_member(technician)
    client.get(f"/work-orders/{job.reference}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/work-orders/{job.reference}/").status_code == 200
    assert len(queries) <= 14
