"""Completed work is locked: after completion nothing on the job changes, through any door,
until a dispatcher or admin reopens it (and that reopen is in the history)."""

import base64
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders import services
from workorders.models import ChecklistAnswer, Part, WorkOrder
from workorders.services import ChecklistItemSpec, report_sha256

pytestmark = pytest.mark.django_db
JSON = "application/json"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
LOCKED = (409, "WORK_ORDER_LOCKED")
CONFLICT = ("conflict", "WORK_ORDER_LOCKED")

# door, change, status → the answer. Written out: a change to the product's rule must fail here.
EXPECTED = [
    ("api", "note", "completed", LOCKED),
    ("api", "time_log", "completed", LOCKED),
    ("api", "time_start", "completed", LOCKED),
    ("api", "time_stop", "completed", LOCKED),
    ("api", "part", "completed", LOCKED),
    ("api", "checklist", "completed", LOCKED),
    ("api", "photo", "completed", LOCKED),
    ("api", "patch_title", "completed", LOCKED),
    ("api", "dispatch_start", "completed", LOCKED),
    ("api", "assign", "completed", LOCKED),
    ("page", "note", "completed", LOCKED),
    ("page", "time_log", "completed", LOCKED),
    ("page", "time_start", "completed", LOCKED),
    ("page", "time_stop", "completed", LOCKED),
    ("page", "part", "completed", LOCKED),
    ("page", "checklist", "completed", LOCKED),
    ("page", "photo", "completed", LOCKED),
    ("page", "assign", "completed", LOCKED),
    ("board", "drop_on_slot", "completed", LOCKED),
    ("offline", "note", "completed", CONFLICT),
    ("offline", "time_log", "completed", CONFLICT),
    ("offline", "time_stop", "completed", CONFLICT),
    ("offline", "part", "completed", CONFLICT),
    ("offline", "checklist", "completed", CONFLICT),
    ("offline", "photo", "completed", CONFLICT),
    ("api", "note", "closed", LOCKED),
    ("api", "time_log", "closed", LOCKED),
    ("api", "time_start", "closed", LOCKED),
    ("api", "time_stop", "closed", LOCKED),
    ("api", "part", "closed", LOCKED),
    ("api", "checklist", "closed", LOCKED),
    ("api", "photo", "closed", LOCKED),
    ("api", "patch_title", "closed", LOCKED),
    ("api", "dispatch_start", "closed", LOCKED),
    ("api", "assign", "closed", LOCKED),
    ("page", "note", "closed", LOCKED),
    ("page", "time_log", "closed", LOCKED),
    ("page", "time_start", "closed", LOCKED),
    ("page", "time_stop", "closed", LOCKED),
    ("page", "part", "closed", LOCKED),
    ("page", "checklist", "closed", LOCKED),
    ("page", "photo", "closed", LOCKED),
    ("page", "assign", "closed", LOCKED),
    ("board", "drop_on_slot", "closed", LOCKED),
    ("offline", "note", "closed", CONFLICT),
    ("offline", "time_log", "closed", CONFLICT),
    ("offline", "time_stop", "closed", CONFLICT),
    ("offline", "part", "closed", CONFLICT),
    ("offline", "checklist", "closed", CONFLICT),
    ("offline", "photo", "closed", CONFLICT),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def worked(dispatcher, technician):
    """A job worked on: a check answered, a note, and a travel clock running (completing stops
    it)."""
    make_part(dispatcher.organization_id)
    job = make_work_order(
        dispatcher, work_type="inspection", checklist=[ChecklistItemSpec("Guard fitted")]
    )
    job = move(assign(job, technician, dispatcher), technician, "in_progress")
    item = job.checklist.get()
    services.checklist_answer(
        membership=technician, work_order=job, item_id=item.public_id, result="pass"
    )
    services.note_add(membership=technician, work_order=job, text="Guard was loose")
    services.time_entry_add(
        membership=technician,
        work_order=job,
        kind="travel",
        started_at=timezone.now() - timedelta(minutes=30),
    )
    return job


def finish(job, technician, supervisor, status: str) -> WorkOrder:
    job = move(job, technician, "completed", resolution=services.Resolution("Guard refitted"))
    if status == "closed":
        job = move(job, supervisor, "closed")
    return WorkOrder.objects.get(pk=job.pk)


def snapshot(job: WorkOrder) -> dict:
    """Everything a change could touch, read back from the database."""
    job = WorkOrder.objects.get(pk=job.pk)
    return {
        "status": job.status,
        "version": job.version,
        "title": job.title,
        "scheduled_start": job.scheduled_start,
        "assignees": sorted(job.assignments.values_list("membership_id", flat=True)),
        "running_clocks": job.time_entries.filter(ended_at__isnull=True).count(),
        "answers": ChecklistAnswer.objects.filter(item__work_order=job).count(),
        "attachments": job.attachments.count(),
        "report_sha256": report_sha256(job),
    }


def api_attempt(change, job, people, with_token):
    url = f"/api/v1/work-orders/{job.reference}"
    tech, office = with_token(people["technician"]), with_token(people["dispatcher"])
    item = job.checklist.get()
    running = job.time_entries.latest("id")  # the clock completion stopped
    now = timezone.now()
    calls = {
        "note": lambda: tech.post(f"{url}/notes", {"text": "Late note"}, content_type=JSON),
        "time_log": lambda: tech.post(
            f"{url}/time-entries",
            {"kind": "work", "started_at": (now - timedelta(hours=1)).isoformat(), "minutes": 5},
            content_type=JSON,
        ),
        "time_start": lambda: tech.post(
            f"{url}/time-entries",
            {"kind": "travel", "started_at": now.isoformat()},
            content_type=JSON,
        ),
        "time_stop": lambda: tech.post(
            f"{url}/time-entries/{running.public_id}/stop", {}, content_type=JSON
        ),
        "part": lambda: tech.post(
            f"{url}/parts", {"part_code": "SEAL-40", "quantity": "1"}, content_type=JSON
        ),
        "checklist": lambda: tech.post(
            f"{url}/checklist/{item.public_id}/answers", {"result": "fail"}, content_type=JSON
        ),
        "photo": lambda: tech.post(
            f"{url}/attachments", {"file": SimpleUploadedFile("late.png", PNG, "image/png")}
        ),
        "patch_title": lambda: office.patch(
            url, {"title": "Renamed after the fact", "version": job.version}, content_type=JSON
        ),
        "dispatch_start": lambda: office.post(
            f"{url}/dispatch",
            {
                "technician_ids": [str(people["technician"].public_id)],
                "version": job.version,
                "start": (now + timedelta(days=1)).isoformat(),
                "override": True,
                "override_reason": "Test",
            },
            content_type=JSON,
        ),
        "assign": lambda: office.post(
            f"{url}/assign",
            {"technician_ids": [str(people["other_technician"].public_id)], "version": job.version},
            content_type=JSON,
        ),
    }
    response = calls[change]()
    return response.status_code, response.json()["error"]["code"]


def page_attempt(change, job, people, as_member):
    url = f"/work-orders/{job.reference}"
    tech, office = as_member(people["technician"]), as_member(people["dispatcher"])
    item = job.checklist.get()
    part_id = Part.objects.get(organization_id=job.organization_id).public_id
    calls = {
        "note": lambda: tech.post(f"{url}/notes/", {"text": "Late note"}),
        "time_log": lambda: tech.post(f"{url}/time/log/", {"kind": "work", "minutes": "5"}),
        "time_start": lambda: tech.post(f"{url}/time/start/", {"kind": "travel"}),
        # The page's stop form names its clock, as the API's path does (here the one
        # completion stopped).
        "time_stop": lambda: tech.post(
            f"{url}/time/stop/", {"entry_id": str(job.time_entries.latest("id").public_id)}
        ),
        "part": lambda: tech.post(f"{url}/parts/", {"part": str(part_id), "quantity": "1"}),
        "checklist": lambda: tech.post(f"{url}/checklist/{item.public_id}/", {"result": "fail"}),
        "photo": lambda: tech.post(
            f"{url}/attachments/", {"file": SimpleUploadedFile("late.png", PNG, "image/png")}
        ),
        "assign": lambda: office.post(
            f"{url}/assign/",
            {"technician": str(people["other_technician"].public_id), "version": job.version},
        ),
    }
    response = calls[change]()
    html = response.content.decode()
    # The page names the refusal: the code on the message, the reason in words.
    assert 'data-error-code="WORK_ORDER_LOCKED"' in html, html[:2000]
    assert "reopen" in html.lower()
    return response.status_code, "WORK_ORDER_LOCKED"


def board_attempt(change, job, people, as_member):
    assert change == "drop_on_slot"
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0)
    response = as_member(people["dispatcher"]).post(
        "/board/plan/",
        {
            "wo": job.reference,
            "version": job.version,
            "technician": str(people["technician"].public_id),
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "override": "1",
            "override_reason": "Test",
        },
        headers={"HX-Request": "true"},
    )
    assert "reopen" in response.content.decode().lower()
    return response.status_code, "WORK_ORDER_LOCKED"


def offline_attempt(change, job, people, with_token):
    item = job.checklist.get()
    running = job.time_entries.latest("id")  # the clock completion stopped
    now = timezone.now()
    typed = {
        "note": ("note.add", {"id": str(uuid.uuid4()), "text": "Typed in the basement"}),
        "time_log": (
            "time_entry.add",
            {
                "id": str(uuid.uuid4()),
                "kind": "work",
                "started_at": (now - timedelta(hours=1)).isoformat(),
                "minutes": 5,
            },
        ),
        "time_stop": ("time_entry.stop", {"entry_id": str(running.public_id)}),
        "part": ("part.use", {"id": str(uuid.uuid4()), "part_code": "SEAL-40", "quantity": "1"}),
        "checklist": (
            "checklist.answer",
            {"id": str(uuid.uuid4()), "item_id": str(item.public_id), "result": "fail"},
        ),
        "photo": (
            "attachment.add",
            {
                "id": str(uuid.uuid4()),
                "name": "late.png",
                "content_base64": base64.b64encode(PNG).decode(),
            },
        ),
    }
    kind, data = typed[change]
    response = with_token(people["technician"]).post(
        "/api/v1/sync/push",
        {
            "device_id": "phone-1",
            "mutations": [
                {
                    "id": str(uuid.uuid4()),
                    "kind": kind,
                    "work_order": str(job.public_id),
                    "occurred_at": (now - timedelta(minutes=1)).isoformat(),
                    "data": data,
                }
            ],
        },
        content_type=JSON,
    )
    (result,) = response.json()["results"]
    # A conflict the phone shows: the server's record comes along (it is done).
    assert result["current"]["status"] == job.status, result
    return result["status"], result.get("code")


DOORS = {
    "api": api_attempt,
    "page": page_attempt,
    "board": board_attempt,
    "offline": offline_attempt,
}


@pytest.mark.parametrize(("door", "change", "status", "expected"), EXPECTED)
def test_a_completed_or_closed_job_refuses_every_change_through_every_door(
    door,
    change,
    status,
    expected,
    worked,
    technician,
    dispatcher,
    supervisor,
    as_member,
    with_token,
):
    people = {
        "technician": technician,
        "dispatcher": dispatcher,
        "other_technician": MembershipFactory(
            organization=technician.organization, role=Role.TECHNICIAN
        ),
    }
    job = finish(worked, technician, supervisor, status)
    before = snapshot(job)
    client_factory = with_token if door in ("api", "offline") else as_member
    assert DOORS[door](change, job, people, client_factory) == expected
    assert snapshot(job) == before


# Who may reopen done work (the explicit way back), and what it leaves in the history.
REOPEN = [
    ("technician", "completed", False),
    ("dispatcher", "completed", True),
    ("supervisor", "completed", False),
    ("admin_member", "completed", True),
    ("technician", "closed", False),
    ("dispatcher", "closed", True),
    ("supervisor", "closed", False),
    ("admin_member", "closed", True),
]


@pytest.mark.parametrize(("who", "status", "allowed"), REOPEN)
def test_only_a_dispatcher_or_admin_reopens_and_the_reopen_is_recorded(
    who, status, allowed, request, worked, technician, supervisor, with_token
):
    job = finish(worked, technician, supervisor, status)
    actor = request.getfixturevalue(who)
    response = with_token(actor).post(
        f"/api/v1/work-orders/{job.reference}/transition",
        {"to": "assigned", "version": job.version},
        content_type=JSON,
    )
    job.refresh_from_db()
    if not allowed:
        assert response.status_code == 403, response.content
        assert job.status == status
        return
    assert response.status_code == 200, response.content
    assert job.status == "assigned"
    reopen = job.history.filter(kind="status").last()
    assert (reopen.from_status, reopen.to_status, reopen.actor_id) == (status, "assigned", actor.pk)
    # Reopened, the job takes changes again.
    notes = f"/api/v1/work-orders/{job.reference}/notes"
    note = with_token(technician).post(notes, {"text": "After the reopen"}, content_type=JSON)
    assert note.status_code == 201, note.content


def test_the_job_page_of_a_completed_job_shows_no_forms_and_offers_reopen(
    worked, technician, dispatcher, supervisor, as_member
):
    job = finish(worked, technician, supervisor, "completed")
    url = f"/work-orders/{job.reference}/"
    tech_html = as_member(technician).get(url).content.decode()
    assert "Completed — reopen to change" in tech_html
    for form_action in ("/notes/", "/time/start/", "/time/stop/", "/time/log/", "/parts/"):
        assert f'action="{url}{form_action[1:]}"' not in tech_html, form_action
    assert f'action="{url}attachments/"' not in tech_html
    assert f'action="{url}checklist/' not in tech_html
    assert "Reopen" not in tech_html.split("Completed — reopen to change")[1].split("</p>")[0]
    office_html = as_member(dispatcher).get(url).content.decode()
    assert "Completed — reopen to change" in office_html
    assert ">Reopen</button>" in office_html
    assert ">Reopen</button>" not in as_member(supervisor).get(url).content.decode()
