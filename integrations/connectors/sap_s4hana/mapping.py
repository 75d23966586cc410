"""SAP S/4HANA OData v2 records ⇄ the unified model (pure functions).

Timestamps are ``/Date(ms)/`` or ``/Date(ms+0000)/``; numbers arrive as strings; empty values as
"" or null.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations import unified

DATE_RE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")

ORDER_TYPES = {
    "PM01": "corrective",
    "PM02": "preventive",
    "PM03": "predictive",
    "PM04": "inspection",
    "PM05": "emergency",
}
PRIORITIES = {"1": "urgent", "2": "high", "3": "medium", "4": "low"}


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    match = DATE_RE.fullmatch(str(value))
    if not match:
        # Not an Edm.DateTime: the record is set aside with this reason, not read as "no date".
        raise ValueError(f"Not an OData date: {str(value)[:40]!r}")
    # The offset suffix is informational: the milliseconds are already UTC.
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)


def format_datetime(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def parse_date(value: Any) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _status_from_system_status(status_text: str, phase: str | None) -> str:
    codes = set((status_text or "").split())
    if "CLSD" in codes:
        return "closed"
    if "TECO" in codes:
        return "completed"
    if "DLFL" in codes:
        return "cancelled"
    if "REL" in codes:
        return "in_progress" if phase == "3" else "assigned"
    return "new"


def work_order_from_remote(raw: dict[str, Any]) -> unified.WorkOrder:
    return unified.WorkOrder(**work_order_fields(raw))


def work_order_fields(raw: dict[str, Any]) -> dict[str, Any]:
    status_text = raw.get("SystemStatusText") or ""
    return {
        "remote_id": raw["MaintenanceOrder"],
        "remote_updated_at": parse_datetime(raw.get("LastChangeDateTime")),
        "is_deleted": "DLFL" in status_text.split(),
        "number": raw["MaintenanceOrder"],
        "title": raw.get("MaintenanceOrderDesc") or raw["MaintenanceOrder"],
        "order_type": ORDER_TYPES.get(raw.get("MaintenanceOrderType") or "", "corrective"),
        "status": _status_from_system_status(status_text, raw.get("MaintOrdProcessPhaseCode")),
        "remote_status": status_text or None,
        "priority": PRIORITIES.get(raw.get("MaintPriority") or ""),
        "asset_remote_id": text(raw.get("Equipment")),
        "location_remote_id": text(raw.get("FunctionalLocation")),
        "scheduled_start": parse_datetime(raw.get("MaintOrdBasicStartDateTime")),
        "scheduled_end": parse_datetime(raw.get("MaintOrdBasicEndDateTime")),
    }


def asset_from_remote(raw: dict[str, Any]) -> unified.Asset:
    return unified.Asset(**asset_fields(raw))


def asset_fields(raw: dict[str, Any]) -> dict[str, Any]:
    deleted = bool(raw.get("EquipmentIsMarkedForDeletion"))
    return {
        "remote_id": raw["Equipment"],
        "remote_updated_at": parse_datetime(raw.get("LastChangeDateTime")),
        "is_deleted": deleted,
        "code": raw["Equipment"],
        "name": raw.get("EquipmentName") or raw["Equipment"],
        "asset_type": text(raw.get("TechnicalObjectType")) or text(raw.get("EquipmentCategory")),
        "status": "retired"
        if deleted
        else ("operating" if raw.get("EquipmentIsAvailable", True) else "down"),
        "location_remote_id": text(raw.get("FunctionalLocation")),
        "parent_remote_id": text(raw.get("SuperordinateEquipment")),
        "serial_number": text(raw.get("ManufacturerSerialNumber")),
        "manufacturer": text(raw.get("AssetManufacturerName")),
        "model": text(raw.get("ManufacturerPartTypeName")),
        "install_date": parse_date(raw.get("OperationStartDate")),
    }


def asset_to_remote(asset: unified.Asset) -> dict[str, Any]:
    return {
        "Equipment": asset.code,
        "EquipmentName": asset.name,
        "TechnicalObjectType": asset.asset_type or "",
        "FunctionalLocation": asset.location_remote_id or "",
        "SuperordinateEquipment": asset.parent_remote_id or "",
        "ManufacturerSerialNumber": asset.serial_number or "",
        "AssetManufacturerName": asset.manufacturer or "",
        "ManufacturerPartTypeName": asset.model or "",
        "OperationStartDate": format_datetime(asset.install_date),
    }


def purchase_order_from_remote(raw: dict[str, Any]) -> unified.PurchaseOrder:
    return unified.PurchaseOrder(**purchase_order_fields(raw))


def purchase_order_fields(raw: dict[str, Any]) -> dict[str, Any]:
    items = (raw.get("to_PurchaseOrderItem") or {}).get("results") or []
    live = [item for item in items if not item.get("PurchasingDocumentDeletionCode")]
    delivered = [bool(item.get("IsCompletelyDelivered")) for item in live]
    status = {"01": "draft", "02": "approved", "05": "approved", "08": "cancelled"}.get(
        raw.get("PurchasingProcessingStatus") or "", "approved"
    )
    if delivered and all(delivered):
        status = "received"
    elif any(delivered):
        status = "partially_received"
    total = sum(
        (
            (decimal(i.get("NetPriceAmount")) or 0)
            * (decimal(i.get("OrderQuantity")) or 0)
            / (decimal(i.get("NetPriceQuantity")) or 1)
            for i in live
        ),
        Decimal(0),
    )
    return {
        "remote_id": raw["PurchaseOrder"],
        "remote_updated_at": parse_datetime(raw.get("LastChangeDateTime")),
        "number": raw["PurchaseOrder"],
        "vendor_remote_id": text(raw.get("Supplier")),
        "status": status,
        "remote_status": text(raw.get("PurchasingProcessingStatus")),
        "order_date": parse_date(raw.get("PurchaseOrderDate")),
        "currency": text(raw.get("DocumentCurrency")),
        "total_amount": total.quantize(Decimal("0.01")),
        "lines": [
            unified.PurchaseOrderLine(
                line_number=item["PurchaseOrderItem"],
                part_remote_id=text(item.get("Material")),
                part_code=text(item.get("Material")),
                description=text(item.get("PurchaseOrderItemText")),
                quantity=decimal(item.get("OrderQuantity")) or Decimal(0),
                unit=text(item.get("PurchaseOrderQuantityUnit")),
                unit_price=decimal(item.get("NetPriceAmount")),
            )
            for item in live
        ],
    }
