"""A call slower than the time-out fails the run within a bounded total time, and says so, for
every connector. The total is what the run costs from its first call to its end: the time spent
waiting for answers, the client's own backoff sleeps and the countdowns the task would wait
before coming back (RetryLater), added up as the task would live them."""

import time

import pytest

from integrations.connectors.factory import connector_for
from integrations.models import ConnectionStatus, SyncRun
from integrations.services.sync import RetryLater, sync_run_execute
from tests.integrations import spoil
from tests.integrations.kit import SYSTEMS, erp  # noqa: F401  (erp is a fixture)

TIMEOUT = 0.2  # seconds: the connection's ``timeout`` setting in these tests
# Two attempts of the run, each with two calls that wait out the time-out, and the one countdown
# between them (60 s); a little for the rest.
BOUND = 2 * 2 * TIMEOUT + 60 + 5


def run_slow_erp(kit, connection):
    """Every call to the ERP answers too late. Returns the run and its total time in seconds."""
    sim = kit.simulator() if kit.simulator else None
    if sim is not None:
        sim.faults = ["slow"] * 100
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=kit.entity
    )
    waited: list[float] = []
    started = time.monotonic()
    for _ in range(20):  # the task's retries
        transport = sim.transport() if sim else spoil.TrytonSlow()
        connector = connector_for(connection, transport=transport, sleep=waited.append)
        try:
            run = sync_run_execute(run_id=run.pk, connector=connector)
            break
        except RetryLater as later:
            waited.append(later.delay)
    total = time.monotonic() - started + sum(waited)
    print(f"\n{kit.system}: a slow ERP ended the run ({run.status}) after {total:.1f} s")
    return run, total


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_call_slower_than_the_time_out_fails_the_run_within_a_bounded_time(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp, timeout=TIMEOUT)
    run, total = run_slow_erp(kit, connection)
    assert (run.status, run.error_code) == ("failed", "TIMEOUT")
    assert total < BOUND, f"{total:.1f} s"
    assert f"No answer within {TIMEOUT}s." in run.error_message
    assert "Two attempts in a row timed out" in run.error_message
    assert "timeout setting" in run.error_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.OFFLINE
