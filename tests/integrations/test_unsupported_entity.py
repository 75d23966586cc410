"""An entity a system does not provide is refused when the sync is requested (422, listing
what the system provides), for every connector, and never flips a healthy connection to
``error``: not through the API, not through a connection's saved sync entities, not when a run
for it was queued anyway."""

import pytest

from integrations.models import ConnectionStatus, SyncRun
from integrations.tasks import poll_connections_task
from tests.integrations.kit import SYSTEMS, erp, sync  # noqa: F401  (erp is a fixture)

API = "/api/v1/integrations"
# What each system provides (the connectors' own tables, written out).
PROVIDES = {
    "sap_s4hana": ["work_orders", "assets", "purchase_orders"],
    "netsuite": ["parts", "vendors", "employees", "locations", "purchase_orders"],
    "business_central": ["parts", "vendors", "employees", "purchase_orders"],
    "maximo": ["work_orders", "assets", "locations"],
    "tryton": ["parts", "purchase_orders", "vendors", "employees", "locations", "timesheets"],
}
# One entity each system has no endpoint for.
MISSING = {
    "sap_s4hana": "timesheets",
    "netsuite": "timesheets",
    "business_central": "timesheets",
    "maximo": "parts",
    "tryton": "work_orders",
}


def healthy(kit, organization, tryton=None):
    connection = kit.connection(organization, tryton)
    connection.status = ConnectionStatus.ONLINE
    connection.save(update_fields=["status"])
    return connection


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_sync_of_an_entity_the_system_lacks_is_refused_with_what_it_provides(
    system, organization, admin_member, as_member
):
    connection = healthy(SYSTEMS[system], organization)
    client = as_member(admin_member)
    answer = client.post(
        f"{API}/connections/{connection.public_id}/sync",
        {"entity": MISSING[system]},
        content_type="application/json",
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["supported"] == PROVIDES[system]
    assert f"does not provide {MISSING[system]}" in error["message"]
    assert not SyncRun.objects.exists()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ONLINE
    listed = client.get(f"{API}/connections/{connection.public_id}").json()
    assert listed["supported_entities"] == PROVIDES[system]
    # An entity no system knows is still not found.
    unknown = client.post(
        f"{API}/connections/{connection.public_id}/sync",
        {"entity": "spaceships"},
        content_type="application/json",
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize("system", SYSTEMS)
def test_saved_sync_entities_the_system_lacks_are_refused(
    system, organization, admin_member, as_member
):
    connection = healthy(SYSTEMS[system], organization)
    answer = as_member(admin_member).patch(
        f"{API}/connections/{connection.public_id}",
        {"sync_entities": [PROVIDES[system][0], MISSING[system]]},
        content_type="application/json",
    )
    assert answer.status_code == 422
    message = answer.json()["error"]["details"]["fields"]["sync_entities"]
    assert f"does not provide {MISSING[system]}; it provides" in message
    connection.refresh_from_db()
    assert connection.sync_entities == []


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_run_queued_for_an_entity_the_system_lacks_fails_alone(
    system,
    organization,
    erp,  # noqa: F811
):
    kit = SYSTEMS[system]
    connection = healthy(kit, organization, erp)
    sim = kit.simulator() if kit.simulator else None
    run = sync(connection, MISSING[system], sim=sim)
    assert (run.status, run.error_code) == ("failed", "UNSUPPORTED")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ONLINE
    # A connection saved before the check, polled: the entity is skipped, the others run.
    SyncRun.objects.all().delete()
    type(connection).objects.filter(pk=connection.pk).update(
        sync_entities=[MISSING[system], PROVIDES[system][0]], last_polled_at=None
    )
    poll_connections_task()
    assert list(SyncRun.objects.values_list("entity", flat=True)) == [PROVIDES[system][0]]
