from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator, model_validator
from pydantic_core import PydanticCustomError

from fieldops.inputs import Moment


class SkillLevelOut(Schema):
    code: str
    name: str
    level: int
    certified_until: date | None = None
    counts: bool


class DeviceOut(Schema):
    last_synced_at: datetime | None
    pending_changes: int
    stale: bool


class PositionOut(Schema):
    latitude: float
    longitude: float
    at: datetime | None


class TechnicianOut(Schema):
    id: UUID
    username: str
    name: str
    status: str
    crew: str | None
    skills: list[SkillLevelOut]
    home_base: PositionOut | None
    last_position: PositionOut | None
    device: DeviceOut | None
    open_jobs: int


class ReasonOut(Schema):
    kind: str
    ok: bool
    text: str


class SuggestionOut(Schema):
    technician: UUID
    name: str
    score: float
    needs_override: list[str]
    distance_km: float | None
    open_jobs: int
    reasons: list[ReasonOut]


class DispatchIn(Schema):
    technician_ids: list[UUID]
    version: int | None = None
    start: Moment | None = Field(None, description="Without an offset: in the organisation's zone")
    override: bool = False
    override_reason: str = ""


class DispatchOut(Schema):
    number: str
    status: str
    version: int
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    technicians: list[UUID]


class PositionIn(Schema):
    consent: bool
    latitude: float | None = None
    longitude: float | None = None
    at: datetime | None = None


class TechnicianStatusIn(Schema):
    status: str


class DeviceStateIn(Schema):
    device_id: str
    pending: int = Field(ge=0, le=1_000_000, description="Changes still queued on the phone")
    synced_at: datetime | None = None


class DayPlanIn(Schema):
    day: date
    site: UUID | None = None
    crew: UUID | None = None


def _scope_parts(value: object) -> object:
    """``site:<id>`` or ``crew:<id>`` as (kind, id); blank for everyone."""
    if value is None or not str(value).strip():
        return None
    kind, _, rest = str(value).partition(":")
    if kind not in ("site", "crew") or not rest:
        raise PydanticCustomError("scope", "Choose a site, a crew or everyone.")
    return kind, rest


class DayPlanFormIn(DayPlanIn):
    """The day-plan page's form: one "scope" choice (``site:<id>``, ``crew:<id>``, or blank for
    everyone) in place of the API's site and crew."""

    scope: Annotated[tuple[Literal["site", "crew"], UUID] | None, BeforeValidator(_scope_parts)] = (
        None
    )

    @model_validator(mode="after")
    def _site_or_crew(self) -> "DayPlanFormIn":
        if self.scope is not None:
            setattr(self, self.scope[0], self.scope[1])
        return self


class DayPlanOut(Schema):
    id: UUID
    day: date
    status: str
    progress: int
    error: str
    proposal: dict


class DayPlanAcceptIn(Schema):
    technician: UUID | None = None
    work_order: UUID | None = None


class DayPlanAcceptOut(Schema):
    accepted: list[str]
    already: list[str]
    unchanged: list[str]
    refused: list[dict]


class DayPlanInsertIn(Schema):
    work_order: UUID


class DayPlanInsertOut(Schema):
    technician: str
    position: int
    added_travel: int
    delays: dict[str, int]


class DayPlanLateIn(Schema):
    technician: UUID
    minutes: int


class DayPlanLateOut(Schema):
    shifted: dict[str, int]
    broken: list[str]
