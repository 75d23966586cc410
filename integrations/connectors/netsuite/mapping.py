"""NetSuite records ⇄ the unified model (pure functions).

One function per entity reads both shapes NetSuite answers in: the record API's camelCase
record with references as ``{"id", "refName"}``, and a SuiteQL row (lowercase columns; a
reference is its id plus a ``<name>_name`` column from ``BUILTIN.DF``). Booleans come as true/false
from the record API and "T"/"F" from SuiteQL; timestamps as ISO 8601 or NetSuite's
``M/D/YYYY h:mm am`` text (SuiteQL default format).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from integrations import unified

PO_STATUS = {
    "pendingSupApproval": "draft",
    "pendingReceipt": "approved",
    "partiallyReceived": "partially_received",
    "pendingBillPartReceived": "partially_received",
    "pendingBilling": "received",
    "fullyBilled": "closed",
    "closed": "closed",
    "rejected": "cancelled",
}


def field(raw: dict[str, Any], name: str) -> Any:
    return raw[name] if name in raw else raw.get(name.lower())


def ref(raw: dict[str, Any], name: str) -> tuple[str | None, str | None]:
    value = field(raw, name)
    if isinstance(value, dict):
        return _text(value.get("id")), _text(value.get("refName"))
    return _text(value), _text(raw.get(f"{name.lower()}_name"))


def flag(value: Any) -> bool:
    return value is True or value == "T"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.strptime(text.upper(), "%m/%d/%Y %I:%M %p")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    if "/" in text:
        return datetime.strptime(text, "%m/%d/%Y").date()
    return date.fromisoformat(text[:10])


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def part_from_remote(raw: dict[str, Any]) -> unified.Part:
    inactive = flag(field(raw, "isInactive"))
    unit_id, unit = ref(raw, "stockUnit")
    location_id, location = ref(raw, "location")
    quantity = _dec(field(raw, "quantityOnHand"))
    return unified.Part(
        remote_id=str(raw["id"]),
        remote_updated_at=parse_datetime(field(raw, "lastModifiedDate")),
        is_deleted=inactive,
        code=field(raw, "itemId"),
        name=field(raw, "displayName") or field(raw, "itemId"),
        description=_text(field(raw, "purchaseDescription")),
        unit=unit or unit_id,
        unit_cost=_dec(field(raw, "cost")),
        list_price=_dec(field(raw, "basePrice")),
        is_active=not inactive,
        stock=[
            unified.StockLevel(
                location_remote_id=location_id, location_name=location, quantity=quantity
            )
        ]
        if location_id and quantity is not None
        else [],
    )


def part_to_remote(part: unified.Part) -> dict[str, Any]:
    return {
        "itemId": part.code,
        "displayName": part.name,
        "purchaseDescription": part.description,
        "cost": float(part.unit_cost) if part.unit_cost is not None else None,
        "basePrice": float(part.list_price) if part.list_price is not None else None,
        "isInactive": not part.is_active,
    }


def vendor_from_remote(raw: dict[str, Any]) -> unified.Vendor:
    inactive = flag(field(raw, "isInactive"))
    return unified.Vendor(
        remote_id=str(raw["id"]),
        remote_updated_at=parse_datetime(field(raw, "lastModifiedDate")),
        is_deleted=inactive,
        code=_text(field(raw, "entityId")),
        name=field(raw, "companyName") or field(raw, "entityId") or "",
        email=_text(field(raw, "email")),
        phone=_text(field(raw, "phone")),
        is_active=not inactive,
    )


def employee_from_remote(raw: dict[str, Any]) -> unified.Employee:
    inactive = flag(field(raw, "isInactive"))
    name = " ".join(p for p in (field(raw, "firstName"), field(raw, "lastName")) if p)
    return unified.Employee(
        remote_id=str(raw["id"]),
        remote_updated_at=parse_datetime(field(raw, "lastModifiedDate")),
        is_deleted=inactive,
        code=_text(field(raw, "entityId")),
        name=name or field(raw, "entityId") or "",
        email=_text(field(raw, "email")),
        is_active=not inactive,
        start_date=parse_date(field(raw, "hireDate")),
        end_date=parse_date(field(raw, "releaseDate")),
    )


def employee_to_remote(employee: unified.Employee) -> dict[str, Any]:
    first, _, last = employee.name.partition(" ")
    return {
        "entityId": employee.code,
        "firstName": first,
        "lastName": last,
        "email": employee.email,
        "isInactive": not employee.is_active,
        "hireDate": employee.start_date.isoformat() if employee.start_date else None,
    }


def location_from_remote(raw: dict[str, Any]) -> unified.Location:
    inactive = flag(field(raw, "isInactive"))
    parent_id, _ = ref(raw, "parent")
    return unified.Location(
        remote_id=str(raw["id"]),
        remote_updated_at=parse_datetime(field(raw, "lastModifiedDate")),
        is_deleted=inactive,
        code=_text(field(raw, "externalId")),
        name=field(raw, "name") or str(raw["id"]),
        kind="warehouse",
        parent_remote_id=parent_id,
    )


def purchase_order_from_remote(raw: dict[str, Any]) -> unified.PurchaseOrder:
    vendor_id, vendor = ref(raw, "entity")
    status = field(raw, "orderStatus")
    status_id = status.get("id") if isinstance(status, dict) else status
    currency_id, currency = ref(raw, "currency")
    lines = (field(raw, "item") or {}).get("items") or []
    return unified.PurchaseOrder(
        remote_id=str(raw["id"]),
        remote_updated_at=parse_datetime(field(raw, "lastModifiedDate")),
        number=_text(field(raw, "tranId")),
        vendor_remote_id=vendor_id,
        vendor_name=vendor,
        status=PO_STATUS.get(status_id or "", "approved"),
        remote_status=_text(status_id),
        order_date=parse_date(field(raw, "tranDate")),
        currency=currency or currency_id,
        total_amount=_dec(field(raw, "total")),
        lines=[
            unified.PurchaseOrderLine(
                line_number=str(line.get("line")),
                part_remote_id=ref(line, "item")[0],
                part_code=ref(line, "item")[1],
                description=_text(line.get("description")),
                quantity=_dec(line.get("quantity")) or Decimal(0),
                unit=_text(line.get("units")),
                unit_price=_dec(line.get("rate")),
                amount=_dec(line.get("amount")),
                delivery_date=parse_date(line.get("expectedReceiptDate")),
            )
            for line in lines
        ],
    )
