"""A failed check opens one follow-up: asked twice (a double tap, a retry, another door), the
second request answers with the one already open; the database holds the rule."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from tests.workorders.factories import assign, make_work_order, move
from workorders import services
from workorders.models import WorkOrder
from workorders.services import ChecklistItemSpec

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def failed(dispatcher, technician):
    job = make_work_order(
        dispatcher, work_type="inspection", checklist=[ChecklistItemSpec("Guard fitted")]
    )
    job = move(assign(job, technician, dispatcher), technician, "in_progress")
    item = job.checklist.get()
    services.checklist_answer(
        membership=technician, work_order=job, item_id=item.public_id, result="fail", text="Bent"
    )
    return job, item


def follow_ups(job) -> list[str]:
    return [w.reference for w in WorkOrder.objects.filter(follow_up_of=job).order_by("id")]


# door, first answer, second answer: the second names the same follow-up.
TWICE = [
    ("api", 201, 200),
    ("page", 302, 302),
]


@pytest.mark.parametrize(("door", "first_status", "second_status"), TWICE)
def test_asking_twice_opens_one_follow_up(
    door, first_status, second_status, failed, technician, with_token, as_member
):
    job, item = failed
    if door == "api":
        client = with_token(technician)
        url = f"/api/v1/work-orders/{job.reference}/checklist/{item.public_id}/follow-up"
        first, second = (client.post(url, {}, content_type=JSON) for _ in range(2))
        assert first.json()["number"] == second.json()["number"]
    else:
        client = as_member(technician)
        url = f"/work-orders/{job.reference}/checklist/{item.public_id}/follow-up/"
        first, second = client.post(url), client.post(url)
        assert "already open" in client.get(second.url).content.decode()
    assert (first.status_code, second.status_code) == (first_status, second_status)
    (only,) = follow_ups(job)
    assert only == "WO-000002"


def test_the_database_refuses_a_second_follow_up_for_one_failed_answer(failed, technician):
    job, item = failed
    follow_up, created = services.follow_up_create(
        membership=technician, work_order=job, item_id=item.public_id
    )
    assert created
    answer = item.answers.get()
    copy = WorkOrder.objects.get(pk=follow_up.pk)
    copy.pk, copy.number, copy.public_id = None, 99, uuid.uuid4()
    assert copy.found_by_id == answer.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert follow_ups(job) == [follow_up.reference]


def test_a_new_failure_after_a_pass_opens_its_own_follow_up(failed, technician):
    job, item = failed
    first, _ = services.follow_up_create(
        membership=technician, work_order=job, item_id=item.public_id
    )
    for result in ("pass", "fail"):
        services.checklist_answer(
            membership=technician, work_order=job, item_id=item.public_id, result=result
        )
    second, created = services.follow_up_create(
        membership=technician, work_order=job, item_id=item.public_id
    )
    assert created
    assert second.pk != first.pk
    assert follow_ups(job) == [first.reference, second.reference]


def test_the_job_page_links_to_the_follow_up_instead_of_offering_another(
    failed, technician, as_member
):
    job, item = failed
    client = as_member(technician)
    page = client.get(f"/work-orders/{job.reference}/").content.decode()
    assert "Open follow-up work order" in page
    follow_up, _ = services.follow_up_create(
        membership=technician, work_order=job, item_id=item.public_id
    )
    page = client.get(f"/work-orders/{job.reference}/").content.decode()
    assert "Open follow-up work order" not in page
    assert f'href="/work-orders/{follow_up.reference}/"' in page
    assert f"Follow-up {follow_up.reference}" in page
