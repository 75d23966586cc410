"""The service report: its SHA-256 is fixed at signing, so a change made afterwards shows, in the
API and on the printable page."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders import services
from workorders.models import Signature
from workorders.services import ChecklistItemSpec, report_is_intact, report_sha256
from workorders.services.locking import WorkOrderLocked

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG by its magic number


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def job(dispatcher, technician):
    work_order = make_work_order(
        dispatcher, work_type="inspection", checklist=[ChecklistItemSpec("Guard fitted")]
    )
    work_order = move(assign(work_order, technician, dispatcher), technician, "in_progress")
    item = work_order.checklist.get()
    services.checklist_answer(
        membership=technician, work_order=work_order, item_id=item.public_id, result="pass"
    )
    services.time_entry_add(
        membership=technician,
        work_order=work_order,
        kind="work",
        started_at=timezone.now() - timedelta(hours=1),
        minutes=50,
    )
    services.part_use(
        membership=technician,
        work_order=work_order,
        part_id=make_part(work_order.organization_id).public_id,
        quantity="2",
        stock_location="Van 3",
    )
    # The customer signs the completed job's report.
    return services.work_order_transition(
        membership=technician,
        work_order=work_order,
        to_status="completed",
        expected_version=work_order.version,
        resolution=services.Resolution(resolution_notes="Guard refitted"),
    )


def sign(client, work_order, signer: str = "Dana Customer"):
    return client.post(
        f"/api/v1/work-orders/{work_order.reference}/signature",
        {"signer_name": signer, "image": SimpleUploadedFile("sig.png", PNG, "image/png")},
    )


def test_signing_stores_the_report_hash_and_the_report_is_intact(
    with_token, as_member, technician, supervisor, job
):
    signed = sign(with_token(technician), job)
    assert signed.status_code == 201, signed.content
    assert signed.json()["report_sha256"] == report_sha256(job)
    assert report_is_intact(job) is True
    report = with_token(supervisor).get(f"/api/v1/work-orders/{job.reference}/report").json()
    assert (report["signed"], report["intact"]) == (True, True)
    assert report["signed_sha256"] == report["current_sha256"]
    page = as_member(supervisor).get(f"/work-orders/{job.reference}/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Report changed after signing" not in html
    assert Signature.objects.get().report_sha256 in html
    assert "Dana Customer" in html
    assert "Guard fitted" in html
    assert "SEAL-40" in html
    assert "50" in html


@pytest.mark.parametrize("change", ["note", "part", "checklist"])
def test_nothing_the_signature_covers_changes_without_a_reopen_which_then_shows(
    with_token, as_member, technician, dispatcher, supervisor, job, change
):
    sign(with_token(technician), job)
    signed_hash = Signature.objects.get().report_sha256

    def make_change():
        if change == "note":
            services.note_add(membership=technician, work_order=job, text="Also replaced a bolt")
        elif change == "part":
            services.part_use(
                membership=technician, work_order=job, part_code="SEAL-40", quantity="1"
            )
        else:
            item = job.checklist.get()
            services.checklist_answer(
                membership=technician, work_order=job, item_id=item.public_id, result="fail"
            )

    with pytest.raises(WorkOrderLocked):
        make_change()
    job.refresh_from_db()
    assert report_is_intact(job) is True
    # Reopened (recorded), the job takes the change, and the signed report reads as changed.
    job = services.work_order_transition(
        membership=dispatcher,
        work_order=job,
        to_status="assigned",
        expected_version=job.version,
    )
    job = move(job, technician, "in_progress")
    make_change()
    assert report_is_intact(job) is False
    report = with_token(supervisor).get(f"/api/v1/work-orders/{job.reference}/report").json()
    assert (report["signed"], report["intact"]) == (True, False)
    assert report["signed_sha256"] == signed_hash != report["current_sha256"]
    html = as_member(supervisor).get(f"/work-orders/{job.reference}/report/").content.decode()
    assert "Report changed after signing" in html
    assert signed_hash in html
    assert report["current_sha256"] in html


def test_unsigned_report_says_so(as_member, supervisor, job):
    assert report_is_intact(job) is None
    html = as_member(supervisor).get(f"/work-orders/{job.reference}/report/").content.decode()
    assert "Not signed" in html
    assert "Report changed after signing" not in html


def test_signature_image_is_served_to_the_organisation_only(
    with_token, as_member, technician, other_org_user, job
):
    sign(with_token(technician), job)
    signature = Signature.objects.get()
    url = f"/work-orders/{job.reference}/report/signature/{signature.public_id}/"
    image = as_member(technician).get(url)
    assert image.status_code == 200
    assert b"".join(image.streaming_content) == PNG
    assert as_member(other_org_user).get(url).status_code == 404


def test_another_organisation_gets_404_for_the_report(as_member, other_org_user, job):
    assert as_member(other_org_user).get(f"/work-orders/{job.reference}/report/").status_code == 404


def test_report_page_runs_a_fixed_number_of_queries(
    as_member, supervisor, technician, dispatcher, job
):
    # Reopened and under way again, so that rows can be added.
    job = services.work_order_transition(
        membership=dispatcher, work_order=job, to_status="assigned", expected_version=job.version
    )
    job = move(job, technician, "in_progress")
    client = as_member(supervisor)
    url = f"/work-orders/{job.reference}/report/"
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = count()
    for index in range(5):
        services.note_add(membership=technician, work_order=job, text=f"Note {index}")
        services.part_use(membership=technician, work_order=job, part_code="SEAL-40", quantity="1")
        services.time_entry_add(
            membership=technician,
            work_order=job,
            kind="travel",
            started_at=timezone.now() - timedelta(minutes=30),
            minutes=10,
        )
    assert count() == before
