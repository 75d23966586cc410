"""The circuit breaker counts data calls only, for every connector: a token request, a CSRF
fetch or a login neither opens nor resets it; it opens after BREAKER_THRESHOLD data calls in a
row found the ERP down, then lets exactly one probe through; its state is in the API and on the
monitor page."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.connectors.errors import CircuitOpen
from integrations.connectors.factory import connector_for
from integrations.models import Connection
from integrations.ratelimit import BREAKER_THRESHOLD, ConnectionGuard, breaker_state
from tests.integrations.factories import ConnectionFactory
from tests.integrations.kit import OAUTH, SIMULATED, SYSTEMS, sync


def breaker(connection):
    connection.refresh_from_db()
    return breaker_state(connection)


@pytest.mark.parametrize("system", SIMULATED)
def test_a_long_503_burst_opens_the_breaker_though_each_run_gets_a_token(system, organization):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, max_attempts=1)
    sim = kit.simulator()
    seen = []
    for _ in range(BREAKER_THRESHOLD):
        # Each run builds its connector afresh: an OAuth one asks for a token first, which the
        # ERP grants, then its data call meets the 503.
        sim.faults = [None, "503"] if system in OAUTH else ["503"]
        run = sync(connection, kit.entity, sim=sim)
        assert run.status == "running"  # waits to be retried, not failed
        run.status = "failed"
        run.save(update_fields=["status"])  # the next poll starts a run of its own
        seen.append(breaker(connection)["consecutive_failures"])
    assert seen == [1, 2, 3, 4, 5]
    state = breaker(connection)
    assert (state["state"], state["consecutive_failures"]) == ("open", BREAKER_THRESHOLD)
    calls = len(sim.requests)
    with pytest.raises(CircuitOpen):
        connector_for(connection, transport=sim.transport()).list_page(
            kit.entity, since=None, cursor=None, page_size=2
        )
    assert len(sim.requests) == calls  # paused: the ERP is not called, not even for a token


@pytest.mark.parametrize("system", OAUTH)
def test_token_requests_neither_reset_nor_open_the_breaker(system, organization):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, max_attempts=1)
    Connection.objects.filter(pk=connection.pk).update(consecutive_failures=BREAKER_THRESHOLD - 1)
    sim = kit.simulator()
    client = connector_for(connection, transport=sim.transport()).api
    client.token.current()  # granted
    assert breaker(connection)["consecutive_failures"] == BREAKER_THRESHOLD - 1
    sim.faults = ["503"]
    with pytest.raises(Exception, match="503"):
        client.token._renew()  # refused with 503
    state = breaker(connection)
    assert (state["state"], state["consecutive_failures"]) == ("closed", BREAKER_THRESHOLD - 1)


def test_a_tryton_login_neither_resets_nor_opens_the_breaker(organization, tryton):
    kit = SYSTEMS["tryton"]
    connection = kit.connection(organization, tryton)
    Connection.objects.filter(pk=connection.pk).update(consecutive_failures=BREAKER_THRESHOLD - 1)
    connector = connector_for(connection)
    connector.rpc.authenticate()
    assert breaker(connection)["consecutive_failures"] == BREAKER_THRESHOLD - 1
    connector.check()  # a data call answered: closes it
    assert breaker(connection)["consecutive_failures"] == 0
    connector.http.close()


@pytest.mark.parametrize("system", SIMULATED)
def test_after_the_cooldown_one_probe_closes_or_reopens_it(system, organization):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, max_attempts=1)
    opened = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(
        consecutive_failures=BREAKER_THRESHOLD, circuit_open_until=opened
    )
    later = opened + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert breaker(connection)["state"] == "half_open"
        # The probe's data call fails: open again for a cooldown, and a second caller in the
        # meantime is paused.
        sim = kit.simulator()
        sim.faults = [None, "503"] if system in OAUTH else ["503"]
        run = sync(connection, kit.entity, sim=sim)
        assert run.status == "running"
        state = breaker(connection)
        assert (state["state"], state["consecutive_failures"]) == ("open", BREAKER_THRESHOLD + 1)
    with time_machine.travel(later + timedelta(minutes=2), tick=False):
        guard = ConnectionGuard(connection)
        with guard.slot():  # this caller takes the probe ...
            with pytest.raises(CircuitOpen), guard.slot():  # ... the next one waits
                pass
            # Another caller's token request waits too (it is no probe). The probe's own token
            # comes before it claims the probe, and a 401 to the probe is an answer that
            # closes the breaker before the token is renewed.
            with pytest.raises(CircuitOpen), guard.slot(auxiliary=True):
                pass
        run = sync(connection, kit.entity, sim=kit.simulator(), run=run)
    # That probe never answered (its time is up): the run's data call is the next probe.
    assert run.status == "running"
    with time_machine.travel(later + timedelta(minutes=4), tick=False):
        run = sync(connection, kit.entity, sim=kit.simulator(), run=run)
    assert run.status == "completed"
    state = breaker(connection)
    assert (state["state"], state["consecutive_failures"]) == ("closed", 0)


def test_the_breaker_state_is_in_the_api_and_on_the_monitor_page(
    organization, admin_member, as_member
):
    now = timezone.now()
    ConnectionFactory(organization=organization, name="Closed one", consecutive_failures=2)
    ConnectionFactory(
        organization=organization,
        name="Open one",
        consecutive_failures=BREAKER_THRESHOLD,
        circuit_open_until=now + timedelta(seconds=60),
    )
    ConnectionFactory(
        organization=organization,
        name="Probing one",
        consecutive_failures=BREAKER_THRESHOLD,
        circuit_open_until=now - timedelta(seconds=1),
    )
    client = as_member(admin_member)
    listed = client.get("/api/v1/integrations/connections").json()["items"]
    circuits = {c["name"]: c["circuit"] for c in listed}
    assert {name: (c["state"], c["consecutive_failures"]) for name, c in circuits.items()} == {
        "Closed one": ("closed", 2),
        "Open one": ("open", 5),
        "Probing one": ("half_open", 5),
    }
    assert circuits["Open one"]["open_until"] is not None
    assert circuits["Probing one"]["open_until"] is None
    assert {c["threshold"] for c in circuits.values()} == {BREAKER_THRESHOLD}
    page = client.get("/integrations/webhooks/monitor/").content.decode()
    assert 'data-circuit="closed">Closed (2/5 failures)' in page
    assert 'data-circuit="open">Open until' in page
    assert 'data-circuit="half_open">Half-open: the next call is a probe (5/5 failures)' in page
