"""What a page writes: the same rows whichever write path the database takes (COPY and
UPDATE ... FROM unnest on PostgreSQL, the ORM elsewhere), in a number of queries that does not
grow with the page (on SQLite, Django splits a bulk insert every 999 parameters: one more
statement each 55 new references)."""

import re
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations.connectors.factory import connector_for
from integrations.models import ExternalReference, SyncRun
from integrations.services import sync_writes
from integrations.services.sync import sync_run_execute
from integrations.services.sync_writes import payload_hash, unified_id
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.sap_data import T0


def run_sync(connection, sim, *, entity="assets", full=False):
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=entity, full=full
    )
    connector = connector_for(connection, transport=sim.transport(), sleep=lambda s: None)
    return sync_run_execute(run_id=run.pk, connector=connector)


def history(connection):
    """Sync, change one record, flag one deleted, drop one and run full: every write kind."""
    sim = sap_data.seeded(page_size=3, equipment_count=5)
    first = run_sync(connection, sim, full=True)
    sim.put(
        "Equipment", sap_data.equipment("10000002", "Pump P-102 (rebuilt)", T0 + timedelta(hours=1))
    )
    sim.put(
        "Equipment",
        sap_data.equipment(
            "10000003", "Pump P-103", T0 + timedelta(hours=1), EquipmentIsMarkedForDeletion=True
        ),
    )
    second = run_sync(connection, sim)
    sim.rows["/API_EQUIPMENT/Equipment"] = [
        r for r in sim.rows["/API_EQUIPMENT/Equipment"] if r["Equipment"] != "10000005"
    ]
    third = run_sync(connection, sim, full=True)
    return first, second, third


def snapshot(connection):
    refs = {ref.remote_id: ref for ref in ExternalReference.objects.filter(connection=connection)}
    return {
        remote_id: {
            "public_id_ok": ref.public_id == unified_id(connection, "assets", remote_id),
            "hash_ok": ref.payload_hash == payload_hash(ref.unified),
            "system": ref.system,
            "organization": ref.organization_id == connection.organization_id,
            "is_deleted": ref.is_deleted,
            "deleted_at_set": ref.deleted_at is not None,
            "remote_updated_at": ref.remote_updated_at,
            "seen_in_last_full_run": ref.last_seen_run_id
            == SyncRun.objects.filter(connection=connection, full=True).latest("pk").pk,
            "name": ref.unified["name"],
            "raw_name": ref.raw["EquipmentName"],
            "raw_has_no_metadata": "__metadata" not in ref.raw,
            "local": ref.local_model,
            "stamps": ref.updated_at >= ref.created_at,
        }
        for remote_id, ref in refs.items()
    }


def test_every_write_kind_stores_the_expected_rows(organization):
    connection = ConnectionFactory(organization=organization)
    first, second, third = history(connection)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 2, 3)
    assert (third.created, third.updated, third.unchanged, third.deleted) == (0, 0, 4, 1)
    rows = snapshot(connection)
    assert all(
        row["public_id_ok"] and row["hash_ok"] and row["organization"] for row in rows.values()
    )
    assert all(row["raw_has_no_metadata"] and row["stamps"] for row in rows.values())
    assert rows["10000002"]["name"] == rows["10000002"]["raw_name"] == "Pump P-102 (rebuilt)"
    assert rows["10000002"]["remote_updated_at"] == T0 + timedelta(hours=1)
    # Flagged in the ERP, and gone from the ERP: both soft deletes, with a time.
    for remote_id in ("10000003", "10000005"):
        assert rows[remote_id]["is_deleted"]
        assert rows[remote_id]["deleted_at_set"]
    assert not any(rows[r]["is_deleted"] for r in ("10000001", "10000002", "10000004"))
    assert sorted(r for r, row in rows.items() if row["seen_in_last_full_run"]) == [
        "10000001",
        "10000002",
        "10000003",
        "10000004",
    ]
    assert {row["local"] for row in rows.values()} == {"assets.asset"}


def test_postgres_copy_path_and_orm_path_write_the_same_rows(organization, monkeypatch):
    if db.vendor != "postgresql":
        pytest.skip("the COPY write path exists only on PostgreSQL (SQLite always takes the ORM)")
    fast = ConnectionFactory(organization=organization)
    fast_runs = history(fast)
    monkeypatch.setattr(sync_writes, "PostgresWriter", sync_writes.OrmWriter)
    orm = ConnectionFactory(organization=organization)
    orm_runs = history(orm)
    counts = [(r.created, r.updated, r.unchanged, r.deleted, r.failed) for r in fast_runs]
    assert counts == [(r.created, r.updated, r.unchanged, r.deleted, r.failed) for r in orm_runs]
    assert snapshot(fast) == snapshot(orm)
    fields = ("unified", "raw", "is_deleted", "remote_updated_at", "entity")

    def records(connection):
        rows = ExternalReference.objects.filter(connection=connection).values_list(*fields)
        return sorted(rows, key=lambda row: row[1]["Equipment"])

    assert records(fast) == records(orm)


def _page_queries(organization, count):
    """Queries to sync ``count`` purchase orders (no local projection) in one page."""
    connection = ConnectionFactory(organization=organization)
    sim = sap_data.SapSimulator(page_size=1000)
    for i in range(count):
        sim.put("A_PurchaseOrder", sap_data.purchase_order(f"45{i:08d}", T0 + timedelta(seconds=i)))
    with CaptureQueriesContext(db) as first:
        run = run_sync(connection, sim, entity="purchase_orders", full=True)
    assert run.created == count
    for i in range(0, count, 2):  # half of them change
        sim.put(
            "A_PurchaseOrder",
            {**sap_data.purchase_order(f"45{i:08d}", T0 + timedelta(hours=1)), "Supplier": "9"},
        )
    with CaptureQueriesContext(db) as second:
        run = run_sync(connection, sim, entity="purchase_orders")
    assert (run.updated, run.unchanged) == ((count + 1) // 2, count // 2)
    return len(first), len(second)


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(organization):
    # 50: on SQLite, Django splits a bulk insert every 999 parameters (55 references).
    assert _page_queries(organization, 4) == _page_queries(organization, 50)


def test_a_run_that_adds_many_references_keeps_their_statistics_up(organization):
    if db.vendor != "postgresql":
        pytest.skip("the statistics are PostgreSQL's planner's (other databases are not analysed)")
    connection = ConnectionFactory(organization=organization)
    sim = sap_data.SapSimulator(page_size=500)
    for i in range(2500):  # purchase orders: nothing projected, the COPY path alone
        sim.put("A_PurchaseOrder", sap_data.purchase_order(f"45{i:08d}", T0 + timedelta(seconds=i)))
    with CaptureQueriesContext(db) as queries:
        run = run_sync(connection, sim, entity="purchase_orders", full=True)
    assert run.created == 2500
    analyses = [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]
    assert len(analyses) == 2  # after 1,000 and after 2,000
    with db.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM integrations_externalreference"
            " WHERE connection_id = %s AND entity = %s",
            [connection.pk, "purchase_orders"],
        )
        (plan,) = cursor.fetchone()
    # The planner knows the connection has thousands of references (with no statistics it took
    # them for one, and filtered all of them on every page instead of looking the page up).
    assert int(re.search(r"rows=(\d+)", plan)[1]) >= 2000, plan


@pytest.mark.parametrize(
    ("entity", "waits"), [("purchase_orders", False), ("assets", True)], ids=["cache", "projected"]
)
def test_only_runs_that_stay_in_the_database_commit_pages_without_waiting_for_the_disk(
    organization, entity, waits
):
    if db.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    connection = ConnectionFactory(organization=organization)
    sim = sap_data.seeded(page_size=2, equipment_count=3)
    sim.put("A_PurchaseOrder", sap_data.purchase_order("4500000001", T0))
    with CaptureQueriesContext(db) as queries:
        run = run_sync(connection, sim, entity=entity, full=True)
    assert run.status == "completed"
    assert run.created >= 1
    statements = [q["sql"] for q in queries]
    relaxed = statements.count("SET synchronous_commit TO off")
    assert relaxed == (0 if waits else 1)
    assert statements.count("RESET synchronous_commit") == relaxed
