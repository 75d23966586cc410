"""Tryton records ⇄ the unified model (pure functions; values already decoded by client.decode).

Tryton has no equipment or maintenance-order model in the modules we use, so it is a source of
parts (product.product with stock per storage location), purchase orders, vendors (party.party),
employees (company.employee), locations (stock.location) and timesheet lines (the labour FieldOps
pushes back).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from integrations import unified

# Fields read per model; "x.y" are Tryton's dotted reads, returned as {"x.": {"y": ...}}.
FIELDS: dict[str, list[str]] = {
    "product.product": [
        "code",
        "name",
        "description",
        "active",
        "default_uom.symbol",
        "cost_price",
        "list_price",
        "last_modified_at",
    ],
    "purchase.purchase": [
        "number",
        "reference",
        "party",
        "party.name",
        "purchase_date",
        "state",
        "shipment_state",
        "currency.code",
        "total_amount",
        "last_modified_at",
        "lines",
    ],
    "purchase.line": [
        "purchase",
        "sequence",
        "type",
        "product",
        "product.code",
        "description",
        "quantity",
        "unit.symbol",
        "unit_price",
        "amount",
        "delivery_date",
    ],
    "party.party": ["code", "name", "active", "email", "phone", "last_modified_at"],
    "company.employee": [
        "party.name",
        "party.code",
        "party.email",
        "active",
        "start_date",
        "end_date",
        "last_modified_at",
    ],
    "stock.location": ["code", "name", "type", "parent", "active", "last_modified_at"],
    "timesheet.line": ["employee", "work", "date", "duration", "description", "last_modified_at"],
}

ENTITY_MODELS = {
    "parts": "product.product",
    "purchase_orders": "purchase.purchase",
    "vendors": "party.party",
    "employees": "company.employee",
    "locations": "stock.location",
    "timesheets": "timesheet.line",
}

PO_STATUS = {
    "draft": "draft",
    "quotation": "draft",
    "confirmed": "approved",
    "processing": "approved",
    "done": "closed",
    "cancelled": "cancelled",
}
LOCATION_KIND = {"warehouse": "warehouse", "storage": "storeroom"}
KEY_MARKER = re.compile(r"\[fieldops:([^\]]+)\]")


def _rel(raw: dict[str, Any], name: str, field: str) -> Any:
    nested = raw.get(f"{name}.") or {}
    return nested.get(field)


def _rid(value: Any) -> str | None:
    return None if value in (None, False) else str(value)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def part_from_remote(raw: dict[str, Any], stock: list[unified.StockLevel]) -> unified.Part:
    return unified.Part(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        is_deleted=not raw.get("active", True),
        code=raw.get("code") or str(raw["id"]),
        name=raw.get("name") or "",
        description=raw.get("description") or None,
        unit=_rel(raw, "default_uom", "symbol"),
        unit_cost=_dec(raw.get("cost_price")),
        list_price=_dec(raw.get("list_price")),
        is_active=bool(raw.get("active", True)),
        stock=stock,
    )


def purchase_order_from_remote(
    raw: dict[str, Any], lines: list[dict[str, Any]]
) -> unified.PurchaseOrder:
    state = raw.get("state") or "draft"
    status = PO_STATUS.get(state, "draft")
    if state == "processing" and raw.get("shipment_state") == "partially shipped":
        status = "partially_received"
    if state in ("processing", "done") and raw.get("shipment_state") == "received":
        status = "received" if state == "processing" else "closed"
    return unified.PurchaseOrder(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        number=raw.get("number") or None,
        vendor_remote_id=_rid(raw.get("party")),
        vendor_name=_rel(raw, "party", "name"),
        status=status,
        remote_status=state,
        order_date=raw.get("purchase_date"),
        currency=_rel(raw, "currency", "code"),
        total_amount=_dec(raw.get("total_amount")),
        lines=[
            unified.PurchaseOrderLine(
                line_number=str(line.get("sequence") or line["id"]),
                part_remote_id=_rid(line.get("product")),
                part_code=_rel(line, "product", "code"),
                description=line.get("description") or None,
                quantity=_dec(line.get("quantity")) or Decimal(0),
                unit=_rel(line, "unit", "symbol"),
                unit_price=_dec(line.get("unit_price")),
                amount=_dec(line.get("amount")),
                delivery_date=line.get("delivery_date"),
            )
            for line in lines
            if line.get("type", "line") == "line"
        ],
    )


def vendor_from_remote(raw: dict[str, Any]) -> unified.Vendor:
    return unified.Vendor(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        is_deleted=not raw.get("active", True),
        code=raw.get("code") or None,
        name=raw.get("name") or "",
        email=raw.get("email") or None,
        phone=raw.get("phone") or None,
        is_active=bool(raw.get("active", True)),
    )


def employee_from_remote(raw: dict[str, Any]) -> unified.Employee:
    return unified.Employee(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        is_deleted=not raw.get("active", True),
        code=_rel(raw, "party", "code"),
        name=_rel(raw, "party", "name") or "",
        email=_rel(raw, "party", "email") or None,
        is_active=bool(raw.get("active", True)),
        start_date=raw.get("start_date"),
        end_date=raw.get("end_date"),
    )


def location_from_remote(raw: dict[str, Any]) -> unified.Location:
    return unified.Location(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        is_deleted=not raw.get("active", True),
        code=raw.get("code") or None,
        name=raw.get("name") or "",
        kind=LOCATION_KIND.get(raw.get("type") or "", "other"),
        parent_remote_id=_rid(raw.get("parent")),
    )


def timesheet_from_remote(raw: dict[str, Any]) -> unified.TimesheetEntry:
    duration = raw.get("duration") or timedelta(0)
    description = raw.get("description") or ""
    marker = KEY_MARKER.search(description)
    return unified.TimesheetEntry(
        remote_id=str(raw["id"]),
        remote_updated_at=raw.get("last_modified_at"),
        employee_remote_id=_rid(raw.get("employee")),
        date=raw["date"],
        hours=(Decimal(duration.total_seconds()) / 3600).quantize(Decimal("0.01")),
        description=KEY_MARKER.sub("", description).strip() or None,
        external_key=marker.group(1) if marker else None,
    )


def timesheet_to_remote(
    entry: unified.TimesheetEntry, *, company: int, work: int, key: str
) -> dict[str, Any]:
    """A timesheet.line to create. Tryton's own ``uuid`` is read-only over RPC, so FieldOps's
    idempotency key travels in the description, where the push looks for it before creating."""
    text = (entry.description or "").strip()
    return {
        "company": company,
        "employee": int(entry.employee_remote_id) if entry.employee_remote_id else None,
        "work": work,
        "date": entry.date if isinstance(entry.date, date) else date.fromisoformat(entry.date),
        "duration": timedelta(seconds=float(entry.hours) * 3600),
        "description": f"{text} [fieldops:{key}]".strip(),
    }
