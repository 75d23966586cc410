"""Business Central API v2.0 records ⇄ the unified model (pure functions)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations import unified

PO_STATUS = {"Draft": "draft", "In Review": "draft", "Open": "approved", "Released": "approved"}


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _date(value: Any) -> date | None:
    if not value or value == "0001-01-01":
        return None
    return date.fromisoformat(value)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def part_from_remote(raw: dict[str, Any]) -> unified.Part:
    return unified.Part(
        remote_id=raw["id"],
        remote_updated_at=_dt(raw.get("lastModifiedDateTime")),
        is_deleted=bool(raw.get("blocked")),
        code=raw["number"],
        name=raw.get("displayName") or raw["number"],
        unit=_text(raw.get("baseUnitOfMeasureCode")),
        unit_cost=Decimal(str(raw["unitCost"])) if raw.get("unitCost") is not None else None,
        list_price=Decimal(str(raw["unitPrice"])) if raw.get("unitPrice") is not None else None,
        is_active=not raw.get("blocked"),
        stock=[
            unified.StockLevel(
                location_remote_id="*",
                location_name="All locations",
                quantity=Decimal(str(raw.get("inventory") or 0)),
            )
        ],
    )


def part_to_remote(part: unified.Part) -> dict[str, Any]:
    return {
        "number": part.code,
        "displayName": part.name,
        "baseUnitOfMeasureCode": part.unit or "",
        "unitCost": float(part.unit_cost) if part.unit_cost is not None else 0,
        "unitPrice": float(part.list_price) if part.list_price is not None else 0,
        "blocked": not part.is_active,
    }


def vendor_from_remote(raw: dict[str, Any]) -> unified.Vendor:
    return unified.Vendor(
        remote_id=raw["id"],
        remote_updated_at=_dt(raw.get("lastModifiedDateTime")),
        is_deleted=raw.get("blocked") == "All",
        code=_text(raw.get("number")),
        name=raw.get("displayName") or "",
        email=_text(raw.get("email")),
        phone=_text(raw.get("phoneNumber")),
        is_active=raw.get("blocked") in ("", " ", None),
    )


def employee_from_remote(raw: dict[str, Any]) -> unified.Employee:
    name = raw.get("displayName") or " ".join(
        p for p in (raw.get("givenName"), raw.get("surname")) if p
    )
    return unified.Employee(
        remote_id=raw["id"],
        remote_updated_at=_dt(raw.get("lastModifiedDateTime")),
        is_deleted=raw.get("status") == "Inactive",
        code=_text(raw.get("number")),
        name=name,
        email=_text(raw.get("email")),
        is_active=raw.get("status") == "Active",
        start_date=_date(raw.get("employmentDate")),
        end_date=_date(raw.get("terminationDate")),
    )


def purchase_order_from_remote(raw: dict[str, Any]) -> unified.PurchaseOrder:
    lines = raw.get("purchaseOrderLines") or []
    return unified.PurchaseOrder(
        remote_id=raw["id"],
        remote_updated_at=_dt(raw.get("lastModifiedDateTime")),
        number=_text(raw.get("number")),
        vendor_remote_id=_text(raw.get("vendorId")),
        vendor_name=_text(raw.get("vendorName")),
        status=PO_STATUS.get(raw.get("status") or "", "approved"),
        remote_status=_text(raw.get("status")),
        order_date=_date(raw.get("orderDate")),
        currency=_text(raw.get("currencyCode")),
        total_amount=Decimal(str(raw["totalAmountIncludingTax"]))
        if raw.get("totalAmountIncludingTax") is not None
        else None,
        lines=[
            unified.PurchaseOrderLine(
                line_number=str(line.get("sequence")),
                part_remote_id=_text(line.get("itemId")),
                part_code=_text(line.get("lineObjectNumber")),
                description=_text(line.get("description")),
                quantity=Decimal(str(line.get("quantity") or 0)),
                unit=_text(line.get("unitOfMeasureCode")),
                unit_price=Decimal(str(line.get("directUnitCost") or 0)),
                amount=Decimal(str(line.get("netAmount") or 0)),
                delivery_date=_date(line.get("expectedReceiptDate")),
            )
            for line in lines
            if line.get("lineType", "Item") == "Item"
        ],
    )
