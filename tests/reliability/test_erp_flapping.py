"""An ERP that flaps: up for a request or two, then down for a spell (503, refused connections,
timeouts), again and again, while syncs read it page by page (it settles only after a run has
given up, which the waits below make unnecessary).

While it flaps the HTTP layer retries inside a call, a run comes back later (RetryLater) when a
spell outlasts those retries, and after a streak of failures the breaker opens: a run that meets
it comes back when the breaker half-opens, and goes on from the page it had reached (a run that
runs out of attempts is followed by the next scheduled one, from the last completed watermark).
In the end one run completes:
every record exists exactly once (reference, synced copy, local asset) and the connection is
online with its breaker closed. In-process (the SAP simulator on httpx's mock transport) with
the clock moved instead of slept through, on SQLite and PostgreSQL alike."""

from datetime import timedelta
from itertools import cycle

import httpx
import pytest
import time_machine
from django.utils import timezone

from assets.models import Asset
from integrations.connectors.factory import connector_for
from integrations.models import ConnectionStatus, ExternalReference, SyncRun
from integrations.services.sync import RetryLater, sync_run_execute
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory

N_EQUIPMENT = 12
# One letter per request: U = answers, D = down. Spells of 1 to 6 failures in a row; the
# longer ones outlast the client's own retries and the breaker's threshold.
PATTERN = "UDDUDDDDDDUUDUDDDUDDDDDDU"
SETTLES_AFTER_FAILURES = 40


class Flapping:
    def __init__(self, sim) -> None:
        self.sim = sim
        self.pattern = cycle(PATTERN)
        self.failures = cycle(["503", "refused", "timeout"])
        self.answered = 0
        self.failed = 0
        self.settled = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.settled and next(self.pattern) == "D":
            self.failed += 1
            kind = next(self.failures)
            if kind == "refused":
                raise httpx.ConnectError("Connection refused", request=request)
            if kind == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            return self.sim.error(503, "Service Unavailable")
        self.answered += 1
        return self.sim(request)


# Committed for real: on PostgreSQL the run reads the next page on a thread of its own, whose
# database connection (the breaker's and the rate limit's writes) must see the connection row.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization, settings={"page_size": 2})


def test_a_sync_against_a_flapping_erp_completes_with_each_record_once(connection):
    sim = sap_data.seeded(page_size=2, equipment_count=N_EQUIPMENT)
    erp = Flapping(sim)
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity="assets", full=True
    )
    outcomes = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(60):
            connector = connector_for(
                connection, transport=httpx.MockTransport(erp), sleep=clock.shift
            )
            try:
                run = sync_run_execute(run_id=run.pk, connector=connector)
            except RetryLater as later:  # the task comes back after the delay it asked for
                outcomes.append("later")
                clock.shift(timedelta(seconds=later.delay))
                continue
            outcomes.append(run.error_code or run.status)
            if run.status == "completed":
                break
            # A run that gave up (breaker open too long) is followed by the next scheduled one.
            clock.shift(timedelta(minutes=5))
            if erp.failed > SETTLES_AFTER_FAILURES:
                erp.settled = True
            run = SyncRun.objects.create(
                organization=connection.organization,
                connection=connection,
                entity="assets",
                full=True,
            )

    assert run.status == "completed", outcomes
    # It flapped through both paths, in one run: retries later, and waits for the breaker
    # (open after a streak of failures) to let a call through again, instead of failing.
    assert "later" in outcomes
    assert "CIRCUIT_OPEN" in [note["code"] for note in run.errors]
    assert outcomes[-1] == "completed"
    assert SyncRun.objects.filter(connection=connection, status="completed").count() == 1
    refs = ExternalReference.objects.filter(connection=connection, entity="assets")
    assert refs.count() == N_EQUIPMENT
    assert len(set(refs.values_list("remote_id", flat=True))) == N_EQUIPMENT
    assert len(set(refs.values_list("local_id", flat=True))) == N_EQUIPMENT
    assert all(ref.unified["code"] == ref.remote_id == ref.raw["Equipment"] for ref in refs)
    assert Asset.objects.filter(organization=connection.organization).count() == N_EQUIPMENT
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ONLINE
    assert connection.consecutive_failures == 0
    assert connection.circuit_open_until is None
