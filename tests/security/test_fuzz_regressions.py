"""Bugs the API fuzzer found, each pinned by its smallest reproduction."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import Client

from fieldops.errors import ValidationFailed
from workorders.dispatch.services import PENDING_MAX, device_state_record

pytestmark = pytest.mark.django_db


def test_a_huge_pending_count_from_a_phone_is_a_validation_error_not_a_500(world):
    """POST /technicians/me/device with pending 2**40 overflowed PostgreSQL's integer: a 500."""
    client = Client(headers={"Authorization": f"Bearer {world.tokens['technician']}"})
    response = client.post(
        "/api/v1/technicians/me/device",
        {"device_id": "phone-1", "pending": 2**40},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_the_device_service_refuses_a_count_its_column_cannot_hold(technician):
    with pytest.raises(ValidationFailed):
        device_state_record(
            membership=technician, device_id="phone-1", pending=PENDING_MAX + 1, synced_at=None
        )
    state = device_state_record(
        membership=technician, device_id="phone-1", pending=PENDING_MAX, synced_at=None
    )
    assert state.pending_changes == PENDING_MAX


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/locations",
        "/api/v1/assets",
        "/api/v1/work-orders",
        "/api/v1/maintenance-plans",
        "/api/v1/meters",
    ],
)
def test_updated_since_with_an_offset_postgresql_cannot_store_is_answered(world, path):
    """updated_since=...+22:28 (Python accepts offsets up to 23:59, PostgreSQL up to 15:59) was a
    500 from PostgreSQL; the same instant in UTC is what is asked."""
    client = Client(headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    response = client.get(path, {"updated_since": "2020-06-02T23:46:09+22:28"})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["items"]


def test_a_time_with_a_far_offset_is_stored_as_the_same_instant(world):
    far_east = timezone(timedelta(hours=20))
    at = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).astimezone(far_east)
    client = Client(headers={"Authorization": f"Bearer {world.tokens['technician']}"})
    response = client.post(
        f"/api/v1/work-orders/{world.params['ref']}/notes",
        {"text": "Far east", "occurred_at": at.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    stored = datetime.fromisoformat(response.json()["occurred_at"].replace("Z", "+00:00"))
    assert stored == at
