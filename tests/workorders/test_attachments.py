"""Photos and files on a work order: limits checked by size and content, nothing stored when
refused; a failed check's follow-up work order carries its photo as evidence."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.assets.factories import make_asset
from tests.workorders.factories import assign, make_work_order, move
from workorders.models import Attachment, WorkOrder, WorkOrderHistory
from workorders.services import ChecklistItemSpec

pytestmark = pytest.mark.django_db
JSON = "application/json"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8  # ~2 KB, a JPEG by content


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def job(dispatcher, technician):
    work_order = make_work_order(
        dispatcher,
        work_type="inspection",
        checklist=[
            ChecklistItemSpec("Seal dry", requires_photo=True),
            ChecklistItemSpec("Vibration", kind="value", unit="mm/s", max_value=4.5),
        ],
        asset_id=make_asset(dispatcher, "PMP-7").public_id,
    )
    return move(assign(work_order, technician, dispatcher), technician, "in_progress")


def upload(client, work_order, content: bytes, name: str = "photo.jpg", **fields):
    return client.post(
        f"/api/v1/work-orders/{work_order.reference}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type="image/jpeg"), **fields},
    )


def test_photo_is_stored_with_its_hash_and_served_back(with_token, as_member, technician, job):
    response = upload(with_token(technician), job, JPEG, caption="Seal")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "photo"
    assert body["content_type"] == "image/jpeg"
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest()
    served = as_member(technician).get(body["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == JPEG


def test_oversized_upload_is_refused_and_nothing_is_stored(
    with_token, technician, job, settings, media_root
):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(with_token(technician), job, JPEG)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "file" in error["details"]
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"Just a text file pretending to be a photo", "holiday.jpg"),
        (b"MZ\x90\x00\x03 an executable", "invoice.pdf"),
        (b"", "empty.jpg"),
    ],
)
def test_wrong_type_upload_is_refused_and_nothing_is_stored(
    with_token, technician, job, media_root, content, name
):
    response = upload(with_token(technician), job, content, name=name)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_another_organisation_cannot_upload_or_download(
    with_token, as_member, technician, other_org_user, job, media_root
):
    assert upload(with_token(other_org_user), job, JPEG).status_code == 404
    assert not Attachment.objects.exists()
    url = upload(with_token(technician), job, JPEG).json()["url"]
    assert as_member(other_org_user).get(url).status_code == 404


def test_failed_item_opens_a_linked_follow_up_with_the_photo_as_evidence(
    with_token, technician, job
):
    client = with_token(technician)
    url = f"/api/v1/work-orders/{job.reference}"
    seal = client.get(f"{url}/checklist").json()[0]
    client.post(
        f"{url}/checklist/{seal['id']}/answers",
        {"result": "fail", "text": "Seal weeping"},
        content_type=JSON,
    )
    photo = upload(client, job, JPEG, checklist_item_id=seal["id"]).json()
    response = client.post(
        f"{url}/checklist/{seal['id']}/follow-up", {"priority": "p2"}, content_type=JSON
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["follow_up_of"] == job.reference
    assert (body["work_type"], body["priority"]) == ("corrective", "p2")
    assert body["asset"]["code"] == "PMP-7"
    assert "Seal weeping" in body["description"]
    follow_up = WorkOrder.objects.get(public_id=body["id"])
    assert follow_up.follow_up_of_id == job.pk
    evidence = follow_up.attachments.get()
    assert evidence.sha256 == photo["sha256"]
    assert evidence.file.read() == JPEG
    created = WorkOrderHistory.objects.get(work_order=follow_up, kind="created")
    assert created.details == {"follow_up_of": job.reference}


def test_a_value_outside_its_limits_also_opens_a_follow_up(with_token, technician, job):
    client = with_token(technician)
    url = f"/api/v1/work-orders/{job.reference}"
    vibration = client.get(f"{url}/checklist").json()[1]
    client.post(f"{url}/checklist/{vibration['id']}/answers", {"value": 7.1}, content_type=JSON)
    response = client.post(f"{url}/checklist/{vibration['id']}/follow-up", {}, content_type=JSON)
    assert response.status_code == 201
    assert "7.1 mm/s" in response.json()["description"]


def test_follow_up_replayed_with_the_same_id_opens_one(with_token, technician, job):
    client = with_token(technician)
    url = f"/api/v1/work-orders/{job.reference}"
    seal = client.get(f"{url}/checklist").json()[0]
    client.post(f"{url}/checklist/{seal['id']}/answers", {"result": "fail"}, content_type=JSON)
    payload = {"id": "5b0c8f62-3a0e-4a8f-9d55-7b2f3f0f0c11"}
    first = client.post(f"{url}/checklist/{seal['id']}/follow-up", payload, content_type=JSON)
    again = client.post(f"{url}/checklist/{seal['id']}/follow-up", payload, content_type=JSON)
    assert (first.status_code, again.status_code) == (201, 200)
    assert WorkOrder.objects.filter(follow_up_of=job).count() == 1


def test_a_passed_item_opens_no_follow_up(with_token, technician, job):
    client = with_token(technician)
    url = f"/api/v1/work-orders/{job.reference}"
    seal = client.get(f"{url}/checklist").json()[0]
    client.post(f"{url}/checklist/{seal['id']}/answers", {"result": "pass"}, content_type=JSON)
    response = client.post(f"{url}/checklist/{seal['id']}/follow-up", {}, content_type=JSON)
    assert response.status_code == 422
    assert WorkOrder.objects.count() == 1


def test_an_item_that_requires_a_photo_blocks_completion_until_one_is_added(
    with_token, technician, job
):
    client = with_token(technician)
    url = f"/api/v1/work-orders/{job.reference}"
    seal, vibration = client.get(f"{url}/checklist").json()
    client.post(f"{url}/checklist/{seal['id']}/answers", {"result": "pass"}, content_type=JSON)
    client.post(f"{url}/checklist/{vibration['id']}/answers", {"value": 2.0}, content_type=JSON)
    complete = {"to": "completed", "version": job.version, "resolution_notes": "Checked"}
    refused = client.post(f"{url}/transition", complete, content_type=JSON)
    assert refused.status_code == 422
    assert "needs a photo" in refused.json()["error"]["details"]["checklist.1"]
    upload(client, job, JPEG, checklist_item_id=seal["id"])
    done = client.post(f"{url}/transition", complete, content_type=JSON)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed"
