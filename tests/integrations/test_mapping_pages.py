"""A page mapped and serialised in one pydantic call says exactly what record-by-record did."""

from datetime import timedelta

from integrations import unified
from integrations.connectors.base import map_page, map_rows
from integrations.connectors.sap_s4hana import mapping
from integrations.connectors.sap_s4hana.connector import _strip
from integrations.unified import to_json, to_json_many
from tests.integrations import sap_data
from tests.integrations.sap_data import T0


def equipment_page():
    return [
        {
            "__metadata": {"uri": "x", "type": "x"},
            **sap_data.equipment(f"1000000{i}", f"Pump P-{i}", T0 + timedelta(minutes=i)),
        }
        for i in range(5)
    ]


def key(row):
    return row.get("Equipment")


def test_a_page_maps_to_the_records_map_rows_gives():
    rows = equipment_page()
    page = map_page(rows, mapping.asset_fields, unified.Asset, key=key, raw=_strip)
    assert page == map_rows(rows, mapping.asset_from_remote, key=key, raw=_strip)
    records, failures = page
    assert failures == []
    assert records[0].unified == mapping.asset_from_remote(rows[0])
    assert "__metadata" not in records[0].raw
    assert "to_Partner" not in records[0].raw  # a deferred navigation


def test_bad_rows_in_a_page_fail_alone_and_are_described_as_before():
    rows = equipment_page()
    del rows[1]["Equipment"]  # KeyError in the mapping
    rows[3]["EquipmentName"] = 12  # refused by the schema (a str)
    page = map_page(rows, mapping.asset_fields, unified.Asset, key=key, raw=_strip)
    assert page == map_rows(rows, mapping.asset_from_remote, key=key, raw=_strip)
    records, failures = page
    assert [r.unified.remote_id for r in records] == ["10000000", "10000002", "10000004"]
    assert [f.remote_id for f in failures] == ["None", "10000003"]
    assert failures[1].error.startswith("ValidationError: 1 validation error for Asset")


def test_a_page_serialises_to_what_each_record_does():
    assets = [mapping.asset_from_remote(row) for row in equipment_page()]
    orders = [
        mapping.work_order_from_remote(sap_data.order("4000000", T0)),
        mapping.purchase_order_from_remote(
            {
                **sap_data.purchase_order("4500000001", T0),
                "to_PurchaseOrderItem": {
                    "results": sap_data.purchase_order("4500000001", T0)["to_PurchaseOrderItem"]
                },
            }
        ),
    ]
    for records in (assets, orders[:1], orders[1:], assets + orders, []):
        assert to_json_many(records) == [to_json(record) for record in records]
