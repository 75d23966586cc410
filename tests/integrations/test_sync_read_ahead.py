"""Pages read one ahead while the previous one is written: applied and checkpointed in order,
a failed read surfacing after every page before it, nothing of a page not yet applied kept."""

import sys
import threading
from datetime import timedelta

import pytest

from integrations.connectors.factory import connector_for
from integrations.connectors.readahead import SWITCH_INTERVAL, read_ahead
from integrations.models import ExternalReference, SyncCheckpoint, SyncRun
from integrations.services import sync
from integrations.services.sync import RetryLater, sync_run_execute
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.sap_data import T0


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization, settings={"max_attempts": 1})


def seeded(count=7):
    sim = sap_data.SapSimulator(page_size=2)
    for i in range(count):
        sim.put(
            "Equipment",
            sap_data.equipment(f"1000000{i + 1}", f"Pump P-{i + 1}", T0 + timedelta(minutes=i)),
        )
    return sim


def run_sync(connection, sim, run=None):
    run = run or SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity="assets"
    )
    connector = connector_for(connection, transport=sim.transport(), sleep=lambda s: None)
    return sync_run_execute(run_id=run.pk, connector=connector)


def fail_request(sim, number):
    original, calls = sim.handle, {"n": 0}

    def handle(request):
        calls["n"] += 1
        if calls["n"] == number:
            return sim.error(503, "Service Unavailable")
        return original(request)

    sim.handle = handle


def read_ahead_threads():
    return [t for t in threading.enumerate() if t.name.startswith("sync-read-ahead")]


def test_a_failed_read_of_page_3_keeps_pages_1_and_2_applied_and_checkpointed(connection):
    sim = seeded()
    fail_request(sim, 3)
    with pytest.raises(RetryLater):
        run_sync(connection, sim)
    run = SyncRun.objects.get()
    assert (run.status, run.pages, run.created) == ("running", 2, 4)
    assert SyncCheckpoint.objects.get().cursor.endswith("skiptoken=4")
    assert sorted(ExternalReference.objects.values_list("remote_id", flat=True)) == [
        "10000001",
        "10000002",
        "10000003",
        "10000004",
    ]
    assert ExternalReference.objects.exclude(unified={}).count() == 4
    assert read_ahead_threads() == []


def test_a_run_stopped_by_a_failed_read_resumes_without_duplicates(connection):
    sim = seeded()
    fail_request(sim, 3)
    with pytest.raises(RetryLater):
        run_sync(connection, sim)
    resumed = run_sync(connection, sim, run=SyncRun.objects.get())
    assert (resumed.status, resumed.pages, resumed.created) == ("completed", 4, 7)
    assert ExternalReference.objects.exclude(unified={}).count() == 7
    # The resumed run started at page 3, where the checkpoint was.
    assert "skiptoken=4" in str(sim.requests[3].url)


def test_a_page_that_fails_to_apply_leaves_the_page_read_ahead_unwritten(connection, monkeypatch):
    sim = seeded()
    original, applied = sync._upsert_rows, []

    def upsert(**kwargs):
        applied.append(len(sim.requests))
        if len(applied) == 2:
            raise RuntimeError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(sync, "_upsert_rows", upsert)
    with pytest.raises(RuntimeError):
        run_sync(connection, sim)
    run = SyncRun.objects.get()
    assert (run.pages, run.created) == (1, 2)
    assert SyncCheckpoint.objects.get().cursor.endswith("skiptoken=2")
    assert ExternalReference.objects.count() == 2
    # Never more than one page ahead of the page being written.
    assert all(requests <= page + 1 for page, requests in enumerate(applied, start=1))
    assert read_ahead_threads() == []


def test_a_checkpoint_moved_behind_the_runs_back_stops_it_and_it_resumes_from_there(
    connection, monkeypatch
):
    # As after a page committed without waiting for the disk was lost in a database crash:
    # the next page finds the checkpoint not where this run left it.
    sim = seeded()
    after_page = sync.ReferenceStatistics.grew

    def lose_the_first_page(self, created):
        SyncCheckpoint.objects.update(cursor="")  # committed, then lost: as before page 1
        after_page(self, created)

    monkeypatch.setattr(sync.ReferenceStatistics, "grew", lose_the_first_page)
    with pytest.raises(RetryLater):
        run_sync(connection, sim)
    run = SyncRun.objects.get()
    assert (run.status, run.pages, run.created) == ("running", 1, 2)  # page 2 not applied
    assert ExternalReference.objects.count() == 2
    monkeypatch.setattr(sync.ReferenceStatistics, "grew", after_page)
    resumed = run_sync(connection, sim, run=run)
    # Read again from the checkpoint the database held: page 1 unchanged, nothing twice.
    assert (resumed.status, resumed.pages, resumed.created, resumed.unchanged) == (
        "completed",
        5,
        7,
        2,
    )
    assert ExternalReference.objects.count() == 7


def test_read_ahead_hands_out_pages_in_order_and_a_failure_after_the_pages_before_it():
    started = []

    def read(cursor):
        number = int(cursor or 1)
        started.append(number)
        if number == 3:
            raise ValueError("page 3 is unreadable")
        return number

    seen = []

    def consume():
        with read_ahead(read, cursor=None, next_cursor=lambda n: str(n + 1)) as pages:
            for number in pages:
                assert started[-1] <= number + 1  # one page ahead at most
                seen.append(number)

    with pytest.raises(ValueError, match="page 3"):
        consume()
    assert seen == [1, 2]
    assert read_ahead_threads() == []


def test_read_ahead_can_be_turned_off_and_reads_in_the_callers_thread():
    threads = []

    def read(cursor):
        threads.append(threading.current_thread())
        return int(cursor or 1)

    with read_ahead(
        read, cursor=None, next_cursor=lambda n: str(n + 1) if n < 3 else None, enabled=False
    ) as pages:
        assert list(pages) == [1, 2, 3]
    assert set(threads) == {threading.current_thread()}


def test_while_pages_are_read_ahead_the_gil_changes_hands_more_often():
    before = sys.getswitchinterval()
    intervals = []

    def read(cursor):
        intervals.append(sys.getswitchinterval())
        return int(cursor or 1)

    def pages_of(count, enabled=True):
        return read_ahead(
            read,
            cursor=None,
            next_cursor=lambda n: str(n + 1) if n < count else None,
            enabled=enabled,
        )

    with pages_of(3) as outer:
        assert next(outer) == 1
        with pages_of(2) as inner:  # a second run in the same process
            assert list(inner) == [1, 2]
        assert sys.getswitchinterval() == SWITCH_INTERVAL  # the outer one still reads ahead
        assert list(outer) == [2, 3]
    assert sys.getswitchinterval() == before
    assert intervals[0] == before  # the first page: nothing read ahead yet
    assert set(intervals[1:]) == {SWITCH_INTERVAL}
    with pages_of(3, enabled=False) as pages:
        assert list(pages) == [1, 2, 3]
    assert intervals[-3:] == [before] * 3
