"""0004 moves each cached record onto its external reference: nothing synced is lost."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("integrations", "0003_sync_tables_carry_only_the_indexes_they_read")]
AFTER = [("integrations", "0004_one_row_per_remote_record")]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_synced_copy_moves_onto_its_reference_and_back():
    apps = migrate(BEFORE)
    try:
        organization = apps.get_model("accounts", "Organization").objects.create(
            name="Acme", slug="acme-migration"
        )
        conn = apps.get_model("integrations", "Connection").objects.create(
            organization=organization, system="sap_s4hana", name="SAP", base_url="http://127.0.0.1"
        )
        Reference = apps.get_model("integrations", "ExternalReference")
        Record = apps.get_model("integrations", "SyncedRecord")
        refs = []
        for n in range(3):
            ref = Reference.objects.create(
                organization=organization,
                connection=conn,
                system="sap_s4hana",
                entity="assets",
                remote_id=f"1000000{n}",
                payload_hash=f"hash-{n}",
            )
            Record.objects.create(
                reference=ref,
                organization=organization,
                connection=conn,
                entity="assets",
                unified={"code": ref.remote_id, "name": f"Pump {n}"},
                raw={"Equipment": ref.remote_id},
            )
            refs.append(ref)
        # The cache's list is ordered by the later of the two rows' changes.
        Record.objects.filter(reference=refs[0]).update(updated_at=T0 + timedelta(days=400))
        Reference.objects.filter(pk=refs[1].pk).update(updated_at=T0 + timedelta(days=500))
        Record.objects.filter(reference=refs[1]).update(updated_at=T0)

        apps = migrate(AFTER)
        moved = {
            ref.remote_id: ref
            for ref in apps.get_model("integrations", "ExternalReference").objects.all()
        }
        assert {r: (ref.unified["name"], ref.raw["Equipment"]) for r, ref in moved.items()} == {
            "10000000": ("Pump 0", "10000000"),
            "10000001": ("Pump 1", "10000001"),
            "10000002": ("Pump 2", "10000002"),
        }
        assert moved["10000000"].updated_at == T0 + timedelta(days=400)
        assert moved["10000001"].updated_at == T0 + timedelta(days=500)

        apps = migrate(BEFORE)
        back = apps.get_model("integrations", "SyncedRecord").objects.select_related("reference")
        assert sorted(
            (r.reference.remote_id, r.unified["name"], r.raw["Equipment"], r.updated_at)
            for r in back
        ) == [
            ("10000000", "Pump 0", "10000000", T0 + timedelta(days=400)),
            ("10000001", "Pump 1", "10000001", T0 + timedelta(days=500)),
            ("10000002", "Pump 2", "10000002", moved["10000002"].updated_at),
        ]
        assert all(r.created_at == moved[r.reference.remote_id].created_at for r in back)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
