"""Bugs the API fuzzer found, each pinned by its smallest reproduction."""

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
