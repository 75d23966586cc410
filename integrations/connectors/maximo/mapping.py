"""Maximo (lean JSON) records ⇄ the unified model (pure functions).

Attribute names are Maximo's lowercase ones (``wonum``, ``changedate``, ``assetnum``); dates are
ISO 8601 with an offset (``2026-11-02T09:30:00-05:00``); status codes are Maximo's own
(WAPPR, APPR, INPRG, WMATL, COMP, CLOSE, CAN).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from integrations import unified

WO_STATUS = {
    "WAPPR": "new",
    "APPR": "assigned",
    "WSCH": "assigned",
    "WMATL": "on_hold",
    "WPCOND": "on_hold",
    "INPRG": "in_progress",
    "COMP": "completed",
    "CLOSE": "closed",
    "CAN": "cancelled",
}
WORK_TYPES = {"CM": "corrective", "PM": "preventive", "CP": "predictive", "EV": "emergency"}
PRIORITIES = {1: "urgent", 2: "high", 3: "medium", 4: "low"}
ASSET_STATUS = {"OPERATING": "operating", "NOT READY": "down", "BROKEN": "down"}


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _date(value: Any) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def work_order_from_remote(raw: dict[str, Any]) -> unified.WorkOrder:
    status = raw.get("status") or "WAPPR"
    priority = raw.get("wopriority")
    return unified.WorkOrder(
        remote_id=str(raw["workorderid"]),
        remote_updated_at=parse_datetime(raw.get("changedate")),
        is_deleted=status == "CAN",
        number=raw["wonum"],
        title=raw.get("description") or raw["wonum"],
        description=_text(raw.get("description_longdescription")),
        order_type=WORK_TYPES.get(raw.get("worktype") or "", "corrective"),
        status=WO_STATUS.get(status, "new"),
        remote_status=status,
        priority=PRIORITIES.get(int(priority)) if priority not in (None, "") else None,
        asset_remote_id=_text(raw.get("assetnum")),
        location_remote_id=_text(raw.get("location")),
        scheduled_start=parse_datetime(raw.get("schedstart")),
        scheduled_end=parse_datetime(raw.get("schedfinish")),
        due_at=parse_datetime(raw.get("targcompdate")),
        completed_at=parse_datetime(raw.get("actfinish")),
        labour=[
            unified.WorkOrderLabour(
                employee_remote_id=_text(line.get("laborcode")),
                hours=Decimal(str(line.get("regularhrs") or 0)),
                started_at=parse_datetime(line.get("startdatetime")),
                finished_at=parse_datetime(line.get("finishdatetime")),
            )
            for line in raw.get("labtrans") or []
        ],
    )


def work_order_to_remote(work_order: unified.WorkOrder) -> dict[str, Any]:
    reverse_type = {v: k for k, v in WORK_TYPES.items()}
    reverse_priority = {v: k for k, v in PRIORITIES.items()}
    return {
        "wonum": work_order.number,
        "description": work_order.title,
        "description_longdescription": work_order.description,
        "worktype": reverse_type.get(work_order.order_type, "CM"),
        "status": work_order.remote_status,
        "wopriority": reverse_priority.get(work_order.priority or ""),
        "assetnum": work_order.asset_remote_id,
        "location": work_order.location_remote_id,
        "schedstart": format_datetime(work_order.scheduled_start)
        if work_order.scheduled_start
        else None,
        "schedfinish": format_datetime(work_order.scheduled_end)
        if work_order.scheduled_end
        else None,
    }


def asset_from_remote(raw: dict[str, Any]) -> unified.Asset:
    status = (raw.get("status") or "OPERATING").upper()
    return unified.Asset(
        remote_id=raw["assetnum"],
        remote_updated_at=parse_datetime(raw.get("changedate")),
        is_deleted=status == "DECOMMISSIONED",
        code=raw["assetnum"],
        name=raw.get("description") or raw["assetnum"],
        asset_type=_text(raw.get("assettype")),
        status="retired" if status == "DECOMMISSIONED" else ASSET_STATUS.get(status, "operating"),
        location_remote_id=_text(raw.get("location")),
        parent_remote_id=_text(raw.get("parent")),
        serial_number=_text(raw.get("serialnum")),
        manufacturer=_text(raw.get("manufacturer")),
        model=_text(raw.get("itemnum")),
        install_date=_date(raw.get("installdate")),
    )


def location_from_remote(raw: dict[str, Any]) -> unified.Location:
    status = (raw.get("status") or "OPERATING").upper()
    kind = {"STOREROOM": "storeroom", "OPERATING": "area"}.get(raw.get("type") or "", "other")
    return unified.Location(
        remote_id=raw["location"],
        remote_updated_at=parse_datetime(raw.get("changedate")),
        is_deleted=status == "DECOMMISSIONED",
        code=raw["location"],
        name=raw.get("description") or raw["location"],
        kind=kind,
        parent_remote_id=_text(raw.get("parent")),
    )
