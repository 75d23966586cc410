"""Each ERP fault against each simulated connector: 429 with Retry-After, 503, timeout,
malformed body, 401 — the same classification whatever the wire format."""

import pytest

from integrations.connectors.errors import AuthFailed, MalformedResponse, Timeout, Unavailable
from tests.integrations import (
    sap_data,
    test_business_central_connector,
    test_maximo_connector,
    test_netsuite_connector,
    test_sap_connector,
)

CONNECTORS = {
    "sap_s4hana": (lambda: sap_data.seeded(), test_sap_connector.make, "assets"),
    "business_central": (
        lambda: test_business_central_connector.seeded(),
        test_business_central_connector.make,
        "parts",
    ),
    "netsuite": (
        lambda: test_netsuite_connector.seeded(),
        test_netsuite_connector.make,
        "parts",
    ),
    "maximo": (lambda: test_maximo_connector.seeded(), test_maximo_connector.make, "work_orders"),
}
TOKEN_FIRST = {"business_central", "netsuite"}


def read(system, faults, sleeps=None):
    sim_factory, make, entity = CONNECTORS[system]
    sim = sim_factory()
    connector = make(sim)
    if sleeps is not None:
        connector.http.sleep = sleeps.append
    if system in TOKEN_FIRST:
        connector.check()  # the OAuth token first, so the fault hits the data call
    sim.faults = list(faults)
    return connector.list_page(entity, since=None, cursor=None, page_size=50)


@pytest.mark.parametrize("system", CONNECTORS)
def test_429_retry_after_is_waited_then_the_call_succeeds(system):
    sleeps = []
    page = read(system, [("429", 4)], sleeps)
    assert page.records
    assert sleeps == [4.0]


@pytest.mark.parametrize("system", CONNECTORS)
def test_503_is_retried(system):
    sleeps = []
    assert read(system, ["503", ("503", 1)], sleeps).records
    assert len(sleeps) == 2


@pytest.mark.parametrize("system", CONNECTORS)
def test_persistent_5xx_is_unavailable(system):
    with pytest.raises(Unavailable):
        read(system, ["500"] * 4)


@pytest.mark.parametrize("system", CONNECTORS)
def test_timeouts_are_timeouts(system):
    with pytest.raises(Timeout):
        read(system, ["timeout"] * 4)


@pytest.mark.parametrize("system", CONNECTORS)
def test_malformed_body_is_not_retried(system):
    with pytest.raises(MalformedResponse):
        read(system, ["malformed"])


@pytest.mark.parametrize("system", CONNECTORS)
def test_401_is_auth_failed(system):
    # An OAuth connector's cached token refused is renewed once: the fresh token (the request
    # after the refusal, answered normally) refused again is the failure.
    faults = ["401", None, "401"] if system in TOKEN_FIRST else ["401"]
    with pytest.raises(AuthFailed):
        read(system, faults)


@pytest.mark.parametrize("system", sorted(TOKEN_FIRST))
def test_one_401_with_a_cached_token_is_renewed_and_retried(system):
    assert read(system, ["401"]).records
