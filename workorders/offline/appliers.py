"""How each kind of offline mutation is applied: parse its data, call the one service for it.

An applier returns what the device is told on success; a domain error becomes a rejection; a
``StaleChange`` becomes a conflict that carries the server's record."""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.dateparse import parse_datetime

from assets.services.readings import reading_record
from fieldops.accounts.models import Membership
from fieldops.errors import DomainError, InvalidTransition, ValidationFailed
from fieldops.uploads import check_upload
from workorders import services
from workorders.models import ChangeSource, WorkOrder
from workorders.selectors import work_order_get_for_member, work_order_out
from workorders.serializers import (
    attachment_out,
    note_out,
    part_use_out,
    time_entry_out,
)

OFFLINE = ChangeSource.OFFLINE


class StaleChange(DomainError):
    """The device changed something that moved on meanwhile."""

    code = "CONFLICT"
    status = 409

    def __init__(self, message: str, *, current: dict[str, Any]):
        super().__init__(message, details={})
        self.current = current


class Targets(dict[str, WorkOrder]):
    """Work orders looked up in this push, by the reference the device sent. ``clear()`` (after
    anything that may have moved one) forgets them; ``preloaded`` holds the push's work orders
    read together at its start, each handed out once (after that, a look-up reads afresh)."""

    def __init__(self, preloaded: dict[str, WorkOrder] | None = None):
        super().__init__()
        self.preloaded = dict(preloaded or {})


@dataclass
class Mutation:
    id: UUID
    kind: str
    data: dict[str, Any]
    work_order: str | None
    occurred_at: datetime | None
    membership: Membership
    shift: Callable[[datetime | None], datetime | None]
    # Work orders already looked up in this push (cleared whenever one may have changed).
    targets: dict[str, WorkOrder] = field(default_factory=dict)

    def field(self, name: str, *, required: bool = False, kind: type = str) -> Any:
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                raise ValidationFailed(details={name: "This field is required."})
            return None
        if kind is UUID:
            try:
                return UUID(str(value))
            except ValueError:
                raise ValidationFailed(details={name: "Must be an id."}) from None
        if kind is datetime:
            parsed = parse_datetime(str(value))
            if parsed is None:
                raise ValidationFailed(details={name: "Must be an ISO-8601 time."})
            return self.shift(parsed)
        if kind is float:
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValidationFailed(details={name: "Must be a number."}) from None
        if kind is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValidationFailed(details={name: "Must be a whole number."})
            return value
        if not isinstance(value, kind):
            raise ValidationFailed(details={name: f"Must be a {kind.__name__}."})
        return value

    def target(self) -> WorkOrder:
        if not self.work_order:
            raise ValidationFailed(details={"work_order": "This field is required."})
        if self.work_order not in self.targets:
            preloaded = getattr(self.targets, "preloaded", {}).pop(self.work_order, None)
            self.targets[self.work_order] = preloaded or work_order_get_for_member(
                self.membership, self.work_order
            )
        return self.targets[self.work_order]

    def upload(self, name: str, *, images_only: bool) -> Any:
        raw = self.field("content_base64", required=True)
        try:
            content = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(details={"content_base64": "Not valid base64."}) from None
        file_name = str(self.data.get("name") or name)[:200]
        return check_upload(
            SimpleUploadedFile(file_name, content), field="content_base64", images_only=images_only
        )


def _fresh(mutation: Mutation, work_order: WorkOrder) -> dict:
    return work_order_out(work_order_get_for_member(mutation.membership, work_order.public_id))


def _brief(work_order: WorkOrder) -> dict:
    """What the phone needs back from an applied status change (the next pull has the rest)."""
    return {
        "id": str(work_order.public_id),
        "number": work_order.reference,
        "status": work_order.status,
        "version": work_order.version,
    }


def create_work_order(m: Mutation) -> dict:
    spec = services.WorkOrderSpec(
        title=m.field("title", required=True),
        description=m.field("description") or "",
        priority=m.field("priority") or "p3",
        work_type=m.field("work_type") or "corrective",
        asset_id=m.field("asset_id", kind=UUID),
    )
    work_order, _ = services.work_order_create(
        membership=m.membership,
        organization_id=m.membership.organization_id,
        spec=spec,
        source=OFFLINE,
        client_id=m.field("id", required=True, kind=UUID),
    )
    return {"work_order": _fresh(m, work_order)}


def transition(m: Mutation) -> dict:
    work_order = m.target()
    seen = m.field("from_status", required=True)
    target = m.field("to", required=True)
    if work_order.status == target:
        # Already there (another device, or the office, did the same): nothing to do.
        return {"work_order": _brief(work_order)}
    if work_order.status != seen:
        raise StaleChange(
            f"{work_order.reference} is now {work_order.get_status_display().lower()}, not "
            f"{seen.replace('_', ' ')} as on your phone.",
            current=_fresh(m, work_order),
        )
    try:
        moved = services.work_order_transition(
            membership=m.membership,
            work_order=work_order,
            to_status=target,
            expected_version=None,
            source=OFFLINE,
            device_time=m.occurred_at,
            reason=m.field("reason") or "",
            resolution=services.Resolution(
                resolution_notes=m.field("resolution_notes") or "",
                failure_code=m.field("failure_code") or "",
                cause=m.field("cause") or "",
                remedy=m.field("remedy") or "",
            ),
        )
    except InvalidTransition as exc:
        raise StaleChange(exc.message, current=_fresh(m, work_order)) from None
    # What follows in the push sees the row as it is now: read under the transition's lock,
    # with its assignments (any other key for the same work order would be stale: dropped).
    m.targets.clear()
    m.targets[m.work_order] = moved
    return {"work_order": _brief(moved)}


def add_note(m: Mutation) -> dict:
    note, _ = services.note_add(
        membership=m.membership,
        work_order=m.target(),
        text=m.field("text", required=True),
        client_id=m.field("id", kind=UUID),
        device_time=m.occurred_at,
    )
    return {"note": note_out(note)}


def add_time_entry(m: Mutation) -> dict:
    entry, _ = services.time_entry_add(
        membership=m.membership,
        work_order=m.target(),
        kind=m.field("kind", required=True),
        started_at=m.field("started_at", required=True, kind=datetime),
        ended_at=m.field("ended_at", kind=datetime),
        minutes=m.field("minutes", kind=int),
        client_id=m.field("id", kind=UUID),
    )
    return {"time_entry": time_entry_out(entry)}


def stop_time_entry(m: Mutation) -> dict:
    work_order = m.target()
    entry = work_order.time_entries.filter(
        public_id=m.field("entry_id", required=True, kind=UUID)
    ).first()
    if entry is None:
        raise ValidationFailed(details={"entry_id": "No such running timer."})
    entry = services.time_entry_stop(
        membership=m.membership, entry=entry, device_time=m.occurred_at
    )
    return {"time_entry": time_entry_out(entry)}


def use_part(m: Mutation) -> dict:
    usage, _ = services.part_use(
        membership=m.membership,
        work_order=m.target(),
        part_id=m.field("part_id", kind=UUID),
        part_code=m.field("part_code") or "",
        quantity=m.data.get("quantity"),
        stock_location=m.field("stock_location") or "",
        client_id=m.field("id", kind=UUID),
        device_time=m.occurred_at,
    )
    return {"part": part_use_out(usage)}


def answer_checklist(m: Mutation) -> dict:
    work_order = m.target()
    answer, _ = services.checklist_answer(
        membership=m.membership,
        work_order=work_order,
        item_id=m.field("item_id", required=True, kind=UUID),
        result=m.field("result") or "",
        value=m.field("value", kind=float),
        text=m.field("text") or "",
        client_id=m.field("id", kind=UUID),
        device_time=m.occurred_at,
    )
    return {
        "answer": {
            "id": str(answer.public_id),
            "item_id": str(answer.item.public_id),
            "result": answer.result,
            "value": answer.value,
            "text": answer.text,
            "failed": answer.is_failure,
        }
    }


def add_attachment(m: Mutation) -> dict:
    attachment, _ = services.attachment_add(
        membership=m.membership,
        work_order=m.target(),
        upload=m.upload("photo.jpg", images_only=False),
        caption=m.field("caption") or "",
        checklist_item_id=m.field("checklist_item_id", kind=UUID),
        client_id=m.field("id", kind=UUID),
        device_time=m.occurred_at,
    )
    return {"attachment": attachment_out(attachment)}


def add_signature(m: Mutation) -> dict:
    signature, _ = services.signature_add(
        membership=m.membership,
        work_order=m.target(),
        signer_name=m.field("signer_name", required=True),
        image=m.upload("signature.png", images_only=True),
        client_id=m.field("id", kind=UUID),
        device_time=m.occurred_at,
        source=OFFLINE,
    )
    return {
        "signature": {
            "id": str(signature.public_id),
            "signer_name": signature.signer_name,
            "report_sha256": signature.report_sha256,
        }
    }


def record_reading(m: Mutation) -> dict:
    reading, _ = reading_record(
        membership=m.membership,
        organization_id=m.membership.organization_id,
        meter_id=m.field("meter_id", required=True, kind=UUID),
        value=m.data.get("value"),
        taken_at=m.field("taken_at", kind=datetime) or m.occurred_at,
        unit=m.field("unit"),
        is_replacement=bool(m.data.get("is_replacement")),
        note=m.field("note") or "",
        reading_id=m.field("id", kind=UUID),
    )
    return {
        "reading": {
            "id": str(reading.public_id),
            "value": reading.value,
            "taken_at": reading.taken_at.isoformat(),
        }
    }


APPLIERS: dict[str, Callable[[Mutation], dict]] = {
    "workorder.create": create_work_order,
    "workorder.transition": transition,
    "note.add": add_note,
    "time_entry.add": add_time_entry,
    "time_entry.stop": stop_time_entry,
    "part.use": use_part,
    "checklist.answer": answer_checklist,
    "attachment.add": add_attachment,
    "signature.add": add_signature,
    "reading.record": record_reading,
}
