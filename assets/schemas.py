"""Explicit In / Out / Patch shapes of the asset API. Public ids are UUIDs."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from fieldops.inputs import Moment

LocationKindIn = Literal["site", "building", "area"]
AssetStatusLiteral = Literal["operating", "down", "retired"]
CriticalityIn = Literal["low", "medium", "high", "critical"]
MeterKindIn = Literal["cumulative", "gauge"]
SourceIn = Literal["technician", "erp", "iot", "import"]


class Ref(Schema):
    id: UUID
    code: str
    name: str


class LocationIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    kind: LocationKindIn
    parent: UUID | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class LocationPatch(Schema):
    version: int = Field(description="The version the change is based on.")
    code: str | None = None
    name: str | None = None
    parent: UUID | None = Field(None, description="Moves the location and everything in it.")
    address: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class LocationOut(Schema):
    id: UUID
    code: str
    name: str
    kind: str
    parent: Ref | None
    depth: int
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    version: int
    created_at: datetime
    updated_at: datetime


class AssetIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    asset_type: str = ""
    criticality: CriticalityIn = "medium"
    status: AssetStatusLiteral = "operating"
    location: UUID | None = None
    parent: UUID | None = None
    serial_number: str = ""
    manufacturer: str = ""
    model: str = ""
    install_date: date | None = None
    warranty_end: date | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class AssetPatch(Schema):
    version: int = Field(description="The version the change is based on.")
    code: str | None = None
    name: str | None = None
    asset_type: str | None = None
    criticality: CriticalityIn | None = None
    location: UUID | None = None
    parent: UUID | None = Field(None, description="Moves the asset and its sub-assets.")
    serial_number: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    install_date: date | None = None
    warranty_end: date | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class AssetOut(Schema):
    id: UUID
    code: str
    name: str
    asset_type: str
    criticality: str
    status: str
    status_changed_at: datetime | None
    location: Ref | None
    parent: Ref | None
    depth: int
    serial_number: str
    manufacturer: str
    model: str
    install_date: date | None
    warranty_end: date | None
    latitude: Decimal | None
    longitude: Decimal | None
    url: str
    qr_code_url: str
    version: int
    created_at: datetime
    updated_at: datetime


class AssetPage(Schema):
    items: list[AssetOut]
    next_cursor: str | None


class LocationPage(Schema):
    items: list[LocationOut]
    next_cursor: str | None


class RegisterImportIn(Schema):
    dry_run: bool = Field(False, description="Show what would change, change nothing")


class StatusIn(Schema):
    status: AssetStatusLiteral
    reason: str = Field("", max_length=500)


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    changed_by: str | None
    changed_at: datetime
    reason: str


class MeterIn(Schema):
    asset: UUID
    name: str = Field(max_length=100)
    kind: MeterKindIn
    unit: str = Field(max_length=20)
    min_value: float | None = None
    max_value: float | None = None


class MeterPatch(Schema):
    version: int
    name: str | None = None
    unit: str | None = None
    min_value: float | None = None
    max_value: float | None = None


class MeterOut(Schema):
    id: UUID
    asset: Ref
    name: str
    kind: str
    unit: str
    min_value: float | None
    max_value: float | None
    last_value: float | None
    last_reading_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class MeterPage(Schema):
    items: list[MeterOut]
    next_cursor: str | None


class ReadingIn(Schema):
    id: UUID | None = Field(
        None, description="A client-generated id; sending the same id again is a no-op."
    )
    meter: UUID
    # Not just a float: the service parses, so "12,5", "abc" or true get the same clear error
    # everywhere (API, batch, CSV, page).
    value: float | int | str | bool | None
    taken_at: Moment = Field(description="Without an offset: in the organisation's zone")
    unit: str | None = Field(None, description="If sent, must be the meter's unit.")
    source: SourceIn = "technician"
    is_replacement: bool = Field(False, description="The meter was replaced; a new count starts.")
    note: str = ""


class ReadingOut(Schema):
    id: UUID
    meter: UUID
    asset: UUID
    value: float
    unit: str
    taken_at: datetime
    source: str
    is_replacement: bool
    note: str
    created_at: datetime


class ReadingPage(Schema):
    items: list[ReadingOut]
    next_cursor: str | None


class BatchRowIn(Schema):
    id: UUID | None = None
    meter: UUID | None = None
    asset_code: str | None = None
    meter_name: str | None = None
    value: float | int | str | bool | None = None
    taken_at: datetime | str | None = None
    unit: str | None = None
    is_replacement: bool = False
    note: str = ""


class BatchIn(Schema):
    source: SourceIn = "technician"
    readings: list[BatchRowIn]


class RowOut(Schema):
    row: int
    status: Literal["stored", "duplicate", "refused"]
    id: UUID | None = None
    message: str = ""
    errors: dict[str, str] = {}


class BatchOut(Schema):
    stored: int
    duplicates: int
    refused: int
    rows: list[RowOut]


class RegisterRowOut(Schema):
    row: int
    code: str
    action: Literal["create", "update", "unchanged", "error"]
    changes: list[str]
    errors: dict[str, str]


class RegisterOut(Schema):
    dry_run: bool
    applied: bool
    created: int
    updated: int
    unchanged: int
    errors: int
    rows: list[RegisterRowOut]


class ChartPointOut(Schema):
    t: datetime
    avg: float
    min: float
    max: float
    n: int


class ChartOut(Schema):
    meter: UUID
    unit: str
    kind: str
    since: datetime
    until: datetime
    bucket: Literal["raw", "hour", "day"]
    points: list[ChartPointOut]
