from datetime import timedelta
from decimal import Decimal

import pytest

from integrations import unified
from integrations.connectors.errors import RemoteNotFound
from integrations.connectors.http import HttpClient
from integrations.connectors.sap_s4hana import mapping
from integrations.connectors.sap_s4hana.connector import SapS4HanaConnector
from tests.integrations import sap_data
from tests.integrations.sap_data import T0

BASE = "http://127.0.0.1:9/sap/opu/odata/sap"


def make(sim, **creds):
    http = HttpClient(base_url=BASE, transport=sim.transport(), sleep=lambda s: None)
    return SapS4HanaConnector(
        http=http, credentials={"username": "FIELDOPS", "password": "s3cret", **creds}, options={}
    )


def test_equipment_maps_to_asset_and_back():
    raw = sap_data.equipment("10000001", "Pump P-101", T0)
    asset = mapping.asset_from_remote(raw)
    assert asset == unified.Asset(
        remote_id="10000001",
        remote_updated_at=T0,
        code="10000001",
        name="Pump P-101",
        asset_type="PUMP",
        status="operating",
        location_remote_id="1010-PLT-A1",
        serial_number="SN-10000001",
        manufacturer="KSB",
        model="Etanorm 65-200",
        install_date=asset.install_date,
    )
    assert str(asset.install_date) == "2020-03-01"
    back = mapping.asset_to_remote(asset)
    assert back["EquipmentName"] == raw["EquipmentName"]
    assert back["OperationStartDate"] == "/Date(1583020800000+0000)/"
    assert mapping.asset_from_remote({**raw, **back}) == asset


def test_equipment_marked_for_deletion_is_a_soft_delete():
    raw = sap_data.equipment("1", "Old pump", T0, EquipmentIsMarkedForDeletion=True)
    asset = mapping.asset_from_remote(raw)
    assert asset.is_deleted
    assert asset.status == "retired"


def test_maintenance_order_maps_type_priority_and_status():
    wo = mapping.work_order_from_remote(sap_data.order("4000000", T0))
    assert (wo.number, wo.order_type, wo.priority, wo.status) == (
        "4000000",
        "corrective",
        "high",
        "in_progress",
    )
    assert wo.asset_remote_id == "10000001"
    assert wo.scheduled_end - wo.scheduled_start == timedelta(hours=4)
    teco = mapping.work_order_from_remote(
        sap_data.order("4000001", T0, SystemStatusText="TECO PRC")
    )
    assert teco.status == "completed"


def test_purchase_order_numbers_as_strings_become_decimals():
    record = make(sap_data.seeded()).get("purchase_orders", "4500000001")
    po = record.unified
    assert po.total_amount == Decimal("73.20")
    assert po.status == "partially_received"
    assert [(line.line_number, line.quantity) for line in po.lines] == [
        ("10", Decimal("4")),
        ("20", Decimal("2.000")),
    ]
    assert "__metadata" not in record.raw


def test_paging_follows_next_links_to_the_end():
    sim = sap_data.seeded(page_size=2, equipment_count=5)
    connector, cursor, seen = make(sim), None, []
    while True:
        page = connector.list_page("assets", since=None, cursor=cursor, page_size=100)
        seen += [r.unified.remote_id for r in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"1000000{i}" for i in range(1, 6)]
    assert sum("$skiptoken" in r.url.params for r in sim.requests) == 2


def test_incremental_read_filters_on_last_change():
    sim = sap_data.seeded(equipment_count=5)
    page = make(sim).list_page(
        "assets", since=T0 + timedelta(minutes=3), cursor=None, page_size=100
    )
    assert [r.unified.remote_id for r in page.records] == ["10000004", "10000005"]
    assert "LastChangeDateTime ge datetimeoffset'2026-11-02T08:33:00Z'" in str(
        sim.requests[0].url.params["$filter"]
    )


def test_missing_equipment_is_remote_not_found():
    with pytest.raises(RemoteNotFound):
        make(sap_data.seeded()).get("assets", "nope")


def test_write_fetches_a_csrf_token_and_refetches_when_it_went_stale():
    sim = sap_data.seeded()
    connector = make(sim)
    connector.push("work_order.complete", {"remote_id": "4000000"}, key="wo-1-complete")
    sim.csrf_token = "rotated-by-server"  # the session expired on the SAP side
    connector.push("work_order.complete", {"remote_id": "4000000"}, key="wo-1-complete")
    fetches = [r for r in sim.requests if r.headers.get("X-CSRF-Token") == "Fetch"]
    assert len(fetches) == 2
    assert sim.completed == ["4000000", "4000000"]


def test_write_without_csrf_token_is_refused_by_the_simulator():
    sim = sap_data.seeded()
    import httpx

    answer = httpx.Client(transport=sim.transport()).post(
        BASE + "/API_MAINTENANCEORDER/TechnicallyCompleteMaintOrder",
        headers={"Authorization": sim.auth},
        json={"MaintenanceOrder": "4000000"},
    )
    assert answer.status_code == 403
    assert answer.text == "CSRF token validation failed"
