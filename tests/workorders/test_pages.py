import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders.models import Note, PartUsage, WorkOrder

pytestmark = pytest.mark.django_db


def test_my_work_lists_only_my_open_jobs(as_member, dispatcher, technician, organization):
    from tests.factories import MembershipFactory

    mine = assign(make_work_order(dispatcher, title="Mine"), technician, dispatcher)
    colleague = MembershipFactory(organization=organization)
    assign(make_work_order(dispatcher, title="Theirs"), colleague, dispatcher)
    page = as_member(technician).get("/my-work/").content.decode()
    assert mine.title in page
    assert "Theirs" not in page


def test_my_work_fragment_for_live_refresh(as_member, dispatcher, technician):
    assign(make_work_order(dispatcher, title="Fresh job"), technician, dispatcher)
    response = as_member(technician).get("/my-work/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Fresh job" in body
    assert "<html" not in body


def test_list_page_runs_a_fixed_number_of_queries(as_member, dispatcher, technician):
    client = as_member(dispatcher)
    client.get("/work-orders/")
    counts = []
    for total in (2, 25):
        while WorkOrder.objects.count() < total:
            assign(make_work_order(dispatcher), technician, dispatcher)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/work-orders/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_list_page_filters(as_member, dispatcher):
    make_work_order(dispatcher, title="Urgent leak", priority="p1")
    make_work_order(dispatcher, title="Paint railing", priority="p4")
    page = as_member(dispatcher).get("/work-orders/?priority=p1").content.decode()
    assert "Urgent leak" in page
    assert "Paint railing" not in page


def test_bad_filter_says_so_instead_of_failing(as_member, dispatcher):
    response = as_member(dispatcher).get("/work-orders/?status=exploded")
    assert response.status_code == 200
    assert "Unknown: exploded" in response.content.decode()


def test_new_work_order_page_creates_once_and_keeps_input_on_error(as_member, dispatcher):
    client = as_member(dispatcher)
    refused = client.post(
        "/work-orders/new/",
        {"title": "", "description": "Typed text", "priority": "p2", "work_type": "corrective"},
    )
    assert refused.status_code == 422
    assert "Typed text" in refused.content.decode()
    assert not WorkOrder.objects.exists()
    form = {
        "title": "Leak in hall",
        "priority": "p2",
        "work_type": "corrective",
        "client_id": str(uuid.uuid4()),
    }
    first = client.post("/work-orders/new/", form)
    again = client.post("/work-orders/new/", form)
    assert first.status_code == again.status_code == 302
    assert WorkOrder.objects.count() == 1


def test_detail_page_shows_the_actions_the_role_allows(as_member, dispatcher, technician):
    work_order = assign(make_work_order(dispatcher), technician, dispatcher)
    start = b'name="to" value="in_progress"'
    dispatch = b'name="to" value="dispatched"'
    tech_page = as_member(technician).get(f"/work-orders/{work_order.reference}/").content
    assert start in tech_page
    assert dispatch not in tech_page
    assert b"Save assignment" not in tech_page
    office_page = as_member(dispatcher).get(f"/work-orders/{work_order.reference}/").content
    assert b"Save assignment" in office_page
    assert dispatch in office_page
    assert start not in office_page


def test_page_actions_record_work_and_refusals_keep_what_was_typed(
    as_member, dispatcher, technician
):
    work_order = move(
        assign(make_work_order(dispatcher), technician, dispatcher), technician, "in_progress"
    )
    part = make_part(dispatcher.organization_id)
    client = as_member(technician)
    base = f"/work-orders/{work_order.reference}"
    note_id = str(uuid.uuid4())
    for _ in range(2):  # a double tap stores once
        assert (
            client.post(f"{base}/notes/", {"text": "Seal worn", "client_id": note_id}).status_code
            == 302
        )
    assert Note.objects.count() == 1
    refused = client.post(
        f"{base}/parts/", {"part": str(part.public_id), "quantity": "-2", "stock_location": "Van 3"}
    )
    assert refused.status_code == 422
    assert b"Van 3" in refused.content
    assert not PartUsage.objects.exists()
    stale = client.post(f"{base}/transition/", {"to": "on_hold", "version": "1"}, follow=True)
    assert b"changed this work order meanwhile" in stale.content
    work_order.refresh_from_db()
    assert work_order.status == "in_progress"


def test_other_organisation_pages_are_404(as_member, dispatcher, other_org_user):
    work_order = make_work_order(dispatcher)
    client = as_member(other_org_user)
    assert client.get(f"/work-orders/{work_order.reference}/").status_code == 404
    assert (
        client.post(f"/work-orders/{work_order.reference}/notes/", {"text": "x"}).status_code == 404
    )
    assert work_order.reference not in client.get("/work-orders/").content.decode()


def test_pages_show_times_in_the_organisations_zone(as_member, dispatcher, technician):
    from datetime import UTC, datetime

    organization = dispatcher.organization
    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    job = make_work_order(
        dispatcher,
        title="Pump check",
        scheduled_start=datetime(2031, 7, 1, 7, 30, tzinfo=UTC),
        scheduled_end=datetime(2031, 7, 1, 8, 30, tzinfo=UTC),
    )
    page = as_member(dispatcher).get(f"/work-orders/{job.reference}/").content.decode()
    assert "Tue 1 Jul, 09:30\u201310:30" in page  # Berlin's summer time, not the server's UTC
    assert "07:30" not in page
