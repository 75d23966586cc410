"""How each kind of offline mutation is applied: parse its data, call the one service for it.

An applier returns what the device is told on success; a domain error becomes a rejection; a
``StaleChange`` becomes a conflict that carries the server's record."""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from django.core.files.uploadedfile import SimpleUploadedFile
from pydantic import BaseModel

from assets.schemas import ReadingIn
from assets.services.readings import reading_record
from fieldops.accounts.models import Membership
from fieldops.errors import DomainError, InvalidTransition, ValidationFailed
from fieldops.inputs import parse_input
from fieldops.time import zone_of
from fieldops.uploads import check_upload
from workorders import services
from workorders.models import ChangeSource, WorkOrder
from workorders.schemas import (
    AttachmentIn,
    EncodedFileIn,
    EntryStopIn,
    ItemAnswerIn,
    NoteIn,
    OfflineTransitionIn,
    PartUseIn,
    SignatureIn,
    TimeEntryIn,
    WorkOrderIn,
)
from workorders.selectors import work_order_get_for_member, work_order_out
from workorders.serializers import (
    attachment_out,
    note_out,
    part_use_out,
    time_entry_out,
)

OFFLINE = ChangeSource.OFFLINE
S = TypeVar("S", bound=BaseModel)


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

    def parse(self, schema: type[S], *, device_times: tuple[str, ...] = ()) -> S:
        """The data read with the use case's schema, as the API and the page read it (a time
        without an offset in the organisation's zone); the ``device_times`` fields, read off
        the phone's clock, moved by how far that clock is off."""
        payload = parse_input(schema, self.data, zone=zone_of(self.membership))
        shifted = {name: self.shift(getattr(payload, name)) for name in device_times}
        return payload.model_copy(update=shifted) if shifted else payload

    def device_time(self, payload: Any) -> datetime | None:
        """The change's own time when its data carries one, else the mutation's."""
        own = getattr(payload, "occurred_at", None)
        return self.shift(own) if own is not None else self.occurred_at

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
        encoded = self.parse(EncodedFileIn)
        try:
            content = base64.b64decode(encoded.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(details={"content_base64": "Not valid base64."}) from None
        file_name = (encoded.name or name)[:200]
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
    payload = m.parse(WorkOrderIn)
    if payload.id is None:
        raise ValidationFailed(details={"id": "This field is required."})
    work_order, _ = services.work_order_create(
        membership=m.membership,
        organization_id=m.membership.organization_id,
        spec=services.WorkOrderSpec(
            **payload.model_dump(exclude={"id", "checklist"}),
            checklist=[services.ChecklistItemSpec(**i.model_dump()) for i in payload.checklist],
        ),
        source=OFFLINE,
        client_id=payload.id,
    )
    return {"work_order": _fresh(m, work_order)}


def transition(m: Mutation) -> dict:
    work_order = m.target()
    payload = m.parse(OfflineTransitionIn)
    if work_order.status == payload.to:
        # Already there (another device, or the office, did the same): nothing to do.
        return {"work_order": _brief(work_order)}
    if work_order.status != payload.from_status:
        raise StaleChange(
            f"{work_order.reference} is now {work_order.get_status_display().lower()}, not "
            f"{payload.from_status.replace('_', ' ')} as on your phone.",
            current=_fresh(m, work_order),
        )
    try:
        moved = services.work_order_transition(
            membership=m.membership,
            work_order=work_order,
            to_status=payload.to,
            expected_version=None,
            source=OFFLINE,
            device_time=m.device_time(payload),
            reason=payload.reason,
            resolution=services.Resolution(
                resolution_notes=payload.resolution_notes,
                failure_code=payload.failure_code,
                cause=payload.cause,
                remedy=payload.remedy,
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
    payload = m.parse(NoteIn)
    note, _ = services.note_add(
        membership=m.membership,
        work_order=m.target(),
        text=payload.text,
        client_id=payload.id,
        device_time=m.device_time(payload),
    )
    return {"note": note_out(note)}


def add_time_entry(m: Mutation) -> dict:
    payload = m.parse(TimeEntryIn, device_times=("started_at", "ended_at"))
    entry, _ = services.time_entry_add(
        membership=m.membership,
        work_order=m.target(),
        kind=payload.kind,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        minutes=payload.minutes,
        client_id=payload.id,
    )
    return {"time_entry": time_entry_out(entry)}


def stop_time_entry(m: Mutation) -> dict:
    payload = m.parse(EntryStopIn)
    entry = services.time_entry_stop(
        membership=m.membership,
        entry=services.time_entry_for_stop(m.target(), payload.entry_id),
        device_time=m.device_time(payload),
    )
    return {"time_entry": time_entry_out(entry)}


def use_part(m: Mutation) -> dict:
    payload = m.parse(PartUseIn)
    usage, _ = services.part_use(
        membership=m.membership,
        work_order=m.target(),
        part_id=payload.part_id,
        part_code=payload.part_code,
        quantity=payload.quantity,
        stock_location=payload.stock_location,
        client_id=payload.id,
        device_time=m.device_time(payload),
    )
    return {"part": part_use_out(usage)}


def answer_checklist(m: Mutation) -> dict:
    payload = m.parse(ItemAnswerIn)
    answer, _ = services.checklist_answer(
        membership=m.membership,
        work_order=m.target(),
        item_id=payload.item_id,
        result=payload.result,
        value=payload.value,
        text=payload.text,
        client_id=payload.id,
        device_time=m.device_time(payload),
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
    payload = m.parse(AttachmentIn)
    attachment, _ = services.attachment_add(
        membership=m.membership,
        work_order=m.target(),
        upload=m.upload("photo.jpg", images_only=False),
        caption=payload.caption,
        checklist_item_id=payload.checklist_item_id,
        client_id=payload.id,
        device_time=m.device_time(payload),
    )
    return {"attachment": attachment_out(attachment)}


def add_signature(m: Mutation) -> dict:
    payload = m.parse(SignatureIn)
    signature, _ = services.signature_add(
        membership=m.membership,
        work_order=m.target(),
        signer_name=payload.signer_name,
        reviewed_sha256=payload.reviewed_sha256,
        image=m.upload("signature.png", images_only=True),
        client_id=payload.id,
        device_time=m.device_time(payload),
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
    # The phone names the meter "meter_id", and may leave the time to the mutation's own.
    data = {"meter": m.data.get("meter_id"), **m.data}
    own_time = data.get("taken_at") not in (None, "")
    if not own_time:
        data["taken_at"] = m.occurred_at
    payload = replace(m, data=data).parse(ReadingIn, device_times=("taken_at",) if own_time else ())
    reading, _ = reading_record(
        membership=m.membership,
        organization_id=m.membership.organization_id,
        meter_id=payload.meter,
        value=payload.value,
        taken_at=payload.taken_at,
        unit=payload.unit,
        is_replacement=payload.is_replacement,
        note=payload.note,
        reading_id=payload.id,
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
