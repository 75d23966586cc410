"""What a technician records on a work order: notes, time, parts used, checklist answers (and the
follow-up work a failed item opens), photos and files."""

from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Status
from ninja.files import UploadedFile

from fieldops.accounts.models import Membership
from fieldops.uploads import check_upload
from workorders import services
from workorders.api._common import created_or_found, current_row, router, source_of
from workorders.schemas import (
    AnswerIn,
    AttachmentIn,
    AttachmentOut,
    ChecklistItemOut,
    FollowUpIn,
    NoteIn,
    NoteOut,
    PartUseIn,
    PartUseOut,
    StopIn,
    TimeEntryIn,
    TimeEntryOut,
    WorkOrderOut,
)
from workorders.selectors import work_order_get_for_member
from workorders.serializers import (
    attachment_out,
    checklist_out,
    note_out,
    part_use_out,
    time_entry_out,
)


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
    return created_or_found(note_out(note), created)


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
    return created_or_found(time_entry_out(entry), created)


@router.post(
    "/work-orders/{ref}/time-entries/{entry_id}/stop",
    response=TimeEntryOut,
    summary="Stop a running clock",
)
def time_entry_stop(request: HttpRequest, ref: str, entry_id: UUID, payload: StopIn) -> dict:
    work_order = work_order_get_for_member(request.auth, ref)
    entry = services.time_entry_for_stop(work_order, entry_id)
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
    return created_or_found(part_use_out(usage), created)


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
    return created_or_found(checklist_out(item), created)


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
    return created_or_found(current_row(membership, follow_up), created)


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
    details: Form[AttachmentIn],
) -> Status:
    work_order = work_order_get_for_member(request.auth, ref)
    attachment, created = services.attachment_add(
        membership=request.auth,
        work_order=work_order,
        upload=check_upload(file, field="file"),
        caption=details.caption,
        checklist_item_id=details.checklist_item_id,
        client_id=details.id,
        device_time=details.occurred_at,
    )
    return created_or_found(attachment_out(attachment), created)
