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
    drill: str
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
