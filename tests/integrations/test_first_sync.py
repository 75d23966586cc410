"""A connection's first sync (no watermark yet) reads everything, for every connector; a limit
on how far back it reads is a setting, applied only when set, and reported on the run."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from integrations.connectors.factory import connector_for
from integrations.models import ExternalReference, SyncCheckpoint
from integrations.services.sync import LOOKBACK
from tests.integrations.kit import SYSTEMS, erp, sync  # noqa: F401  (erp is a fixture)

# Long after every seeded record was written (the simulators' data is from November 2026 and
# the Tryton server's from the day the tests run): a look-back from "now" would read nothing.
LATER = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)


def held_by_the_erp(kit, connection, sim):
    """How many records of the entity the ERP holds, read directly, page by page."""
    connector = connector_for(connection, transport=sim.transport() if sim else None)
    count, cursor = 0, None
    while True:
        page = connector.list_page(kit.entity, since=None, cursor=cursor, page_size=50)
        count += len(page.records)
        if not (cursor := page.next_cursor):
            return count


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_first_incremental_sync_reads_every_record(system, organization, erp):  # noqa: F811
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp)
    sim = kit.simulator() if kit.simulator else None
    expected = held_by_the_erp(kit, connection, sim)
    assert expected >= kit.records
    with time_machine.travel(LATER, tick=True):
        run = sync(connection, kit.entity, sim=sim)
    assert (run.status, run.since, run.full) == ("completed", None, True)
    assert run.created == expected
    assert run.warnings == []
    assert ExternalReference.objects.filter(connection=connection).count() == expected
    # The next incremental run starts from the watermark the first one left.
    watermark = SyncCheckpoint.objects.get(connection=connection).watermark
    assert watermark is not None
    with time_machine.travel(LATER + timedelta(hours=1), tick=True):
        second = sync(connection, kit.entity, sim=sim)
    assert (second.status, second.since, second.full) == (
        "completed",
        watermark - LOOKBACK,
        False,
    )
    assert (second.created, second.updated) == (0, 0)


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_explicit_first_sync_limit_is_applied_and_reported(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp, first_sync_days=30)
    sim = kit.simulator() if kit.simulator else None
    with time_machine.travel(LATER, tick=True):
        run = sync(connection, kit.entity, sim=sim)
    assert (run.status, run.full, run.created) == ("completed", False, 0)
    assert (
        LATER - timedelta(days=30) <= run.since < LATER - timedelta(days=30) + timedelta(minutes=1)
    )
    assert [w["code"] for w in run.warnings] == ["FIRST_SYNC_LIMITED"]
    assert "30 days" in run.warnings[0]["message"]
    assert "first_sync_days" in run.warnings[0]["message"]
