"""Work orders in the JSON API: /api/v1/work-orders and their children, requests, parts."""

import json
from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder

from assets.models import Asset
from fieldops.accounts.models import Membership
from fieldops.errors import NotFound, ValidationFailed, VersionConflict
from fieldops.idempotency import idempotent
from fieldops.pagination import cursor_paginate
from fieldops.uploads import check_upload
from workorders import services
from workorders.models import ChangeSource, Part, WorkOrder
from workorders.schemas import (
    AnswerIn,
    ApproveIn,
    AssignIn,
    AttachmentOut,
    ChecklistItemOut,
    FollowUpIn,
    HistoryOut,
    NoteIn,
    NoteOut,
    PartOut,
    PartUseIn,
    PartUseOut,
    RejectIn,
    ReportOut,
    RequestIn,
    RequestOut,
    SignatureOut,
    StopIn,
    TimeEntryIn,
    TimeEntryOut,
    TransitionIn,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderPatch,
    WorkOrderQuery,
)
from workorders.selectors import (
    WorkOrderFilters,
    request_get_for_member,
    requests_for,
    work_order_get_for_member,
    work_order_handle_for_member,
    work_order_out_by_ref,
    work_order_search,
    work_orders_out_by_ids,
)
from workorders.serializers import (
    attachment_out,
    checklist_out,
    history_out,
    note_out,
    part_use_out,
    request_out,
    time_entry_out,
)
from workorders.services.reports import report_content, report_sha256

router = Router(tags=["work orders"])
JSON_CONTENT_TYPE = "application/json; charset=utf-8"  # what ninja's JSONRenderer answers with
CLIENT_SOURCES = {ChangeSource.WEB, ChangeSource.MOBILE, ChangeSource.OFFLINE}


def source_of(request: HttpRequest) -> str:
    """Pages and the phone say where a change comes from; other programs are "api"."""
    claimed = request.headers.get("X-Client-Source", "")
    if claimed in CLIENT_SOURCES:
        return claimed
    return ChangeSource.API if getattr(request, "api_token_id", None) else ChangeSource.WEB


def _as_json(body: dict) -> HttpResponse:
    """A body already in its schema's shape and field order (the selectors build it from
    columns, and tests hold it to the schema), rendered as ninja would without validating each
    item again: that validation cost more than reading the rows."""
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), content_type=JSON_CONTENT_TYPE)


def _fresh(membership: Membership, work_order: WorkOrder) -> dict:
    return work_order_out_by_ref(membership, work_order.public_id)


class _ShowCurrentOnConflict:
    """A stale version answers VERSION_CONFLICT with the current record, so the client can
    merge without another round trip."""

    def __init__(self, membership: Membership, work_order: WorkOrder):
        self.membership, self.work_order = membership, work_order

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if isinstance(exc, VersionConflict):
            current = WorkOrderOut.model_validate(_fresh(self.membership, self.work_order))
            exc.details = {**exc.details, "current": current.model_dump(mode="json")}


@router.post(
    "/work-orders",
    response={201: WorkOrderOut, 200: WorkOrderOut},
    summary="Open a work order (send Idempotency-Key to retry safely)",
)
def work_order_create(request: HttpRequest, payload: WorkOrderIn) -> Status:
    membership: Membership = request.auth

    def run() -> tuple[int, dict]:
        data = payload.model_dump(exclude={"id", "checklist"})
        spec = services.WorkOrderSpec(
            **data,
            checklist=[
                services.ChecklistItemSpec(**item.model_dump()) for item in payload.checklist
            ],
        )
        work_order, created = services.work_order_create(
            membership=membership,
            organization_id=membership.organization_id,
            spec=spec,
            source=source_of(request),
            client_id=payload.id,
        )
        body = WorkOrderOut.model_validate(_fresh(membership, work_order))
        return (201 if created else 200), body.model_dump(mode="json")

    return idempotent(request, run)


ORDER_KEYS = {"-created": ("-id",), "created": ("id",), "updated": ("updated_at", "id")}


@router.get(
    "/work-orders",
    response=WorkOrderPage,
    summary="List work orders (filters as query parameters, cursor paging)",
)
def work_order_list(
    request: HttpRequest,
    filters: Query[WorkOrderQuery],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    query = filters.model_dump()
    sort = query.pop("sort")
    # The page is chosen on the ids alone, then its rows are read as plain columns.
    queryset = work_order_search(request.auth, WorkOrderFilters(**query))
    queryset = queryset.select_related(None).prefetch_related(None).only("id", "updated_at")
    page = cursor_paginate(queryset, cursor=cursor, limit=limit, keys=ORDER_KEYS[sort])
    ids = [w.pk for w in page.items]
    items = work_orders_out_by_ids(request.auth.organization_id, ids)
    return _as_json({"items": items, "next_cursor": page.next_cursor})


@router.get("/work-orders/{ref}", response=WorkOrderOut, summary="One work order")
def work_order_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _as_json(work_order_out_by_ref(request.auth, ref))


@router.patch(
    "/work-orders/{ref}",
    response=WorkOrderOut,
    summary="Change details (send the version you based the change on)",
)
def work_order_update(request: HttpRequest, ref: str, payload: WorkOrderPatch) -> dict:
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    with _ShowCurrentOnConflict(membership, work_order):
        services.work_order_update(
            membership=membership,
            work_order=work_order,
            expected_version=payload.version,
            changes=changes,
            source=source_of(request),
        )
    return _fresh(membership, work_order)


@router.post(
    "/work-orders/{ref}/transition",
    response=WorkOrderOut,
    summary="Move through the lifecycle (start, pause, complete, close, cancel…)",
)
def work_order_transition(request: HttpRequest, ref: str, payload: TransitionIn) -> dict:
    membership: Membership = request.auth
    work_order = work_order_handle_for_member(membership, ref)  # the service locks and reads it
    resolution = services.Resolution(
        resolution_notes=payload.resolution_notes,
        failure_code=payload.failure_code,
        cause=payload.cause,
        remedy=payload.remedy,
    )
    with _ShowCurrentOnConflict(membership, work_order):
        services.work_order_transition(
            membership=membership,
            work_order=work_order,
            to_status=payload.to,
            expected_version=payload.version,
            source=source_of(request),
            device_time=payload.occurred_at,
            reason=payload.reason,
            resolution=resolution,
        )
    return _fresh(membership, work_order)


@router.post(
    "/work-orders/{ref}/assign",
    response=WorkOrderOut,
    summary="Assign technicians (replaces the current assignees)",
)
def work_order_assign(request: HttpRequest, ref: str, payload: AssignIn) -> dict:
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    with _ShowCurrentOnConflict(membership, work_order):
        services.work_order_assign(
            membership=membership,
            work_order=work_order,
            technician_ids=payload.technician_ids,
            expected_version=payload.version,
            source=source_of(request),
        )
    return _fresh(membership, work_order)


@router.get(
    "/work-orders/{ref}/history",
    response=list[HistoryOut],
    summary="Every change: who, when, from where",
)
def work_order_history(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [history_out(h) for h in work_order.history.select_related("actor__user")]


def _created(row: dict, created: bool) -> Status:
    return Status(201 if created else 200, row)


@router.get("/work-orders/{ref}/notes", response=list[NoteOut])
def note_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [note_out(n) for n in work_order.notes.select_related("author__user")]


@router.post(
    "/work-orders/{ref}/notes",
    response={201: NoteOut, 200: NoteOut},
    summary="Add a note (200 with the first copy when its id was seen before)",
)
def note_add(request: HttpRequest, ref: str, payload: NoteIn) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    note, created = services.note_add(
        membership=request.auth,
        work_order=work_order,
        text=payload.text,
        client_id=payload.id,
        device_time=payload.occurred_at,
    )
    return _created(note_out(note), created)


@router.get("/work-orders/{ref}/time-entries", response=list[TimeEntryOut])
def time_entry_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [time_entry_out(t) for t in work_order.time_entries.select_related("technician__user")]


@router.post(
    "/work-orders/{ref}/time-entries",
    response={201: TimeEntryOut, 200: TimeEntryOut},
    summary="Log time (with an end or minutes), or start a clock (neither)",
)
def time_entry_add(request: HttpRequest, ref: str, payload: TimeEntryIn) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    entry, created = services.time_entry_add(
        membership=request.auth,
        work_order=work_order,
        kind=payload.kind,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        minutes=payload.minutes,
        client_id=payload.id,
    )
    return _created(time_entry_out(entry), created)


@router.post(
    "/work-orders/{ref}/time-entries/{entry_id}/stop",
    response=TimeEntryOut,
    summary="Stop a running clock",
)
def time_entry_stop(request: HttpRequest, ref: str, entry_id: UUID, payload: StopIn) -> dict:
    work_order = work_order_get_for_member(request.auth, ref)
    entry = work_order.time_entries.filter(public_id=entry_id).first()
    if entry is None:
        raise NotFound()
    entry = services.time_entry_stop(
        membership=request.auth, entry=entry, device_time=payload.occurred_at
    )
    return time_entry_out(entry)


@router.get("/work-orders/{ref}/parts", response=list[PartUseOut])
def part_use_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [part_use_out(p) for p in work_order.parts_used.select_related("part")]


@router.post(
    "/work-orders/{ref}/parts",
    response={201: PartUseOut, 200: PartUseOut},
    summary="Record a part used",
)
def part_use(request: HttpRequest, ref: str, payload: PartUseIn) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    usage, created = services.part_use(
        membership=request.auth,
        work_order=work_order,
        part_id=payload.part_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        stock_location=payload.stock_location,
        client_id=payload.id,
        device_time=payload.occurred_at,
    )
    return _created(part_use_out(usage), created)


@router.get("/work-orders/{ref}/checklist", response=list[ChecklistItemOut])
def checklist_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [checklist_out(i) for i in work_order.checklist.prefetch_related("answers", "photos")]


@router.post(
    "/work-orders/{ref}/checklist/{item_id}/answers",
    response={201: ChecklistItemOut, 200: ChecklistItemOut},
    summary="Answer a checklist item (the latest answer counts)",
)
def checklist_answer(request: HttpRequest, ref: str, item_id: UUID, payload: AnswerIn) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    answer, created = services.checklist_answer(
        membership=request.auth,
        work_order=work_order,
        item_id=item_id,
        result=payload.result,
        value=payload.value,
        text=payload.text,
        client_id=payload.id,
        device_time=payload.occurred_at,
    )
    item = work_order.checklist.prefetch_related("answers", "photos").get(pk=answer.item_id)
    return _created(checklist_out(item), created)


@router.post(
    "/work-orders/{ref}/checklist/{item_id}/follow-up",
    response={201: WorkOrderOut, 200: WorkOrderOut},
    summary="Open corrective follow-up work for a failed item",
)
def follow_up_create(request: HttpRequest, ref: str, item_id: UUID, payload: FollowUpIn) -> Status:
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    follow_up, created = services.follow_up_create(
        membership=membership,
        work_order=work_order,
        item_id=item_id,
        priority=payload.priority,
        source=source_of(request),
        client_id=payload.id,
    )
    return _created(_fresh(membership, follow_up), created)


@router.get("/work-orders/{ref}/attachments", response=list[AttachmentOut])
def attachment_list(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [attachment_out(a) for a in work_order.attachments.select_related("checklist_item")]


@router.post(
    "/work-orders/{ref}/attachments",
    response={201: AttachmentOut, 200: AttachmentOut},
    summary="Upload a photo or PDF (multipart; checked by content, size-limited)",
)
def attachment_add(
    request: HttpRequest,
    ref: str,
    file: File[UploadedFile],
    caption: Form[str] = "",
    checklist_item_id: Form[UUID | None] = None,
    id: Form[UUID | None] = None,
    occurred_at: Form[datetime | None] = None,
) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    attachment, created = services.attachment_add(
        membership=request.auth,
        work_order=work_order,
        upload=check_upload(file, field="file"),
        caption=caption,
        checklist_item_id=checklist_item_id,
        client_id=id,
        device_time=occurred_at,
    )
    return _created(attachment_out(attachment), created)


@router.post(
    "/work-orders/{ref}/signature",
    response={201: SignatureOut, 200: SignatureOut},
    summary="The customer's signature (PNG); fixes the report's SHA-256",
)
def signature_add(
    request: HttpRequest,
    ref: str,
    image: File[UploadedFile],
    signer_name: Form[str],
    id: Form[UUID | None] = None,
    occurred_at: Form[datetime | None] = None,
) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    signature, created = services.signature_add(
        membership=request.auth,
        work_order=work_order,
        signer_name=signer_name,
        image=check_upload(image, field="image", images_only=True),
        client_id=id,
        device_time=occurred_at,
        source=source_of(request),
    )
    return _created(
        {
            "id": signature.public_id,
            "signer_name": signature.signer_name,
            "occurred_at": signature.occurred_at,
            "report_sha256": signature.report_sha256,
        },
        created,
    )


@router.get(
    "/work-orders/{ref}/report",
    response=ReportOut,
    summary="The service report, and whether it still matches what was signed",
)
def report(request: HttpRequest, ref: str) -> dict:
    work_order = work_order_get_for_member(request.auth, ref)
    signature = work_order.signatures.order_by("-occurred_at", "-id").first()
    current = report_sha256(work_order)
    return {
        "number": work_order.reference,
        "signed": signature is not None,
        "intact": None if signature is None else signature.report_sha256 == current,
        "signed_sha256": signature.report_sha256 if signature else None,
        "current_sha256": current,
        "content": report_content(work_order),
    }


@router.get("/parts", response=list[PartOut], summary="The parts catalogue")
def part_list(request: HttpRequest, q: str = "") -> list[dict]:
    parts = Part.objects.filter(organization_id=request.auth.organization_id, is_active=True)
    if q:
        parts = parts.filter(name__icontains=q) | parts.filter(code__icontains=q)
    return [
        {"id": p.public_id, "code": p.code, "name": p.name, "unit": p.unit}
        for p in parts.order_by("code")[:200]
    ]


@router.get("/requests", response=list[RequestOut], summary="Reported problems, newest first")
def request_list(request: HttpRequest, status: str = "new") -> list[dict]:
    rows = requests_for(request.auth.organization_id)
    if status != "all":
        rows = rows.filter(status=status)
    return [request_out(r) for r in rows[:200]]


@router.post("/requests", response={201: RequestOut}, summary="Report a problem")
def request_submit(request: HttpRequest, payload: RequestIn) -> Status:

    membership: Membership = request.auth
    asset = None
    if payload.asset_id:
        asset = Asset.objects.filter(
            organization_id=membership.organization_id, public_id=payload.asset_id
        ).first()
        if asset is None:
            raise ValidationFailed(details={"asset_id": "No such asset in your organisation."})
    submitted = services.request_submit(
        membership=membership, description=payload.description, asset=asset
    )
    return Status(201, request_out(submitted))


@router.post(
    "/requests/{request_id}/approve",
    response=WorkOrderOut,
    summary="Approve into a work order (text and photo carried over)",
)
def request_approve(request: HttpRequest, request_id: UUID, payload: ApproveIn) -> dict:
    membership: Membership = request.auth
    work_order = services.request_approve(
        membership=membership,
        request=request_get_for_member(membership, request_id),
        priority=payload.priority,
        title=payload.title,
        work_type=payload.work_type,
    )
    return _fresh(membership, work_order)


@router.post(
    "/requests/{request_id}/reject",
    response=RequestOut,
    summary="Reject with a reason the requester can see",
)
def request_reject(request: HttpRequest, request_id: UUID, payload: RejectIn) -> dict:
    membership: Membership = request.auth
    rejected = services.request_reject(
        membership=membership,
        request=request_get_for_member(membership, request_id),
        reason=payload.reason,
    )
    return request_out(rejected)
