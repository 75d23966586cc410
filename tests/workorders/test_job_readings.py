"""Meter readings taken on a job: one reading service, recorded with the job, listed in its report,
and a typed value far from the last one saved only once the person confirms it."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from assets.models import MeterReading
from fieldops.errors import ValidationFailed
from tests.assets.factories import make_asset, make_meter, make_reading
from tests.workorders.factories import assign, make_work_order, move
from workorders import services
from workorders.models import WorkOrderReading
from workorders.services.reports import report_content

pytestmark = pytest.mark.django_db

# (meter, last reading, typed value) -> refused as unusual?  Hours: no range, so half the last
# value (600 h) is the limit; temperature: half its range of -40..200 °C (120 °C).
PLAUSIBILITY = [
    ("hours", 1200, 1250, False),
    ("hours", 1200, 1800, False),
    ("hours", 1200, 1801, True),
    ("hours", 1200, 12000, True),
    ("hours", None, 12000, False),
    ("temperature", 60, 180, False),
    ("temperature", 60, 181, True),
    ("temperature", 100, -21, True),
    ("temperature", 100, -20, False),
]


@pytest.fixture
def job(dispatcher, technician):
    pump = make_asset(dispatcher, "PMP-001", name="Feed pump")
    meters = {
        "hours": make_meter(dispatcher, pump),
        "temperature": make_meter(
            dispatcher,
            pump,
            name="Bearing temperature",
            kind="gauge",
            unit="°C",
            min_value=-40,
            max_value=200,
        ),
    }
    work_order = assign(
        make_work_order(dispatcher, asset_id=pump.public_id), technician, dispatcher
    )
    return move(work_order, technician, "in_progress"), meters


def take(technician, work_order, meter, value, **kw):
    return services.work_order_reading_record(
        membership=technician, work_order=work_order, meter_id=meter.public_id, value=value, **kw
    )


@pytest.mark.parametrize(("meter", "last", "value", "unusual"), PLAUSIBILITY)
def test_a_value_far_from_the_last_reading_waits_for_confirmation(
    technician, job, meter, last, value, unusual
):
    work_order, meters = job
    if last is not None:
        make_reading(technician, meters[meter], last, timezone.now() - timedelta(days=1))
    before = MeterReading.objects.count()
    if unusual:
        with pytest.raises(ValidationFailed) as refused:
            take(technician, work_order, meters[meter], value)
        assert refused.value.details["unusual"] is True
        assert "far from the last reading" in refused.value.details["fields"]["value"]
        assert MeterReading.objects.count() == before
        take(technician, work_order, meters[meter], value, unusual_confirmed=True)
    else:
        take(technician, work_order, meters[meter], value)
    taken = WorkOrderReading.objects.get(work_order=work_order).reading
    assert (taken.meter_id, taken.value, taken.recorded_by_id) == (
        meters[meter].pk,
        value,
        technician.pk,
    )


def test_machine_readings_are_not_second_guessed(technician, job, as_member):
    _, meters = job
    make_reading(technician, meters["hours"], 1200, timezone.now() - timedelta(days=1))
    response = as_member(technician).post(
        "/api/v1/readings",
        {"meter": str(meters["hours"].public_id), "value": 12000, "taken_at": timezone.now()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert meters["hours"].readings.count() == 2


def test_only_the_jobs_asset_meters_are_read_on_the_job(dispatcher, technician, job):
    work_order, _ = job
    elsewhere = make_meter(dispatcher, make_asset(dispatcher, "FAN-9"))
    with pytest.raises(ValidationFailed) as refused:
        take(technician, work_order, elsewhere, 10)
    assert refused.value.details == {"fields": {"meter_id": "Not a meter of this job's asset."}}
    assert not MeterReading.objects.exists()


def test_the_same_reading_sent_twice_is_stored_once(technician, job):
    work_order, meters = job
    client_id = MeterReading().public_id
    first, created = take(technician, work_order, meters["hours"], 5, client_id=client_id)
    again, created_again = take(technician, work_order, meters["hours"], 5, client_id=client_id)
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert WorkOrderReading.objects.count() == 1


def test_the_report_lists_the_readings_and_keeps_older_hashes(technician, job):
    work_order, meters = job
    assert "readings" not in report_content(work_order)
    take(technician, work_order, meters["hours"], 42)
    assert [
        (r["meter"], r["value"], r["unit"]) for r in report_content(work_order)["readings"]
    ] == [("Run hours", 42, "h")]


# Bad readings, written once: (case, what is sent in JobReadingIn's names) -> the answer every door
# gives (status, code, field). The page posts the same under its own names ("meter", "client_id").
BAD_READINGS = [
    ("not a number", {"meter_id": "{hours}", "value": "lots"}, 422, "VALIDATION_ERROR", "value"),
    ("no meter", {"value": "12"}, 422, "VALIDATION_ERROR", "meter_id"),
    (
        "another asset's meter",
        {"meter_id": "{fan}", "value": "12"},
        422,
        "VALIDATION_ERROR",
        "meter_id",
    ),
    (
        "far from the last",
        {"meter_id": "{hours}", "value": "12000"},
        422,
        "VALIDATION_ERROR",
        "value",
    ),
    ("not an id", {"meter_id": "{hours}", "value": "5", "id": "r1"}, 422, "VALIDATION_ERROR", "id"),
]
PAGE_NAMES = {"meter_id": "meter", "id": "client_id"}


@pytest.fixture
def world(dispatcher, technician, job):
    work_order, meters = job
    make_reading(technician, meters["hours"], 1200, timezone.now() - timedelta(days=1))
    fan = make_meter(dispatcher, make_asset(dispatcher, "FAN-9"))
    return work_order, {"{hours}": str(meters["hours"].public_id), "{fan}": str(fan.public_id)}


@pytest.mark.parametrize(("case", "sent", "status", "code", "field"), BAD_READINGS)
def test_a_bad_reading_gets_the_same_answer_from_the_api_and_the_page(
    technician, world, with_token, as_member, case, sent, status, code, field
):
    work_order, ids = world
    sent = {k: ids.get(v, v) for k, v in sent.items()}
    before = list(MeterReading.objects.values_list("pk", flat=True))

    answer = with_token(technician).post(
        f"/api/v1/work-orders/{work_order.reference}/readings",
        sent,
        content_type="application/json",
    )
    assert answer.status_code == status, answer.content
    error = answer.json()["error"]
    assert (error["code"], list(error["details"]["fields"])) == (code, [field])

    page = as_member(technician).post(
        f"/work-orders/{work_order.reference}/readings/",
        {PAGE_NAMES.get(k, k): v for k, v in sent.items()},
    )
    assert page.status_code == status
    assert escape(error["details"]["fields"][field]) in page.content.decode()
    assert list(MeterReading.objects.values_list("pk", flat=True)) == before


def test_the_api_takes_a_reading_once_and_lists_it_with_the_job(technician, world, with_token):
    work_order, ids = world
    client = with_token(technician)
    path = f"/api/v1/work-orders/{work_order.reference}/readings"
    body = {"id": str(uuid.uuid4()), "meter_id": ids["{hours}"], "value": "1250.5", "note": "ok"}
    first = client.post(path, body, content_type="application/json")
    again = client.post(path, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert (first.json()["id"], first.json()["value"], first.json()["unit"]) == (
        body["id"],
        1250.5,
        "h",
    )
    listed = client.get(path).json()
    assert [(r["id"], r["value"]) for r in listed] == [(body["id"], 1250.5)]
    assert WorkOrderReading.objects.filter(work_order=work_order).count() == 1


def test_an_unusual_value_is_stored_once_confirmed(technician, world, with_token):
    work_order, ids = world
    path = f"/api/v1/work-orders/{work_order.reference}/readings"
    body = {"meter_id": ids["{hours}"], "value": 12000}
    refused = with_token(technician).post(path, body, content_type="application/json")
    assert refused.json()["error"]["details"]["unusual"] is True
    confirmed = with_token(technician).post(
        path, body | {"confirm_unusual": True}, content_type="application/json"
    )
    assert confirmed.status_code == 201, confirmed.content
    assert MeterReading.objects.filter(value=12000).count() == 1


def test_a_completed_job_takes_no_reading_through_either_door(
    technician, world, with_token, as_member
):
    work_order, ids = world
    work_order = move(
        work_order,
        technician,
        "completed",
        resolution=services.Resolution("Seal replaced", "LEAK", "Worn seal", "Replaced"),
    )
    before = MeterReading.objects.count()
    answer = with_token(technician).post(
        f"/api/v1/work-orders/{work_order.reference}/readings",
        {"meter_id": ids["{hours}"], "value": 1210},
        content_type="application/json",
    )
    page = as_member(technician).post(
        f"/work-orders/{work_order.reference}/readings/", {"meter": ids["{hours}"], "value": 1210}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "WORK_ORDER_LOCKED")
    assert page.status_code == 409
    assert MeterReading.objects.count() == before
