"""API shapes of a work order's children (reads that several endpoints and pages share)."""

from django.urls import reverse

from workorders.models import (
    Attachment,
    ChecklistItem,
    Note,
    PartUsage,
    Request,
    TimeEntry,
    WorkOrderHistory,
)


def _who(membership) -> str | None:
    return membership.user.get_username() if membership else None


def note_out(note: Note) -> dict:
    return {
        "id": note.public_id,
        "text": note.text,
        "author": _who(note.author),
        "occurred_at": note.occurred_at,
    }


def time_entry_out(entry: TimeEntry) -> dict:
    return {
        "id": entry.public_id,
        "kind": entry.kind,
        "technician": _who(entry.technician),
        "started_at": entry.started_at,
        "ended_at": entry.ended_at,
        "minutes": entry.minutes,
    }


def part_use_out(usage: PartUsage) -> dict:
    return {
        "id": usage.public_id,
        "part_code": usage.part.code,
        "part_name": usage.part.name,
        "quantity": usage.quantity,
        "stock_location": usage.stock_location,
        "occurred_at": usage.occurred_at,
    }


def checklist_out(item: ChecklistItem) -> dict:
    answers = list(item.answers.all())
    latest = answers[-1] if answers else None
    return {
        "id": item.public_id,
        "position": item.position,
        "label": item.label,
        "kind": item.kind,
        "required": item.required,
        "requires_photo": item.requires_photo,
        "unit": item.unit,
        "min_value": item.min_value,
        "max_value": item.max_value,
        "result": latest.result if latest else "",
        "value": latest.value if latest else None,
        "text": latest.text if latest else "",
        "failed": bool(latest and latest.is_failure),
        "photos": len(item.photos.all()),
    }


def attachment_out(attachment: Attachment) -> dict:
    return {
        "id": attachment.public_id,
        "kind": attachment.kind,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": reverse("workorders:attachment", args=[attachment.public_id]),
        "caption": attachment.caption,
        "checklist_item_id": attachment.checklist_item.public_id
        if attachment.checklist_item
        else None,
        "occurred_at": attachment.occurred_at,
    }


def history_out(row: WorkOrderHistory) -> dict:
    return {
        "kind": row.kind,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "actor": _who(row.actor),
        "source": row.source,
        "occurred_at": row.occurred_at,
        "recorded_at": row.recorded_at,
        "details": row.details,
    }


def request_out(request: Request) -> dict:
    asset = request.asset
    return {
        "id": request.public_id,
        "status": request.status,
        "description": request.description,
        "asset": {"id": asset.public_id, "code": asset.code, "name": asset.name} if asset else None,
        "reporter_name": request.reporter_name,
        "rejection_reason": request.rejection_reason,
        "work_order": request.work_order.reference if request.work_order else None,
        "created_at": request.created_at,
    }
