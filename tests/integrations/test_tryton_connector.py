"""The Tryton connector against a real trytond (see conftest.tryton)."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.connectors.errors import AuthFailed, RemoteNotFound
from integrations.connectors.http import HttpClient
from integrations.connectors.tryton.connector import TrytonConnector


def make(tryton, **credentials) -> TrytonConnector:
    creds = {"login": tryton.login, "password": tryton.password, **credentials}
    return TrytonConnector(
        http=HttpClient(base_url=tryton.url, timeout=10),
        credentials=creds,
        options={"database": tryton.database, "company": tryton.seed["company"]},
    )


def read_all(connector, entity, page_size=50):
    records, cursor, pages = [], None, 0
    while True:
        page = connector.list_page(entity, since=None, cursor=cursor, page_size=page_size)
        records += page.records
        pages += 1
        if not page.next_cursor:
            return records, pages
        cursor = page.next_cursor


def test_products_become_parts_with_stock_per_warehouse(tryton):
    parts, _ = read_all(make(tryton), "parts")
    by_code = {r.unified.code: r.unified for r in parts}
    bearing = by_code["BRG-6204"]
    assert bearing.name == "Bearing 6204"
    assert bearing.unit_cost == Decimal("7.25")
    assert bearing.unit == "u"
    assert [(s.location_name, s.quantity) for s in bearing.stock] == [("Warehouse", 10)]
    assert by_code["FLT-100"].stock[0].quantity == 0
    assert parts[0].raw["id"] == tryton.seed["products"][0]


def test_paging_reaches_the_end_one_record_at_a_time(tryton):
    parts, pages = read_all(make(tryton), "parts", page_size=1)
    assert len(parts) == 3
    assert len({p.unified.remote_id for p in parts}) == 3
    assert pages in (3, 4)


def test_employees_become_technician_records(tryton):
    employees, _ = read_all(make(tryton), "employees")
    names = {e.unified.name: e.unified for e in employees}
    assert set(names) >= {"Jane Wrench", "Bob Spanner"}
    assert names["Jane Wrench"].start_date == date(2024, 3, 1)
    assert names["Jane Wrench"].is_active


def test_purchase_order_has_lines_vendor_and_normalised_status(tryton):
    record = make(tryton).get("purchase_orders", str(tryton.seed["purchase"]))
    po = record.unified
    assert po.vendor_name == "Bearings Direct"
    assert po.status == "draft"
    assert po.remote_status == "quotation"
    assert po.currency == "EUR"
    assert po.total_amount == Decimal("73.20")
    assert [(line.part_code, line.quantity) for line in po.lines] == [
        ("BRG-6204", Decimal("4")),
        ("FLT-100", Decimal("2")),
    ]
    assert record.raw["lines"][0]["product"] == tryton.seed["products"][0]


def test_incremental_read_from_a_later_time_returns_nothing(tryton):
    parts, _ = read_all(make(tryton), "parts")
    latest = max(p.unified.remote_updated_at for p in parts)
    page = make(tryton).list_page(
        "vendors", since=latest.replace(year=latest.year + 1), cursor=None, page_size=10
    )
    assert page.records == []
    assert page.next_cursor is None


def test_unknown_record_is_remote_not_found(tryton):
    with pytest.raises(RemoteNotFound):
        make(tryton).get("parts", "999999")


def test_wrong_password_is_auth_failed(tryton):
    with pytest.raises(AuthFailed):
        make(tryton, password="wrong").check()


def test_timesheet_push_creates_the_line_once_even_when_repeated(tryton):
    employee = str(tryton.seed["employees"][0])
    payload = {
        "employee_remote_id": employee,
        "date": "2026-11-20",
        "hours": "1.5",
        "description": "WO-000042 bearing replaced",
    }
    first = make(tryton).push("timesheet.create", payload, key="labour-42-1")
    second = make(tryton).push("timesheet.create", payload, key="labour-42-1")
    assert first == second
    lines, _ = read_all(make(tryton), "timesheets")
    pushed = [r.unified for r in lines if r.unified.external_key == "labour-42-1"]
    assert len(pushed) == 1
    assert pushed[0].hours == Decimal("1.50")
    assert pushed[0].description == "WO-000042 bearing replaced"
