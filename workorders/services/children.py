"""Append-only records on a work order: notes, time, parts, checklist answers, files, signatures.

Each accepts a client-generated id: the same id again returns the first record (created=False),
so an offline queue replayed twice stores everything once.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.errors import NotFound, ValidationFailed
from fieldops.uploads import CheckedUpload
from workorders.models import (
    Attachment,
    AttachmentKind,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistItemKind,
    ChecklistResult,
    Note,
    Part,
    PartUsage,
    TimeEntry,
    TimeKind,
    WorkOrder,
)
from workorders.services._common import (
    batch_memo,
    batch_memos,
    clean_text,
    is_assignee,
    occurred_at,
    publish_work_order_event,
    require_worker,
)
from workorders.services.locking import lock_for_records, require_unlocked

M = TypeVar("M", bound=Model)
MAX_TIME_ENTRY = timedelta(hours=24)
MAX_TIME_ENTRY_MINUTES = MAX_TIME_ENTRY.total_seconds() // 60


def _replayed(model: type[M], client_id: UUID | None, work_order: WorkOrder) -> M | None:
    if client_id is None or client_id in _new_ids.get():
        return None
    existing = model.objects.filter(public_id=client_id).first()
    if existing is None:
        return None
    if existing.organization_id != work_order.organization_id or (
        getattr(existing, "work_order_id", work_order.pk) != work_order.pk
    ):
        raise ValidationFailed(details={"id": "This id is already used by another record."})
    return existing


def _locked_afresh(work_order: WorkOrder) -> None:
    """In the inserting transaction: the row locked and checked as it is now."""
    require_unlocked(WorkOrder.objects.select_for_update().get(pk=work_order.pk))


# Inside records_deferred(), new rows are collected and inserted together by its caller, and
# client ids it already checked are known to be new (no look-up per record).
class DeferredRecords(list[Model]):
    """Rows to insert, and the work orders they go on (locked and checked again at insert)."""

    def __init__(self) -> None:
        super().__init__()
        self.work_order_ids: set[int] = set()


_deferred_rows: ContextVar[DeferredRecords | None] = ContextVar("deferred_rows", default=None)
_new_ids: ContextVar[frozenset[UUID]] = ContextVar("new_ids", default=frozenset())


def _create(model: type[M], client_id: UUID | None, on: WorkOrder, **fields: Any) -> tuple[M, bool]:
    row = model(**fields)
    if client_id is not None:
        row.public_id = client_id
    deferred = _deferred_rows.get()
    if deferred is not None:
        deferred.append(row)
        deferred.work_order_ids.add(on.pk)
        return row, True
    try:
        with transaction.atomic():
            _locked_afresh(on)
            row.save()
    except IntegrityError:
        # The same client id arriving twice at once: the other request stored it.
        existing = model.objects.filter(public_id=client_id).first() if client_id else None
        if existing is None:
            raise
        return existing, False
    return row, True


# Inside records_batched(), touches are collected and made once per work order at the end.
_batched_touches: ContextVar[dict[int, tuple[WorkOrder, set[str]]] | None] = ContextVar(
    "batched_touches", default=None
)


def _touch(work_order: WorkOrder, what: str) -> None:
    # Children do not bump the version (they never conflict), but screens showing it refresh.
    pending = _batched_touches.get()
    if pending is not None:
        pending.setdefault(work_order.pk, (work_order, set()))[1].add(what)
        return
    WorkOrder.objects.filter(pk=work_order.pk).update(updated_at=timezone.now())
    publish_work_order_event("workorder.updated", work_order, records=[what])


@contextmanager
def records_deferred(new_ids: frozenset[UUID] = frozenset()) -> Iterator[DeferredRecords]:
    """Validate append-only records without writing them: the caller bulk-inserts the list it
    is given (and takes care of a duplicate id, which then fails the whole insert).
    ``new_ids``: client ids the caller found unused, so they need no look-up here."""
    rows = DeferredRecords()
    token, ids_token = _deferred_rows.set(rows), _new_ids.set(new_ids)
    try:
        yield rows
    finally:
        _deferred_rows.reset(token)
        _new_ids.reset(ids_token)


APPENDABLE_MODELS = (Note, TimeEntry, PartUsage, ChecklistAnswer)


def unused_client_ids(candidates: set[UUID]) -> frozenset[UUID]:
    """Of ``candidates``, those no append-only record has taken yet (one query)."""
    if not candidates:
        return frozenset()
    taken = [
        model.objects.filter(public_id__in=candidates).order_by().values_list("public_id")
        for model in APPENDABLE_MODELS
    ]
    return frozenset(candidates - {row[0] for row in taken[0].union(*taken[1:], all=True)})


def insert_deferred(rows: DeferredRecords) -> None:
    lock_for_records(rows.work_order_ids)
    by_model: dict[type[Model], list[Model]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, group in by_model.items():
        model.objects.bulk_create(group)


@contextmanager
def records_batched() -> Iterator[None]:
    """Many records at once (an offline queue): one "updated" per work order, not per record,
    and the parts and settings they use read once (batch_memos)."""
    pending: dict[int, tuple[WorkOrder, set[str]]] = {}
    token = _batched_touches.set(pending)
    try:
        with batch_memos():
            yield
    finally:
        _batched_touches.reset(token)
    if pending:
        WorkOrder.objects.filter(pk__in=pending).update(updated_at=timezone.now())
        for work_order, records in pending.values():
            publish_work_order_event("workorder.updated", work_order, records=sorted(records))


def note_add(
    *,
    membership: Membership,
    work_order: WorkOrder,
    text: str,
    client_id: UUID | None = None,
    device_time: datetime | None = None,
) -> tuple[Note, bool]:
    existing = _replayed(Note, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    require_unlocked(work_order)
    text = clean_text(text, field="text", max_length=20000, required=True)
    note, created = _create(
        Note,
        client_id,
        work_order,
        organization_id=work_order.organization_id,
        work_order=work_order,
        author=membership,
        occurred_at=occurred_at(device_time),
        text=text,
    )
    if created:
        _touch(work_order, "note")
    return note, created


def time_entry_add(
    *,
    membership: Membership,
    work_order: WorkOrder,
    kind: str,
    started_at: datetime | None,
    ended_at: datetime | None = None,
    minutes: int | None = None,
    client_id: UUID | None = None,
    technician: Membership | None = None,
) -> tuple[TimeEntry, bool]:
    """A span of labour. Give an end, or minutes, or neither (a running clock to stop later).
    Without a start, a clock starts now and logged minutes end now."""
    existing = _replayed(TimeEntry, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    require_unlocked(work_order)
    errors: dict[str, str] = {}
    if kind not in TimeKind.values:
        errors["kind"] = f"One of: {', '.join(TimeKind.values)}."
    if started_at is None and minutes is not None and 0 < minutes <= MAX_TIME_ENTRY_MINUTES:
        started_at = timezone.now() - timedelta(minutes=minutes)
    started_at = occurred_at(started_at, field="started_at")
    if ended_at is not None and minutes is not None:
        errors["minutes"] = "Give an end time or minutes, not both."
    if minutes is not None:
        if not 0 < minutes <= MAX_TIME_ENTRY_MINUTES:
            errors["minutes"] = "Between 1 minute and 24 hours."
        else:
            ended_at = started_at + timedelta(minutes=minutes)
    if ended_at is not None and not errors:
        ended_at = occurred_at(ended_at, field="ended_at") if minutes is None else ended_at
        if ended_at < started_at:
            errors["ended_at"] = "Must not be before the start."
        elif ended_at - started_at > MAX_TIME_ENTRY:
            errors["ended_at"] = "A time entry covers at most 24 hours."
    if errors:
        raise ValidationFailed(details=errors)
    worker = technician or membership
    entry, created = _create(
        TimeEntry,
        client_id,
        work_order,
        organization_id=work_order.organization_id,
        work_order=work_order,
        author=membership,
        technician=worker,
        kind=kind,
        occurred_at=started_at,
        started_at=started_at,
        ended_at=ended_at,
        minutes=_minutes(started_at, ended_at),
    )
    if created:
        _touch(work_order, "time_entry")
    return entry, created


def time_entry_for_stop(work_order: WorkOrder, entry_id: UUID) -> TimeEntry:
    """The clock ``entry_id`` of this work order, for every door that stops one."""
    entry = work_order.time_entries.filter(public_id=entry_id).first()
    if entry is None:
        raise NotFound("No such timer on this work order.", details={"entry_id": "No such timer."})
    return entry


def time_entry_stop(
    *, membership: Membership, entry: TimeEntry, device_time: datetime | None = None
) -> TimeEntry:
    """Stop a running clock. Stopping one already stopped changes nothing (a replay)."""
    require_worker(entry.work_order, membership)
    require_unlocked(entry.work_order)
    with transaction.atomic():
        _locked_afresh(entry.work_order)
        entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.ended_at is not None:
            return entry
        ended_at = occurred_at(device_time, field="ended_at")
        if ended_at < entry.started_at:
            raise ValidationFailed(details={"ended_at": "Must not be before the start."})
        entry.ended_at = min(ended_at, entry.started_at + MAX_TIME_ENTRY)
        entry.minutes = _minutes(entry.started_at, entry.ended_at)
        entry.save(update_fields=["ended_at", "minutes", "updated_at"])
    _touch(entry.work_order, "time_entry")
    return entry


CLOCK_STARTS = frozenset({"start", "resume"})
CLOCK_STOPS_ALL = frozenset({"complete", "cancel"})


def time_clock_follow(
    *, work_order: WorkOrder, membership: Membership, action: str, at: datetime
) -> None:
    """The labour clock follows the job (called by the transition, inside its transaction).

    Starting or resuming work stops the assignee's other clock on this job (travel, waiting)
    and runs their work clock; pausing stops their clock; completing or cancelling stops every
    clock still running on the job, since nothing may change on it afterwards."""
    running = TimeEntry.objects.select_for_update().filter(
        work_order=work_order, ended_at__isnull=True
    )
    if action not in CLOCK_STOPS_ALL:
        running = running.filter(technician=membership)
    starts = action in CLOCK_STARTS and is_assignee(work_order, membership)
    working = False
    for entry in running:
        if starts and entry.kind == TimeKind.WORK:
            working = True
            continue
        entry.ended_at = max(entry.started_at, min(at, entry.started_at + MAX_TIME_ENTRY))
        entry.minutes = _minutes(entry.started_at, entry.ended_at)
        entry.save(update_fields=["ended_at", "minutes", "updated_at"])
    if starts and not working:
        TimeEntry.objects.create(
            organization_id=work_order.organization_id,
            work_order=work_order,
            author=membership,
            technician=membership,
            kind=TimeKind.WORK,
            occurred_at=at,
            started_at=at,
        )


def _minutes(started_at: datetime, ended_at: datetime | None) -> int | None:
    if ended_at is None:
        return None
    return max(0, round((ended_at - started_at).total_seconds() / 60))


def part_use(
    *,
    membership: Membership,
    work_order: WorkOrder,
    part_id: UUID | None = None,
    part_code: str = "",
    quantity: Any,
    stock_location: str = "",
    client_id: UUID | None = None,
    device_time: datetime | None = None,
) -> tuple[PartUsage, bool]:
    existing = _replayed(PartUsage, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    require_unlocked(work_order)
    part = _active_part(work_order.organization_id, part_id, part_code)
    errors: dict[str, str] = {}
    if part is None:
        errors["part_id"] = "No such part in your organisation."
    try:
        amount = Decimal(str(quantity))
        if not amount.is_finite() or amount <= 0 or amount > Decimal("100000"):
            raise InvalidOperation
        if amount.as_tuple().exponent < -3:
            errors["quantity"] = "At most three decimals."
    except (InvalidOperation, ValueError):
        errors["quantity"] = "A positive number."
    if errors:
        raise ValidationFailed(details=errors)
    usage, created = _create(
        PartUsage,
        client_id,
        work_order,
        organization_id=work_order.organization_id,
        work_order=work_order,
        author=membership,
        occurred_at=occurred_at(device_time),
        part=part,
        quantity=amount,
        stock_location=clean_text(stock_location, field="stock_location", max_length=100),
    )
    if created:
        _touch(work_order, "part")
    return usage, created


def _active_part(organization_id: int, part_id: UUID | None, part_code: str) -> Part | None:
    def load() -> Part | None:
        parts = Part.objects.filter(organization_id=organization_id, is_active=True)
        found = parts.filter(public_id=part_id) if part_id else parts.filter(code=part_code)
        return found.first()

    return batch_memo(("part", organization_id, part_id, "" if part_id else part_code), load)


def checklist_item_get(work_order: WorkOrder, item_id: UUID) -> ChecklistItem:
    # Checklists are short: load them once per work order object, then look up in memory.
    items = getattr(work_order, "_checklist_by_id", None)
    if items is None:
        items = {item.public_id: item for item in work_order.checklist.all()}
        work_order._checklist_by_id = items
    item = items.get(item_id)
    if item is None:
        raise NotFound()
    return item


def checklist_answer(
    *,
    membership: Membership,
    work_order: WorkOrder,
    item_id: UUID,
    result: str = "",
    value: float | None = None,
    text: str = "",
    client_id: UUID | None = None,
    device_time: datetime | None = None,
) -> tuple[ChecklistAnswer, bool]:
    existing = _replayed(ChecklistAnswer, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    require_unlocked(work_order)
    item = checklist_item_get(work_order, item_id)
    result = (result or "").strip()
    errors: dict[str, str] = {}
    if result and result not in ChecklistResult.values:
        errors["result"] = f"One of: {', '.join(ChecklistResult.values)}."
    if item.kind == ChecklistItemKind.PASS_FAIL and not result:
        errors["result"] = "Pass, fail or n/a."
    if item.kind == ChecklistItemKind.VALUE and value is None and result != ChecklistResult.NA:
        errors["value"] = "Enter the measured value."
    if value is not None and (value != value or value in (float("inf"), float("-inf"))):
        errors["value"] = "A number."
    text = clean_text(text, field="text", max_length=5000)
    if item.kind == ChecklistItemKind.TEXT and not text and result != ChecklistResult.NA:
        errors["text"] = "Enter an answer."
    if errors:
        raise ValidationFailed(details=errors)
    answer, created = _create(
        ChecklistAnswer,
        client_id,
        work_order,
        organization_id=work_order.organization_id,
        item=item,
        author=membership,
        occurred_at=occurred_at(device_time),
        result=result,
        value=value,
        text=text,
    )
    if created:
        _touch(work_order, "checklist")
    return answer, created


def attachment_add(
    *,
    membership: Membership,
    work_order: WorkOrder,
    upload: CheckedUpload,
    caption: str = "",
    checklist_item_id: UUID | None = None,
    client_id: UUID | None = None,
    device_time: datetime | None = None,
) -> tuple[Attachment, bool]:
    existing = _replayed(Attachment, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    require_unlocked(work_order)
    item = checklist_item_get(work_order, checklist_item_id) if checklist_item_id else None
    attachment = Attachment(
        organization_id=work_order.organization_id,
        work_order=work_order,
        checklist_item=item,
        author=membership,
        occurred_at=occurred_at(device_time),
        kind=AttachmentKind.PHOTO if upload.is_image else AttachmentKind.FILE,
        original_name=upload.name,
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=upload.sha256,
        caption=clean_text(caption, field="caption", max_length=300),
    )
    if client_id is not None:
        attachment.public_id = client_id
    attachment.file.save(upload.name, ContentFile(upload.content), save=False)
    with transaction.atomic():
        _locked_afresh(work_order)
        attachment.save()
    _touch(work_order, "attachment")
    return attachment, True
