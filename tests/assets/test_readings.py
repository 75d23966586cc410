"""Every bad reading is refused with VALIDATION_ERROR and nothing is stored."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from assets.models import MeterReading
from tests.assets.factories import make_reading

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def post(client, meter, value, taken_at=None, **extra):
    body = {
        "meter": str(meter.public_id),
        "value": value,
        "taken_at": (taken_at or NOW - timedelta(minutes=1)).isoformat(),
        **extra,
    }
    return client.post("/api/v1/readings", body, content_type="application/json")


def assert_refused(response, field):
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"], error


def test_a_good_reading_is_stored_and_announced(
    with_token, technician, hours_meter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(with_token(technician), hours_meter, 1200.5)
    assert response.status_code == 201, response.content
    assert response.json()["value"] == 1200.5
    hours_meter.refresh_from_db()
    assert hours_meter.last_value == 1200.5
    assert len(callbacks) == 1  # meter.reading_recorded, after commit


def test_cumulative_meter_going_backwards_is_refused(as_member, technician, hours_meter):
    make_reading(technician, hours_meter, 1500, NOW - timedelta(days=1))
    response = post(as_member(technician), hours_meter, 1499)
    assert_refused(response, "value")
    assert "backwards" in response.json()["error"]["details"]["fields"]["value"]
    assert MeterReading.objects.count() == 1


def test_meter_replacement_may_restart_the_count(as_member, technician, hours_meter):
    make_reading(technician, hours_meter, 1500, NOW - timedelta(days=1))
    response = post(as_member(technician), hours_meter, 3, is_replacement=True)
    assert response.status_code == 201
    assert post(as_member(technician), hours_meter, 10).status_code == 201


def test_backfilled_reading_above_a_later_one_is_refused(as_member, technician, hours_meter):
    make_reading(technician, hours_meter, 100, NOW - timedelta(days=3))
    make_reading(technician, hours_meter, 200, NOW - timedelta(days=1))
    assert_refused(post(as_member(technician), hours_meter, 250, NOW - timedelta(days=2)), "value")
    assert post(as_member(technician), hours_meter, 150, NOW - timedelta(days=2)).status_code == 201


def test_unit_mismatch_is_refused(as_member, technician, temp_meter):
    assert_refused(post(as_member(technician), temp_meter, 60, unit="°F"), "unit")
    assert post(as_member(technician), temp_meter, 60, unit="°C").status_code == 201
    assert MeterReading.objects.count() == 1


def test_reading_in_the_future_is_refused(as_member, technician, temp_meter):
    assert_refused(
        post(as_member(technician), temp_meter, 60, NOW + timedelta(hours=1)), "taken_at"
    )
    assert MeterReading.objects.count() == 0


@pytest.mark.parametrize("value", ["abc", "", "NaN", "inf", "-Infinity", "12,5", True, None])
def test_non_numbers_are_refused(as_member, technician, temp_meter, value):
    response = post(as_member(technician), temp_meter, value)
    assert_refused(response, "value")
    assert MeterReading.objects.count() == 0


@pytest.mark.parametrize("value", [-41, 200.01, 1e9])
def test_values_outside_the_physical_range_are_refused(as_member, technician, temp_meter, value):
    assert_refused(post(as_member(technician), temp_meter, value), "value")
    assert MeterReading.objects.count() == 0


def test_replacement_flag_on_a_gauge_is_refused(as_member, technician, temp_meter):
    assert_refused(
        post(as_member(technician), temp_meter, 50, is_replacement=True), "is_replacement"
    )


def test_same_client_id_twice_stores_one_reading(as_member, technician, hours_meter):
    client = as_member(technician)
    client_id = "0b6a2d1e-8c55-4f1e-9a57-5a1f2b3c4d5e"
    assert post(client, hours_meter, 10, id=client_id).status_code == 201
    again = post(client, hours_meter, 10, id=client_id)
    assert again.status_code == 200
    assert again.json()["id"] == client_id
    assert MeterReading.objects.count() == 1


def test_naive_time_is_read_in_the_organisation_time_zone(as_member, technician, temp_meter):
    technician.organization.time_zone = "Europe/Berlin"
    technician.organization.save()
    response = as_member(technician).post(
        "/api/v1/readings",
        {"meter": str(temp_meter.public_id), "value": 40, "taken_at": "2025-03-10T12:30:00"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["taken_at"].startswith("2025-03-10T11:30:00")


def test_reading_page_shows_the_error_and_keeps_what_was_typed(as_member, technician, hours_meter):
    make_reading(technician, hours_meter, 1500, NOW - timedelta(days=1))
    client = as_member(technician)
    response = client.post(
        f"/meters/{hours_meter.public_id}/reading/",
        {"value": "1400", "taken_at": "2025-03-10T10:00", "note": "after shift"},
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert "backwards" in content
    assert 'value="1400"' in content
    assert 'value="after shift"' in content
    assert MeterReading.objects.count() == 1


def test_reading_page_stores_a_good_reading(as_member, technician, hours_meter, pump):
    response = as_member(technician).post(
        f"/meters/{hours_meter.public_id}/reading/",
        {"value": "1501.5", "taken_at": "2025-03-10T10:00"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/assets/{pump.public_id}/"
    assert MeterReading.objects.get().value == 1501.5


def test_chart_data_is_aggregated_when_the_history_is_long(as_member, technician, hours_meter):
    rows = [
        MeterReading(
            organization=technician.organization,
            meter=hours_meter,
            value=i,
            taken_at=NOW - timedelta(hours=2000 - i),
            source="iot",
        )
        for i in range(2000)
    ]
    MeterReading.objects.bulk_create(rows)
    body = as_member(technician).get(f"/api/v1/meters/{hours_meter.public_id}/chart").json()
    assert body["bucket"] == "day"
    assert 80 <= len(body["points"]) <= 91
    assert body["points"][-1]["max"] == 1999
    short = (
        as_member(technician)
        .get(
            f"/api/v1/meters/{hours_meter.public_id}/chart",
            {"since": (NOW - timedelta(hours=10)).isoformat()},
        )
        .json()
    )
    assert short["bucket"] == "raw"
    assert len(short["points"]) == 10
