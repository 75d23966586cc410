"""Synced ERP records become FieldOps assets, locations, parts, technicians and work orders."""

from datetime import timedelta

import pytest

from assets.models import Asset, AssetStatus, Location
from fieldops.accounts.models import Membership, Role
from fieldops.errors import ValidationFailed
from integrations.connectors.factory import connector_for
from integrations.crypto import encrypt_credentials
from integrations.models import ExternalReference, SyncRun
from integrations.services import local
from integrations.services.sync import sync_run_execute
from tests.factories import UserFactory
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.sap_data import T0
from tests.integrations.simulators.business_central import COMPANY, BusinessCentralSimulator
from workorders.models import ChangeSource, Part, Status, WorkOrder, WorkOrderHistory


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization)


def sync(connection, sim, entity, *, full=False):
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=entity, full=full
    )
    connector = connector_for(connection, transport=sim.transport(), sleep=lambda s: None)
    return sync_run_execute(run_id=run.pk, connector=connector)


def local_row(connection, entity, remote_id):
    ref = ExternalReference.objects.get(connection=connection, entity=entity, remote_id=remote_id)
    return ref.local_model, ref.local_id


def test_equipment_becomes_assets_once_and_resync_writes_nothing(connection):
    sim = sap_data.seeded(equipment_count=3)
    run = sync(connection, sim, "assets", full=True)
    assert (run.created, run.failed) == (3, 0)
    asset = Asset.objects.get(code="10000001")
    assert (asset.name, asset.serial_number, asset.manufacturer) == (
        "Pump P-101",
        "SN-10000001",
        "KSB",
    )
    assert asset.organization_id == connection.organization_id
    assert local_row(connection, "assets", "10000001") == ("assets.asset", asset.pk)
    again = sync(connection, sim, "assets", full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Asset.objects.count() == 3
    assert Asset.objects.get(pk=asset.pk).version == asset.version


def test_changed_equipment_updates_the_asset_and_deletion_retires_it(connection):
    sim = sap_data.seeded(equipment_count=2)
    sync(connection, sim, "assets", full=True)
    sim.put(
        "Equipment",
        sap_data.equipment("10000001", "Pump P-101 (rebuilt)", T0 + timedelta(hours=1)),
    )
    sim.put(
        "Equipment",
        sap_data.equipment(
            "10000002", "Pump P-102", T0 + timedelta(hours=1), EquipmentIsMarkedForDeletion=True
        ),
    )
    run = sync(connection, sim, "assets")
    assert run.updated == 2
    assert Asset.objects.get(code="10000001").name == "Pump P-101 (rebuilt)"
    retired = Asset.objects.get(code="10000002")
    assert retired.status == AssetStatus.RETIRED
    assert retired.status_changes.last().reason == "Changed in the ERP"


def test_equipment_gone_from_a_completed_full_run_is_retired_never_deleted(connection):
    sim = sap_data.seeded(equipment_count=2)
    sync(connection, sim, "assets", full=True)
    sim.rows["/API_EQUIPMENT/Equipment"] = sim.rows["/API_EQUIPMENT/Equipment"][:1]
    run = sync(connection, sim, "assets", full=True)
    assert run.deleted == 1
    gone = Asset.objects.get(code="10000002")
    assert gone.status == AssetStatus.RETIRED
    assert Asset.objects.count() == 2


def test_an_asset_fieldops_already_has_under_the_code_is_adopted(connection, dispatcher):
    from assets.services import asset_create

    mine = asset_create(membership=dispatcher, code="10000001", name="Pump by hand")
    sync(connection, sap_data.seeded(equipment_count=1), "assets", full=True)
    assert Asset.objects.count() == 1
    assert local_row(connection, "assets", "10000001") == ("assets.asset", mine.pk)
    assert Asset.objects.get(pk=mine.pk).name == "Pump P-101"


def test_maintenance_order_becomes_a_work_order_linked_to_its_asset(connection):
    sim = sap_data.seeded(equipment_count=1)
    sync(connection, sim, "assets", full=True)
    run = sync(connection, sim, "work_orders", full=True)
    assert run.created == 1
    ref = ExternalReference.objects.get(entity="work_orders", remote_id="4000000")
    work_order = WorkOrder.objects.get(pk=ref.local_id)
    assert work_order.public_id == ref.public_id
    assert (work_order.source, work_order.work_type, work_order.priority) == (
        ChangeSource.ERP,
        "corrective",
        "p2",
    )
    assert work_order.title == "Pump P-101 leaking at seal"
    assert work_order.asset.code == "10000001"
    assert work_order.scheduled_start == T0
    assert work_order.history.get().source == ChangeSource.ERP


def test_newer_remote_change_updates_the_work_order_and_a_stale_one_never_does(connection):
    sim = sap_data.seeded(equipment_count=0)
    sync(connection, sim, "work_orders", full=True)
    work_order = WorkOrder.objects.get()
    sim.put(
        "MaintenanceOrder",
        sap_data.order("4000000", T0 + timedelta(hours=2), MaintenanceOrderDesc="Seal replaced"),
    )
    assert sync(connection, sim, "work_orders").updated == 1
    work_order.refresh_from_db()
    assert work_order.title == "Seal replaced"
    update = work_order.history.filter(kind=WorkOrderHistory.Kind.UPDATED).get()
    assert update.source == ChangeSource.ERP
    assert update.actor.user.username.startswith("fieldops-erp-sync-")
    # An older version of the same order (a late webhook, a replayed page) changes nothing.
    sim.put(
        "MaintenanceOrder",
        sap_data.order("4000000", T0 + timedelta(hours=1), MaintenanceOrderDesc="Old text"),
    )
    stale = sync(connection, sim, "work_orders", full=True)
    assert (stale.updated, stale.unchanged) == (0, 1)
    work_order.refresh_from_db()
    assert work_order.title == "Seal replaced"
    assert work_order.version == 2


def test_an_order_deleted_in_the_erp_cancels_the_open_work_order(connection):
    sim = sap_data.seeded(equipment_count=0)
    sync(connection, sim, "work_orders", full=True)
    sim.put(
        "MaintenanceOrder",
        sap_data.order("4000000", T0 + timedelta(hours=1), SystemStatusText="REL DLFL"),
    )
    sync(connection, sim, "work_orders")
    work_order = WorkOrder.objects.get()
    assert work_order.status == Status.CANCELLED
    assert work_order.history.filter(to_status=Status.CANCELLED).get().source == ChangeSource.ERP


def test_replayed_work_order_create_finds_the_one_already_opened(connection):
    sim = sap_data.seeded(equipment_count=0)
    sync(connection, sim, "work_orders", full=True)
    ref = ExternalReference.objects.get(entity="work_orders")
    # A crash between opening the work order and linking it leaves the reference unlinked.
    ExternalReference.objects.filter(pk=ref.pk).update(local_model="", local_id=None)
    ref.refresh_from_db()
    local.upsert(
        entity="work_orders",
        connection=connection,
        items=[(ref, sap_data_order_unified())],
    )
    assert WorkOrder.objects.count() == 1
    assert local_row(connection, "work_orders", "4000000")[1] == WorkOrder.objects.get().pk


def sap_data_order_unified():
    from integrations.connectors.sap_s4hana import mapping

    return mapping.work_order_from_remote(sap_data.order("4000000", T0))


def test_a_record_the_services_refuse_fails_alone_and_is_retried_next_run(connection, monkeypatch):
    from integrations.services.local import assets as local_assets

    real = local_assets.asset_upsert

    def refuse_second(ctx, ref, record):
        if record.remote_id == "10000002":
            raise ValidationFailed(
                details={"fields": {"code": "Another asset already uses this code."}}
            )
        return real(ctx, ref, record)

    monkeypatch.setitem(local.UPSERTS, "assets", refuse_second)
    sim = sap_data.seeded(equipment_count=3)
    run = sync(connection, sim, "assets", full=True)
    assert (run.created, run.failed) == (2, 1)
    assert run.errors == [
        {
            "remote_id": "10000002",
            "error": "VALIDATION_ERROR: code: Another asset already uses this code.",
        }
    ]
    monkeypatch.setitem(local.UPSERTS, "assets", real)
    retry = sync(connection, sim, "assets", full=True)
    assert (retry.updated, retry.unchanged, retry.failed) == (1, 2, 0)
    assert Asset.objects.count() == 3


def bc_connection(organization):
    return ConnectionFactory(
        organization=organization,
        system="business_central",
        base_url="http://127.0.0.1:9/v2.0/tenant/production",
        credentials_encrypted=encrypt_credentials(
            {"client_id": "app", "client_secret": "bc-secret-value"}
        ),
        settings={
            "company_id": COMPANY,
            "token_url": "http://127.0.0.1:9/tenant/oauth2/v2.0/token",
            "backoff_base": 0.01,
        },
    )


def bc_employee(number, name, email, status="Active", modified="2026-11-01T10:00:00Z"):
    given, surname = name.split(" ")
    return {
        "id": f"e0000000-0000-4000-8000-{number.zfill(12)}",
        "number": number,
        "displayName": name,
        "givenName": given,
        "surname": surname,
        "email": email,
        "status": status,
        "employmentDate": "2024-03-01",
        "terminationDate": "0001-01-01",
        "lastModifiedDateTime": modified,
    }


def test_employees_become_technicians_and_known_people_are_linked_not_demoted(organization):
    boss = UserFactory(email="kim.boss@example.com")
    boss_membership = Membership.objects.create(
        user=boss, organization=organization, role=Role.ADMIN
    )
    connection = bc_connection(organization)
    sim = BusinessCentralSimulator()
    sim.rows["employees"] = [
        bc_employee("E1", "Jane Wrench", "Jane.Wrench@example.com"),
        bc_employee("E2", "Kim Boss", "kim.boss@example.com"),
    ]
    run = sync(connection, sim, "employees", full=True)
    assert run.created == 2
    jane = Membership.objects.get(user__email="jane.wrench@example.com")
    assert (jane.role, jane.is_active, jane.organization_id) == (
        Role.TECHNICIAN,
        True,
        organization.pk,
    )
    assert not jane.user.has_usable_password()
    assert (jane.user.first_name, jane.user.last_name) == ("Jane", "Wrench")
    assert (
        local_row(connection, "employees", sim.rows["employees"][1]["id"])[1] == boss_membership.pk
    )
    boss_membership.refresh_from_db()
    assert boss_membership.role == Role.ADMIN
    # Deactivated in the ERP: the technician membership is deactivated, never deleted.
    sim.rows["employees"][0] = bc_employee(
        "E1", "Jane Wrench", "jane.wrench@example.com", "Inactive", "2026-11-02T10:00:00Z"
    )
    sync(connection, sim, "employees")
    jane.refresh_from_db()
    assert jane.is_active is False
    assert sync(connection, sim, "employees", full=True).created == 0
    assert Membership.objects.filter(role=Role.TECHNICIAN).count() == 1


def test_items_become_parts_and_blocked_items_are_deactivated(organization):
    from tests.integrations.simulators.business_central import item

    connection = bc_connection(organization)
    sim = BusinessCentralSimulator()
    sim.rows["items"] = [
        item("1000", "Bearing 6204", "2026-11-01T10:00:00Z"),
        item("1001", "Filter", "2026-11-01T10:00:00Z"),
    ]
    sync(connection, sim, "parts", full=True)
    bearing = Part.objects.get(organization=organization, code="1000")
    assert (bearing.name, bearing.unit, bearing.is_active) == ("Bearing 6204", "PCS", True)
    sim.rows["items"][1] = item("1001", "Filter", "2026-11-02T10:00:00Z", blocked=True)
    sync(connection, sim, "parts")
    assert Part.objects.get(code="1001").is_active is False
    assert Part.objects.count() == 2


def tryton_connection(organization, tryton):
    return ConnectionFactory(
        organization=organization,
        system="tryton",
        base_url=tryton.url,
        credentials_encrypted=encrypt_credentials(
            {"login": tryton.login, "password": tryton.password}
        ),
        settings={"database": tryton.database, "company": tryton.seed["company"]},
    )


def sync_live(connection, entity):
    run = SyncRun.objects.create(
        organization=connection.organization, connection=connection, entity=entity, full=True
    )
    return sync_run_execute(run_id=run.pk)


def test_tryton_products_become_parts_employees_technicians_locations_sites(organization, tryton):
    connection = tryton_connection(organization, tryton)
    assert sync_live(connection, "parts").failed == 0
    bearing = Part.objects.get(organization=organization, code="BRG-6204")
    assert (bearing.name, bearing.unit) == ("Bearing 6204", "u")
    assert sync_live(connection, "employees").failed == 0
    names = set(
        Membership.objects.filter(organization=organization, role=Role.TECHNICIAN).values_list(
            "user__first_name", "user__last_name"
        )
    )
    assert names >= {("Jane", "Wrench"), ("Bob", "Spanner")}
    assert sync_live(connection, "locations").failed == 0
    warehouse = Location.objects.get(
        pk=local_row(connection, "locations", str(tryton.seed["warehouse"]))[1]
    )
    assert warehouse.name == "Warehouse"
    again = [sync_live(connection, e) for e in ("parts", "employees", "locations")]
    assert [(r.created, r.updated) for r in again] == [(0, 0)] * 3
