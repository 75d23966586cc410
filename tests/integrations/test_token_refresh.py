"""A token (or session) refused in the middle of a run, while the cached one had not expired,
gets one fresh token and one retry before the connection goes to auth_required — for the OAuth
connectors (NetSuite, Business Central) against their simulators and for Tryton's login session
against the real server. SAP and Maximo send a fixed key with every call: nothing to renew."""

import pytest

from integrations.connectors.factory import connector_for
from integrations.models import ConnectionStatus, SyncRun
from integrations.services.sync import sync_run_execute
from tests.integrations.kit import SYSTEMS, erp  # noqa: F401  (erp is a fixture)

RENEWING = ("netsuite", "business_central", "tryton")


def token_requests(sim):
    return sum(
        1 for r in sim.requests if r.url.path.endswith(("/oauth2/v2.0/token", "/oauth2/v1/token"))
    )


def run_with(connection, kit, sim, after_first_page):
    """A run whose connector is interfered with once its first page is read."""
    connector = connector_for(
        connection, transport=sim.transport() if sim else None, sleep=lambda s: None
    )
    logins = []
    if sim is None:
        login = connector.rpc.authenticate
        connector.rpc.authenticate = lambda: (logins.append(1), login())[1]
    read = connector.list_page
    pages = []

    def list_page(*args, **kwargs):
        if len(pages) == 1:
            after_first_page(connector)
        pages.append(1)
        return read(*args, **kwargs)

    connector.list_page = list_page
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=kit.entity
    )
    run = sync_run_execute(run_id=run.pk, connector=connector)
    connection.refresh_from_db()
    renewals = token_requests(sim) if sim else len(logins)
    return run, renewals, len(pages)


def revoke(sim, *faults):
    def interfere(connector):
        if sim is None:  # Tryton: the server no longer knows the session
            connector.rpc._session = f"{connector.rpc.login}:1:expired-session"
            if faults:
                connector.rpc.password = "rotated"
            return
        sim.tokens.clear()
        sim.faults = list(faults)

    return interfere


@pytest.mark.parametrize("system", RENEWING)
def test_a_token_refused_mid_run_is_renewed_once_and_the_run_completes(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp, page_size=2)
    sim = kit.simulator() if kit.simulator else None
    run, renewals, pages = run_with(connection, kit, sim, revoke(sim))
    assert (run.status, run.error_code, run.created) == ("completed", "", kit.records)
    assert pages >= 2
    assert renewals == 2  # the first token (or login), and one after the refusal
    assert connection.status == ConnectionStatus.ONLINE


@pytest.mark.parametrize("system", RENEWING)
def test_a_refusal_after_the_fresh_token_ends_in_auth_required(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = kit.connection(organization, erp, page_size=2)
    sim = kit.simulator() if kit.simulator else None
    # Simulators: the refused data call, a fresh token, and its retry refused again (a token
    # that works for nothing: the integration's role lost its permissions). Tryton: the new
    # login is refused (the password changed).
    run, renewals, _ = run_with(connection, kit, sim, revoke(sim, None, None, "401"))
    assert (run.status, run.error_code) == ("failed", "AUTH_FAILED")
    assert renewals == 2  # one renewal, not a loop
    assert connection.status == ConnectionStatus.AUTH_REQUIRED


@pytest.mark.parametrize("system", ["sap_s4hana", "maximo"])
def test_a_fixed_key_refused_is_auth_required_at_once(system, organization):
    kit = SYSTEMS[system]
    connection = kit.connection(organization)
    sim = kit.simulator()
    sim.faults = ["401"]
    run, _, _ = run_with(connection, kit, sim, lambda connector: None)
    assert (run.status, run.error_code) == ("failed", "AUTH_FAILED")
    assert len(sim.requests) == 1
    assert connection.status == ConnectionStatus.AUTH_REQUIRED
