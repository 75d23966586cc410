"""One way to stand up each of the five connectors for a sync test: a Connection row, the ERP
it talks to (a simulator on an in-process transport, or the real Tryton server) and an entity
with a known number of records. Tests of a behaviour that applies to every connector are
parametrised over ``SYSTEMS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.connectors.factory import connector_for
from integrations.crypto import encrypt_credentials
from integrations.models import Connection, SyncRun
from integrations.services.sync import RetryLater, sync_run_execute
from tests.integrations import (
    sap_data,
    test_business_central_connector,
    test_maximo_connector,
    test_netsuite_connector,
)
from tests.integrations.factories import ConnectionFactory
from tests.integrations.simulators.base import Simulator
from tests.integrations.simulators.business_central import COMPANY

FAST = {"backoff_base": 0.01, "max_inline_wait": 30}


@dataclass(frozen=True)
class Kit:
    system: str
    entity: str
    records: int  # how many records of ``entity`` the seeded ERP holds
    simulator: Callable[[], Simulator] | None  # None: the real Tryton server
    values: Callable[[Any], dict[str, Any]]  # Connection fields, given the tryton fixture

    def connection(self, organization: Any, tryton: Any = None, **settings: Any) -> Connection:
        values = self.values(tryton)
        values["settings"] = {**FAST, **values.get("settings", {}), **settings}
        return ConnectionFactory(organization=organization, system=self.system, **values)


def _sap(_: Any) -> dict[str, Any]:
    return {}  # the factory's defaults are a SAP connection


def _netsuite(_: Any) -> dict[str, Any]:
    return {
        "base_url": test_netsuite_connector.BASE,
        "credentials_encrypted": encrypt_credentials(test_netsuite_connector.CREDENTIALS),
    }


def _business_central(_: Any) -> dict[str, Any]:
    return {
        "base_url": test_business_central_connector.BASE,
        "credentials_encrypted": encrypt_credentials(
            {"client_id": "app", "client_secret": "bc-secret-value"}
        ),
        "settings": {
            "company_id": COMPANY,
            "token_url": "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
        },
    }


def _maximo(_: Any) -> dict[str, Any]:
    return {
        "base_url": test_maximo_connector.BASE,
        "credentials_encrypted": encrypt_credentials({"apikey": "mx-key-123"}),
    }


def _tryton(tryton: Any) -> dict[str, Any]:
    if tryton is None:  # for tests that never reach the server
        return {
            "base_url": "http://127.0.0.1:9",
            "credentials_encrypted": encrypt_credentials({"login": "admin", "password": "x"}),
            "settings": {"database": "fieldops", "company": 1},
        }
    return {
        "base_url": tryton.url,
        "credentials_encrypted": encrypt_credentials(
            {"login": tryton.login, "password": tryton.password}
        ),
        "settings": {"database": tryton.database, "company": tryton.seed["company"]},
    }


SYSTEMS = {
    "sap_s4hana": Kit("sap_s4hana", "assets", 5, lambda: sap_data.seeded(page_size=2), _sap),
    "netsuite": Kit("netsuite", "parts", 5, lambda: test_netsuite_connector.seeded(5), _netsuite),
    "business_central": Kit(
        "business_central",
        "parts",
        5,
        lambda: test_business_central_connector.seeded(5, max_page=2),
        _business_central,
    ),
    "maximo": Kit("maximo", "work_orders", 5, lambda: test_maximo_connector.seeded(5), _maximo),
    "tryton": Kit("tryton", "parts", 3, None, _tryton),
}
OAUTH = ("netsuite", "business_central")
SIMULATED = tuple(name for name, kit in SYSTEMS.items() if kit.simulator is not None)


@pytest.fixture
def erp(request: pytest.FixtureRequest) -> Any:
    """The Tryton server for the tryton case only, so the simulated cases do not start it."""
    if request.node.callspec.params.get("system") == "tryton":
        return request.getfixturevalue("tryton")
    return None


def sync(
    connection: Connection,
    entity: str,
    *,
    sim: Simulator | None = None,
    full: bool = False,
    run: SyncRun | None = None,
    sleeps: list[float] | None = None,
) -> SyncRun:
    """One run of ``entity`` through the real engine; the simulator's transport when given. A
    run the engine leaves for its task to retry (RetryLater) comes back still ``running``."""
    run = run or SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=entity, full=full
    )
    connector = None
    if sim is not None:
        connector = connector_for(
            connection,
            transport=sim.transport(),
            sleep=(sleeps.append if sleeps is not None else lambda s: None),
        )
    try:
        return sync_run_execute(run_id=run.pk, connector=connector)
    except RetryLater:
        run.refresh_from_db()
        return run
