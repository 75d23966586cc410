from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from fieldops.inputs import Moment, chosen
from workorders.models import ChecklistItemKind, Priority, Status, TimeKind, WorkType

WorkTypeName = Literal[tuple(WorkType.values)]  # type: ignore[valid-type]
PriorityName = Literal[tuple(Priority.values)]  # type: ignore[valid-type]
StatusName = Literal[tuple(Status.values)]  # type: ignore[valid-type]
ItemKindName = Literal[tuple(ChecklistItemKind.values)]  # type: ignore[valid-type]
TimeKindName = Literal[tuple(TimeKind.values)]  # type: ignore[valid-type]


class Ref(Schema):
    id: UUID
    code: str
    name: str


class Person(Schema):
    id: UUID
    username: str
    name: str


class ChecklistItemIn(Schema):
    label: str = Field(max_length=300)
    kind: ItemKindName = "pass_fail"
    required: bool = True
    requires_photo: bool = False
    unit: str = Field("", max_length=20)
    min_value: float | None = None
    max_value: float | None = None


class WorkOrderIn(Schema):
    id: UUID | None = Field(None, description="Client-generated id (offline creation)")
    title: str = Field(max_length=200)
    description: str = ""
    work_type: WorkTypeName = "corrective"
    priority: PriorityName = "p3"
    asset_id: UUID | None = None
    location_id: UUID | None = None
    scheduled_start: Moment | None = None
    scheduled_end: Moment | None = None
    estimated_minutes: int | None = None
    required_skill: str = ""
    checklist: list[ChecklistItemIn] = Field(default_factory=list, max_length=200)


class WorkOrderPatch(Schema):
    version: int = Field(description="The version this change is based on")
    title: str | None = None
    description: str | None = None
    work_type: WorkTypeName | None = None
    priority: PriorityName | None = None
    asset_id: UUID | None = None
    location_id: UUID | None = None
    scheduled_start: Moment | None = None
    scheduled_end: Moment | None = None
    estimated_minutes: int | None = None
    required_skill: str | None = None
    due_at: Moment | None = Field(
        None, description="Resolution due by (without an offset: in the organisation's zone)"
    )


class WorkOrderOut(Schema):
    id: UUID
    number: str
    title: str
    description: str
    work_type: str
    priority: str
    status: str
    asset: Ref | None
    location: Ref | None
    assignees: list[Person]
    sla_state: str
    response_due_at: datetime | None
    onsite_due_at: datetime | None
    due_at: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    estimated_minutes: int | None
    required_skill: str
    responded_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    resolution_notes: str
    failure_code: str
    cause: str
    remedy: str
    follow_up_of: str | None
    source: str
    created_at: datetime
    updated_at: datetime
    version: int


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next_cursor: str | None


class TransitionIn(Schema):
    to: StatusName
    version: int
    reason: str = ""
    occurred_at: Moment | None = Field(None, description="Device time of the change")
    resolution_notes: str = ""
    failure_code: str = ""
    cause: str = ""
    remedy: str = ""


class OfflineTransitionIn(TransitionIn):
    """A status change queued on a phone: it names the status it saw instead of a version."""

    version: int | None = None
    from_status: StatusName


class AssignIn(Schema):
    technician_ids: list[UUID] = Field(max_length=20)
    version: int
    # A skill or shift rule broken (OVERRIDE_REQUIRED) is let through with a reason.
    override: bool = False
    override_reason: str = Field("", max_length=500)


class HistoryOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    source: str
    occurred_at: datetime
    recorded_at: datetime
    details: dict


class NoteIn(Schema):
    id: UUID | None = None
    text: str
    occurred_at: Moment | None = None


class NoteOut(Schema):
    id: UUID
    text: str
    author: str | None
    occurred_at: datetime


def _kind_required(schema: dict) -> None:
    # The default lets a page without a kind get its own message; the API still says it is needed.
    schema.setdefault("required", []).append("kind")


class TimeEntryIn(Schema):
    model_config = ConfigDict(json_schema_extra=_kind_required)

    id: UUID | None = None
    kind: Annotated[TimeKindName, chosen("Choose what the time was spent on.")] = Field(
        None, validate_default=True, description="Required: travel, work, waiting or break"
    )
    started_at: Moment | None = Field(
        None, description="Default: now for a clock, or `minutes` before now for logged time"
    )
    ended_at: Moment | None = None
    minutes: int | None = None


class TimeEntryOut(Schema):
    id: UUID
    kind: str
    technician: str
    started_at: datetime
    ended_at: datetime | None
    minutes: int | None


class StopIn(Schema):
    occurred_at: Moment | None = None


class EntryStopIn(StopIn):
    """Stopping a clock where the entry is not in the path (the page, the offline push)."""

    entry_id: UUID


class PartUseIn(Schema):
    id: UUID | None = None
    part_id: UUID | None = None
    part_code: str = ""
    quantity: Decimal
    stock_location: str = ""
    occurred_at: Moment | None = None


class PartUseOut(Schema):
    id: UUID
    part_code: str
    part_name: str
    quantity: Decimal
    stock_location: str
    occurred_at: datetime


class ChecklistItemOut(Schema):
    id: UUID
    position: int
    label: str
    kind: str
    required: bool
    requires_photo: bool
    unit: str
    min_value: float | None
    max_value: float | None
    result: str
    value: float | None
    text: str
    failed: bool
    photos: int


class AnswerIn(Schema):
    id: UUID | None = None
    result: str = ""
    value: float | None = None
    text: str = ""
    occurred_at: Moment | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _decimal_comma(cls, value: object) -> object:
        # A phone keyboard in many locales types "12,5".
        return value.strip().replace(",", ".") if isinstance(value, str) else value


class ItemAnswerIn(AnswerIn):
    """An answer where the item is not in the path (the offline push)."""

    item_id: UUID


class FollowUpIn(Schema):
    id: UUID | None = None
    priority: PriorityName = "p2"


class AttachmentIn(Schema):
    """What comes with a photo or file (the file itself is the upload)."""

    id: UUID | None = None
    caption: str = ""
    checklist_item_id: UUID | None = None
    occurred_at: Moment | None = None


class SignatureIn(Schema):
    """What comes with a signature (the image itself is the upload)."""

    id: UUID | None = None
    signer_name: str
    occurred_at: Moment | None = None
    # The report's SHA-256 as the signing screen showed it (the page sends it; optional).
    reviewed_sha256: str | None = Field(None, max_length=64)


class EncodedFileIn(Schema):
    """A file sent inside JSON (the offline push), base64-encoded."""

    content_base64: str
    name: str = ""


class AttachmentOut(Schema):
    id: UUID
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    url: str
    caption: str
    checklist_item_id: UUID | None
    occurred_at: datetime


class SignatureOut(Schema):
    id: UUID
    signer_name: str
    occurred_at: datetime
    report_sha256: str


class ReportOut(Schema):
    number: str
    signed: bool
    intact: bool | None
    signed_sha256: str | None
    current_sha256: str
    content: dict


class PartOut(Schema):
    id: UUID
    code: str
    name: str
    unit: str


class RequestIn(Schema):
    description: str
    asset_id: UUID | None = None


class RequestOut(Schema):
    id: UUID
    status: str
    description: str
    asset: Ref | None
    reporter_name: str
    rejection_reason: str
    work_order: str | None
    created_at: datetime


class QrReportIn(Schema):
    """The no-login QR form a passer-by fills in (the service checks the text and the spam
    guards; the photo comes as a file, or as the token of one kept from a refused submit)."""

    description: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""
    form_token: str = ""
    honeypot: str = ""
    photo_kept: str = ""


class ApproveIn(Schema):
    priority: PriorityName = "p3"
    title: str = ""
    work_type: WorkTypeName = "corrective"


class RejectIn(Schema):
    reason: str


class ReturnTo(Schema):
    """Where a page form returns to after its action: an anchor on the page."""

    next_anchor: str = ""


class WorkOrderQuery(Schema):
    status: str | None = Field(None, description="Comma-separated statuses, or 'open'")
    priority: str | None = Field(None, description="Comma-separated: p1,p2,p3,p4")
    work_type: str | None = None
    assignee: str | None = Field(None, description="A technician id, 'me' or 'none'")
    asset: UUID | None = None
    location: UUID | None = Field(None, description="A location id: its whole subtree")
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    q: str | None = Field(None, max_length=100, description="Text in the title, or a number")
    updated_since: datetime | None = Field(None, description="Changed at or after (for sync)")
    sort: Literal["-created", "created", "updated"] = "-created"


class JobReadingIn(Schema):
    """A meter reading taken on a job (the reading service parses and checks the value)."""

    id: UUID | None = Field(None, description="Client-generated id: a retry stores it once")
    meter_id: Annotated[UUID, chosen("Choose a meter of this job.")] = Field(
        None, validate_default=True
    )
    value: float | str
    note: str = Field("", max_length=500)
    confirm_unusual: bool = Field(False, description="Save a value far from the last reading")
