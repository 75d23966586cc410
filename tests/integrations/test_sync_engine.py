"""The sync engine through the SAP simulator (in-process transport)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from fieldops import events
from integrations.connectors.factory import connector_for
from integrations.models import (
    ConnectionStatus,
    ExternalReference,
    SyncCheckpoint,
    SyncRun,
)
from integrations.services.sync import RetryLater, sync_run_execute
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.sap_data import T0


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization)


@pytest.fixture
def captured(monkeypatch):
    seen = []
    monkeypatch.setattr(events, "deliver", lambda event: seen.append(event))
    return seen


def run_sync(connection, sim, *, full=False, sleeps=None, run=None):
    run = run or SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity="assets", full=full
    )
    connector = connector_for(
        connection,
        transport=sim.transport(),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )
    return sync_run_execute(run_id=run.pk, connector=connector)


def test_first_sync_creates_every_record_with_unified_and_raw_copies(
    connection, captured, django_capture_on_commit_callbacks
):
    sim = sap_data.seeded(page_size=2, equipment_count=5)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_sync(connection, sim, full=True)
    assert (run.status, run.created, run.updated, run.unchanged, run.pages) == (
        "completed",
        5,
        0,
        0,
        3,
    )
    record = ExternalReference.objects.get(remote_id="10000001")
    assert record.unified["name"] == "Pump P-101"
    assert record.raw["EquipmentName"] == "Pump P-101"
    assert SyncCheckpoint.objects.get().watermark == T0 + timedelta(minutes=4)
    assert [e.type for e in captured] == ["connection.status_changed", "sync.completed"]
    assert captured[1].data["counts"]["created"] == 5


def test_resync_with_nothing_changed_writes_nothing(connection):
    sim = sap_data.seeded(page_size=2, equipment_count=5)
    run_sync(connection, sim, full=True)
    before = stamps_now()
    run = run_sync(connection, sim)
    # All five sit inside the 5-minute look-back window: re-read, hashed, nothing written.
    assert (run.created, run.updated, run.unchanged) == (0, 0, 5)
    assert stamps_now() == before
    full = run_sync(connection, sim, full=True)
    assert (full.created, full.updated, full.unchanged, full.deleted) == (0, 0, 5, 0)


def test_incremental_sync_picks_up_a_changed_record(connection):
    sim = sap_data.seeded(equipment_count=3)
    run_sync(connection, sim, full=True)
    sim.put(
        "Equipment", sap_data.equipment("10000002", "Pump P-102 (rebuilt)", T0 + timedelta(hours=1))
    )
    run = run_sync(connection, sim)
    assert (run.created, run.updated) == (0, 1)
    assert (
        ExternalReference.objects.get(remote_id="10000002").unified["name"]
        == "Pump P-102 (rebuilt)"
    )
    assert run.since == T0 + timedelta(minutes=2) - timedelta(minutes=5)


def test_full_run_soft_deletes_records_gone_from_the_erp(connection):
    sim = sap_data.seeded(equipment_count=3)
    run_sync(connection, sim, full=True)
    sim.rows["/API_EQUIPMENT/Equipment"].pop(0)
    incremental = run_sync(connection, sim)
    assert incremental.deleted == 0
    full = run_sync(connection, sim, full=True)
    assert full.deleted == 1
    gone = ExternalReference.objects.get(remote_id="10000001")
    assert gone.is_deleted
    assert gone.deleted_at is not None
    assert gone.unified["name"] == "Pump P-101"  # the synced copy is kept, only marked


def test_deletion_flag_in_the_erp_is_a_soft_delete(connection):
    sim = sap_data.seeded(equipment_count=2)
    run_sync(connection, sim, full=True)
    sim.put(
        "Equipment",
        sap_data.equipment(
            "10000001", "Pump P-101", T0 + timedelta(hours=1), EquipmentIsMarkedForDeletion=True
        ),
    )
    run_sync(connection, sim)
    assert ExternalReference.objects.get(remote_id="10000001").is_deleted


def test_interrupted_run_resumes_from_its_checkpoint_without_duplicates(connection):
    sim = sap_data.seeded(page_size=2, equipment_count=5)
    connection.settings = {"max_attempts": 1}
    connection.save()
    sim.faults = [None] * 0
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity="assets"
    )
    # Page 1 succeeds, page 2 hits a 503 with no attempts left: the run stays running.
    original = sim.handle
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 2:
            return sim.error(503, "Service Unavailable")
        return original(request)

    sim.handle = flaky
    with pytest.raises(RetryLater):
        run_sync(connection, sim, run=run)
    run.refresh_from_db()
    assert (run.status, run.created, run.pages) == ("running", 2, 1)
    assert SyncCheckpoint.objects.get().cursor  # saved after page 1
    resumed = run_sync(connection, sim, run=run)
    assert (resumed.status, resumed.created, resumed.pages, resumed.attempts) == (
        "completed",
        5,
        3,
        2,
    )
    assert ExternalReference.objects.count() == 5
    # The resumed request went straight to page 2.
    assert sim.requests[-2].url.params["$skiptoken"] == "2"


def test_redelivered_task_for_a_finished_run_does_nothing(connection):
    sim = sap_data.seeded()
    run = run_sync(connection, sim)
    count = len(sim.requests)
    again = run_sync(connection, sim, run=run)
    assert again.status == "completed"
    assert len(sim.requests) == count


def test_rate_limit_retry_after_is_honoured(connection):
    sim = sap_data.seeded(equipment_count=1)
    sim.faults = [("429", 7)]
    sleeps = []
    run = run_sync(connection, sim, sleeps=sleeps)
    assert run.status == "completed"
    assert sleeps == [7.0]


def test_503_with_retry_after_then_success(connection):
    sim = sap_data.seeded(equipment_count=1)
    sim.faults = [("503", 2), "500"]
    sleeps = []
    run = run_sync(connection, sim, sleeps=sleeps)
    assert run.status == "completed"
    assert sleeps[0] == 2.0
    assert 0 <= sleeps[1] <= 0.04  # exponential backoff with jitter, capped


def test_expired_credentials_end_in_auth_required(
    connection, captured, django_capture_on_commit_callbacks
):
    sim = sap_data.seeded()
    sim.faults = ["401"]
    with django_capture_on_commit_callbacks(execute=True):
        run = run_sync(connection, sim)
    connection.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "AUTH_FAILED")
    assert "Invalid or expired credentials" in run.error_message
    assert connection.status == ConnectionStatus.AUTH_REQUIRED
    assert {e.type for e in captured} == {
        "connection.status_changed",
        "connection.auth_required",
        "sync.failed",
    }
    assert "s3cret" not in str([e.payload() for e in captured])


def test_malformed_body_fails_the_run_and_marks_the_connection_in_error(connection):
    sim = sap_data.seeded()
    sim.faults = ["malformed"]
    run = run_sync(connection, sim)
    connection.refresh_from_db()
    assert (run.status, run.error_code) == ("failed", "MALFORMED_RESPONSE")
    assert connection.status == ConnectionStatus.ERROR
    assert ExternalReference.objects.count() == 0


def test_timeouts_retry_then_leave_the_run_for_later(connection):
    sim = sap_data.seeded()
    sim.faults = ["timeout"] * 4
    with pytest.raises(RetryLater):
        run_sync(connection, sim)
    assert SyncRun.objects.get().status == "running"
    assert SyncRun.objects.get().errors[0]["code"] == "TIMEOUT"


def test_repeated_failures_trip_the_circuit_breaker(connection):
    sim = sap_data.seeded()
    connection.settings = {"max_attempts": 1}
    connection.status = ConnectionStatus.ONLINE
    connection.save()
    for _ in range(5):
        sim.faults = ["500"]
        with pytest.raises(RetryLater):
            run_sync(connection, sim)
        SyncRun.objects.update(status="failed")
    connection.refresh_from_db()
    assert connection.circuit_open_until is not None
    count = len(sim.requests)
    sleeps = []
    with pytest.raises(RetryLater) as later:
        run_sync(connection, sim, sleeps=sleeps)
    assert len(sim.requests) == count  # paused: the ERP was not called
    assert sleeps == []  # and the worker did not sit out the cooldown itself
    # The run comes back once the breaker lets a call through (a little after, at random, so
    # the runs waiting on it do not all come back at the same moment), instead of failing.
    cooldown = (connection.circuit_open_until - timezone.now()).total_seconds()
    assert cooldown - 5 < later.value.delay <= cooldown * 1.2 + 1
    run = SyncRun.objects.get(status="running")
    assert run.errors[-1]["code"] == "CIRCUIT_OPEN"
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.OFFLINE
    with time_machine.travel(connection.circuit_open_until + timedelta(seconds=1)):
        assert run_sync(connection, sim, run=run).status == "completed"


def stamps_now():
    return list(ExternalReference.objects.values_list("updated_at", flat=True).order_by("pk"))
