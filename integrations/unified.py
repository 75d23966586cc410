"""The unified model: the same shapes whatever ERP is behind a connection.

Every record carries ``id`` (the FieldOps unified id, stable across syncs), ``remote_id`` (the
ERP's own key), ``remote_updated_at`` and, in API responses, ``raw`` (the remote record as
received, for audit). Fields an ERP does not have are null. References to other records are remote
ids (``*_remote_id``) so they resolve within the same connection. Amounts and quantities are
decimal strings, never floats; timestamps are ISO 8601 in UTC.
"""

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Money = Decimal


class UnifiedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remote_id: str = Field(description="The record's key in the ERP.")
    remote_updated_at: datetime | None = Field(
        default=None, description="When the ERP last changed the record (UTC)."
    )
    is_deleted: bool = Field(
        default=False, description="Deleted or deactivated in the ERP (soft delete)."
    )


class Location(UnifiedRecord):
    code: str | None = Field(default=None, description="Short code (plant, warehouse, storeroom).")
    name: str = Field(description="Display name.")
    kind: Literal["site", "building", "area", "warehouse", "storeroom", "other"] = "other"
    parent_remote_id: str | None = Field(default=None, description="Enclosing location.")
    address: str | None = None


class Asset(UnifiedRecord):
    code: str = Field(description="Equipment / asset number.")
    name: str
    asset_type: str | None = Field(default=None, description="Category or class in the ERP.")
    status: Literal["operating", "down", "retired"] = "operating"
    location_remote_id: str | None = None
    parent_remote_id: str | None = Field(default=None, description="Superordinate asset.")
    serial_number: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    install_date: date | None = None


class WorkOrderLabour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_remote_id: str | None = None
    hours: Decimal = Field(description="Hours worked, decimal.")
    started_at: datetime | None = None
    finished_at: datetime | None = None


class WorkOrder(UnifiedRecord):
    number: str = Field(description="Work / maintenance order number.")
    title: str
    description: str | None = None
    order_type: Literal["corrective", "preventive", "predictive", "inspection", "emergency"] = (
        "corrective"
    )
    status: Literal[
        "new", "assigned", "in_progress", "on_hold", "completed", "closed", "cancelled"
    ] = Field(default="new", description="Normalised status.")
    remote_status: str | None = Field(default=None, description="The ERP's own status code.")
    priority: Literal["low", "medium", "high", "urgent"] | None = None
    asset_remote_id: str | None = None
    location_remote_id: str | None = None
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    labour: list[WorkOrderLabour] = Field(default_factory=list)


class StockLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_remote_id: str
    location_name: str | None = None
    quantity: Decimal


class Part(UnifiedRecord):
    code: str = Field(description="Item / material / product number.")
    name: str
    description: str | None = None
    unit: str | None = Field(default=None, description="Unit of measure code.")
    unit_cost: Money | None = None
    list_price: Money | None = None
    is_active: bool = True
    stock: list[StockLevel] = Field(default_factory=list, description="Quantity per location.")


class PurchaseOrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_number: str
    part_remote_id: str | None = None
    part_code: str | None = None
    description: str | None = None
    quantity: Decimal
    unit: str | None = None
    unit_price: Money | None = None
    amount: Money | None = None
    delivery_date: date | None = None


class PurchaseOrder(UnifiedRecord):
    number: str | None = Field(default=None, description="Order number (null while a draft).")
    vendor_remote_id: str | None = None
    vendor_name: str | None = None
    status: Literal["draft", "approved", "partially_received", "received", "closed", "cancelled"]
    remote_status: str | None = None
    order_date: date | None = None
    currency: str | None = Field(default=None, description="ISO 4217 code.")
    total_amount: Money | None = None
    lines: list[PurchaseOrderLine] = Field(default_factory=list)


class Vendor(UnifiedRecord):
    code: str | None = None
    name: str
    email: str | None = None
    phone: str | None = None
    is_active: bool = True


class Employee(UnifiedRecord):
    """An employee / labour record; FieldOps matches it to a technician."""

    code: str | None = None
    name: str
    email: str | None = None
    is_active: bool = True
    start_date: date | None = None
    end_date: date | None = None


class TimesheetEntry(UnifiedRecord):
    employee_remote_id: str | None = None
    work_order_remote_id: str | None = None
    date: date
    hours: Decimal
    description: str | None = None
    external_key: str | None = Field(
        default=None, description="FieldOps's key for an entry it pushed (exactly-once writes)."
    )


ENTITY_SCHEMAS: dict[str, type[UnifiedRecord]] = {
    "work_orders": WorkOrder,
    "assets": Asset,
    "parts": Part,
    "purchase_orders": PurchaseOrder,
    "vendors": Vendor,
    "employees": Employee,
    "timesheets": TimesheetEntry,
    "locations": Location,
}


def to_json(record: UnifiedRecord) -> dict[str, Any]:
    return record.model_dump(mode="json")


@cache
def list_adapter(schema: type[UnifiedRecord]) -> TypeAdapter[list[Any]]:
    """Validates or dumps a whole page of one schema in one pydantic call (the per-call overhead
    was a good part of a small record's cost)."""
    return TypeAdapter(list[schema])  # type: ignore[valid-type]


def to_json_many(records: list[UnifiedRecord]) -> list[dict[str, Any]]:
    """``to_json`` of each record, in one call when they share a schema (a page does)."""
    kinds = {type(record) for record in records}
    if len(kinds) != 1:
        return [to_json(record) for record in records]
    return list_adapter(kinds.pop()).dump_python(records, mode="json")
