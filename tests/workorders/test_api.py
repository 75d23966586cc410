import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders.models import Note, Status, WorkOrder, WorkOrderHistory

pytestmark = pytest.mark.django_db
JSON = "application/json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG by its magic number


def test_create_numbers_applies_sla_and_records_history(with_token, dispatcher):
    client = with_token(dispatcher)
    response = client.post(
        "/api/v1/work-orders",
        {"title": "No heat in hall B", "priority": "p1", "checklist": [{"label": "Burner fires"}]},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "WO-000001"
    assert body["status"] == "new"
    assert body["sla_state"] == "on_track"
    created = WorkOrder.objects.get()
    assert abs(created.due_at - created.created_at - timedelta(minutes=480)) < timedelta(seconds=1)
    history = WorkOrderHistory.objects.get(work_order=created)
    assert (history.kind, history.source, history.actor) == ("created", "api", dispatcher)
    second = client.post("/api/v1/work-orders", {"title": "Second"}, content_type=JSON)
    assert second.json()["number"] == "WO-000002"


def test_create_with_idempotency_key_creates_once(with_token, dispatcher):
    client = with_token(dispatcher)
    headers = {"Idempotency-Key": "create-abc"}
    first = client.post(
        "/api/v1/work-orders", {"title": "Door sensor"}, content_type=JSON, headers=headers
    )
    again = client.post(
        "/api/v1/work-orders", {"title": "Door sensor"}, content_type=JSON, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert WorkOrder.objects.count() == 1
    reused = client.post(
        "/api/v1/work-orders", {"title": "Other"}, content_type=JSON, headers=headers
    )
    assert reused.status_code == 409
    assert WorkOrder.objects.count() == 1


def test_create_with_client_id_is_a_replayable_offline_create(with_token, technician):
    client = with_token(technician)
    client_id = str(uuid.uuid4())
    first = client.post(
        "/api/v1/work-orders", {"id": client_id, "title": "Found a crack"}, content_type=JSON
    )
    replay = client.post(
        "/api/v1/work-orders", {"id": client_id, "title": "Found a crack"}, content_type=JSON
    )
    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["id"] == replay.json()["id"] == client_id
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "priority": "p9"}, "priority"),
        ({"title": "x", "asset_id": str(uuid.uuid4())}, "asset_id"),
        (
            {
                "title": "x",
                "scheduled_start": "2030-01-02T10:00:00Z",
                "scheduled_end": "2030-01-01T10:00:00Z",
            },
            "scheduled_end",
        ),
    ],
)
def test_bad_create_is_refused_and_stores_nothing(with_token, dispatcher, payload, field):
    response = with_token(dispatcher).post("/api/v1/work-orders", payload, content_type=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert field in str(error["details"])
    assert not WorkOrder.objects.exists()


def test_list_filters_and_pages_with_a_fixed_query_count(
    with_token, dispatcher, technician, django_assert_max_num_queries
):
    for index in range(7):
        work_order = make_work_order(
            dispatcher, title=f"Job {index}", priority="p1" if index % 2 else "p3"
        )
        if index < 3:
            assign(work_order, technician, dispatcher)
    client = with_token(technician)
    mine = client.get("/api/v1/work-orders?assignee=me").json()["items"]
    assert len(mine) == 3
    urgent = client.get("/api/v1/work-orders?priority=p1").json()["items"]
    assert {w["priority"] for w in urgent} == {"p1"}
    seen = []
    cursor = ""
    with django_assert_max_num_queries(8):
        page = client.get(f"/api/v1/work-orders?limit=3&cursor={cursor}").json()
    seen += page["items"]
    while page["next_cursor"]:
        page = client.get(f"/api/v1/work-orders?limit=3&cursor={page['next_cursor']}").json()
        seen += page["items"]
    assert [w["number"] for w in seen] == [f"WO-{n:06d}" for n in range(7, 0, -1)]


def test_list_query_count_does_not_grow_with_page_size(
    with_token, dispatcher, technician, django_assert_num_queries
):
    client = with_token(dispatcher)
    client.get("/api/v1/me")  # the token's first use records last_used_at: not part of a list
    make_work_order(dispatcher)
    counts = []
    for size in (1, 30):
        while WorkOrder.objects.count() < size:
            assign(make_work_order(dispatcher), technician, dispatcher)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/work-orders?limit={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_overdue_filter(with_token, dispatcher):
    late = make_work_order(dispatcher, title="Late")
    WorkOrder.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    make_work_order(dispatcher, title="On time")
    items = with_token(dispatcher).get("/api/v1/work-orders?overdue=true").json()["items"]
    assert [w["title"] for w in items] == ["Late"]
    assert items[0]["sla_state"] == "overdue"


def test_stale_version_is_a_conflict_with_the_current_record(with_token, dispatcher):
    work_order = make_work_order(dispatcher)
    client = with_token(dispatcher)
    ok = client.patch(
        f"/api/v1/work-orders/{work_order.reference}",
        {"version": 1, "priority": "p1"},
        content_type=JSON,
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/work-orders/{work_order.reference}",
        {"version": 1, "title": "Overwrite"},
        content_type=JSON,
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "VERSION_CONFLICT"
    assert error["details"]["current"]["priority"] == "p1"
    assert error["details"]["current"]["version"] == 2
    work_order.refresh_from_db()
    assert work_order.title != "Overwrite"


def test_illegal_transition_is_409_and_changes_nothing(with_token, dispatcher):
    work_order = make_work_order(dispatcher)
    response = with_token(dispatcher).post(
        f"/api/v1/work-orders/{work_order.reference}/transition",
        {"to": "completed", "version": 1},
        content_type=JSON,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_TRANSITION"
    work_order.refresh_from_db()
    assert (work_order.status, work_order.version) == ("new", 1)


def test_technician_cannot_start_someone_elses_work_order(
    with_token, dispatcher, technician, organization
):
    colleague = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    work_order = assign(make_work_order(dispatcher), colleague, dispatcher)
    response = with_token(technician).post(
        f"/api/v1/work-orders/{work_order.reference}/transition",
        {"to": "in_progress", "version": work_order.version},
        content_type=JSON,
    )
    assert response.status_code == 403
    work_order.refresh_from_db()
    assert work_order.status == "assigned"


def test_completion_needs_notes_checklist_and_failure_analysis(with_token, dispatcher, technician):
    from workorders.services import ChecklistItemSpec

    work_order = make_work_order(dispatcher, checklist=[ChecklistItemSpec("Seal dry")])
    work_order = move(assign(work_order, technician, dispatcher), technician, "in_progress")
    client = with_token(technician)
    url = f"/api/v1/work-orders/{work_order.reference}"
    refused = client.post(
        f"{url}/transition", {"to": "completed", "version": work_order.version}, content_type=JSON
    )
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert set(details) == {"resolution_notes", "failure_code", "cause", "remedy", "checklist.1"}
    item = client.get(f"{url}/checklist").json()[0]
    client.post(f"{url}/checklist/{item['id']}/answers", {"result": "pass"}, content_type=JSON)
    done = client.post(
        f"{url}/transition",
        {
            "to": "completed",
            "version": work_order.version,
            "resolution_notes": "Replaced seal",
            "failure_code": "LEAK",
            "cause": "Worn",
            "remedy": "Replaced",
            "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        },
        content_type=JSON,
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
    work_order.refresh_from_db()
    assert timezone.now() - work_order.completed_at > timedelta(hours=1, minutes=59)


def test_signature_required_by_the_organisation(with_token, dispatcher, technician, supervisor):
    """The customer signs the completed report, so a required signature is needed to close the
    job (completing comes first), and a signature on an earlier report does not count."""
    from workorders.models import OrganizationWorkSettings

    OrganizationWorkSettings.objects.create(
        organization=dispatcher.organization, require_signature=True
    )
    work_order = make_work_order(dispatcher, work_type="inspection")
    work_order = move(assign(work_order, technician, dispatcher), technician, "in_progress")
    url = f"/api/v1/work-orders/{work_order.reference}"
    tech, boss = with_token(technician), with_token(supervisor)

    def version() -> int:
        return WorkOrder.objects.get(pk=work_order.pk).version

    def sign(name: str):
        return tech.post(
            f"{url}/signature",
            {"signer_name": name, "image": SimpleUploadedFile("s.png", PNG, "image/png")},
        )

    early = sign("Too early")
    assert early.status_code == 422
    assert early.json()["error"]["details"] == {"status": "in_progress"}
    done = tech.post(
        f"{url}/transition",
        {"to": "completed", "version": version(), "resolution_notes": "All fine"},
        content_type=JSON,
    )
    assert done.status_code == 200, done.content
    refused = boss.post(
        f"{url}/transition", {"to": "closed", "version": version()}, content_type=JSON
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["details"]) == {"signature"}
    assert sign("Dana Customer").status_code == 201
    again = sign("Dana Customer")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "CONFLICT")
    closed = boss.post(
        f"{url}/transition", {"to": "closed", "version": version()}, content_type=JSON
    )
    assert closed.status_code == 200, closed.content
    assert WorkOrder.objects.get(pk=work_order.pk).status == "closed"


def test_children_replays_store_once(with_token, dispatcher, technician):
    work_order = move(
        assign(make_work_order(dispatcher), technician, dispatcher), technician, "in_progress"
    )
    part = make_part(dispatcher.organization_id)
    client = with_token(technician)
    url = f"/api/v1/work-orders/{work_order.reference}"
    note_id, time_id, part_use_id = (str(uuid.uuid4()) for _ in range(3))
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    for expected in (201, 200):
        assert (
            client.post(
                f"{url}/notes", {"id": note_id, "text": "Seal worn"}, content_type=JSON
            ).status_code
            == expected
        )
        assert (
            client.post(
                f"{url}/time-entries",
                {"id": time_id, "kind": "work", "started_at": start, "minutes": 45},
                content_type=JSON,
            ).status_code
            == expected
        )
        assert (
            client.post(
                f"{url}/parts",
                {
                    "id": part_use_id,
                    "part_id": str(part.public_id),
                    "quantity": "1",
                    "stock_location": "Van 3",
                },
                content_type=JSON,
            ).status_code
            == expected
        )
    assert Note.objects.count() == 1
    assert client.get(f"{url}/time-entries").json()[0]["minutes"] == 45
    assert client.get(f"{url}/parts").json()[0]["part_code"] == "SEAL-40"
    assert WorkOrder.objects.get(pk=work_order.pk).version == work_order.version


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "work", "started_at": "2020-01-01T00:00:00Z", "minutes": 5}, "started_at"),
        ({"kind": "work", "started_at": "NOW", "minutes": 0}, "minutes"),
        ({"kind": "nap", "started_at": "NOW", "minutes": 5}, "kind"),
    ],
)
def test_bad_time_entries_are_refused(with_token, dispatcher, technician, payload, field):
    work_order = move(
        assign(make_work_order(dispatcher), technician, dispatcher), technician, "in_progress"
    )
    if payload["started_at"] == "NOW":
        payload["started_at"] = (timezone.now() - timedelta(minutes=10)).isoformat()
    response = with_token(technician).post(
        f"/api/v1/work-orders/{work_order.reference}/time-entries", payload, content_type=JSON
    )
    assert response.status_code == 422
    assert field in str(response.json()["error"]["details"])
    # only the work clock that starting the job set running
    assert list(work_order.time_entries.values_list("kind", "minutes")) == [("work", None)]


def test_running_clock_starts_and_stops(with_token, dispatcher, technician):
    work_order = move(
        assign(make_work_order(dispatcher), technician, dispatcher), technician, "in_progress"
    )
    client = with_token(technician)
    url = f"/api/v1/work-orders/{work_order.reference}/time-entries"
    started = client.post(
        url,
        {"kind": "travel", "started_at": (timezone.now() - timedelta(minutes=30)).isoformat()},
        content_type=JSON,
    ).json()
    assert started["ended_at"] is None
    stopped = client.post(f"{url}/{started['id']}/stop", {}, content_type=JSON).json()
    assert 29 <= stopped["minutes"] <= 31


def test_other_organisation_work_order_is_404_everywhere(with_token, dispatcher, other_org_user):
    work_order = make_work_order(dispatcher)
    client = with_token(other_org_user)
    base = f"/api/v1/work-orders/{work_order.reference}"
    assert client.get(base).status_code == 404
    assert client.get(f"/api/v1/work-orders/{work_order.public_id}").status_code == 404
    assert client.post(f"{base}/notes", {"text": "hi"}, content_type=JSON).status_code == 404
    assert (
        client.post(
            f"{base}/transition",
            {"to": "cancelled", "version": 1, "reason": "x"},
            content_type=JSON,
        ).status_code
        == 404
    )
    assert client.get("/api/v1/work-orders").json()["items"] == []
    work_order.refresh_from_db()
    assert work_order.status == Status.NEW


def test_status_open_lists_open_work(with_token, dispatcher):
    open_one = make_work_order(dispatcher, title="Still open")
    done = make_work_order(dispatcher, title="Cancelled one")
    move(done, dispatcher, "cancelled", reason="Duplicate")
    response = with_token(dispatcher).get("/api/v1/work-orders?status=open")
    assert response.status_code == 200, response.content
    assert [w["number"] for w in response.json()["items"]] == [open_one.reference]
