from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class FigureOut(Schema):
    key: str
    label: str
    value: float | None
    unit: str
    numerator: float | None
    denominator: float | None
    definition: str
    drill: str = Field(
        description="The API path listing the work orders behind this figure ('' when none)."
    )
    extra: dict[str, Any]


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    definition: str


class RefOut(Schema):
    id: UUID
    name: str


class KpisOut(Schema):
    start: date
    end: date
    time_zone: str
    site: RefOut | None
    team: RefOut | None
    first_time_fix_days: int
    generated_at: datetime = Field(
        description="When these figures were computed (they are shared for up to 30 s)."
    )
    figures: list[FigureOut]
    tables: list[TableOut]


class DrillItemOut(Schema):
    number: str = Field(description="The work order's number, e.g. WO-000123.")
    title: str
    status: str
    priority: str
    work_type: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    scheduled_end: datetime | None
    estimated_minutes: int | None
    counted: bool | None = Field(
        description="In the figure's numerator (on time, planned, within window); null when the "
        "figure has none."
    )


class DrillOut(Schema):
    figure: str
    title: str
    definition: str
    generated_at: datetime
    count: int = Field(description="How many work orders the figure counted: every page's rows.")
    counted: int | None = Field(description="How many of them are in the figure's numerator.")
    counted_label: str
    estimated_hours: float | None = Field(
        description="The listed work's estimates added up (backlog in crew-weeks)."
    )
    items: list[DrillItemOut]
    next_cursor: str | None
