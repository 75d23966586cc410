"""Applying a device's queued changes exactly once, in order, each with its own answer."""

import json
import logging
from contextlib import nullcontext
from datetime import datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.durability import commits_flushed_together
from fieldops.errors import DomainError, ValidationFailed, error_body
from fieldops.events import events_batched
from fieldops.time import UNREADABLE, parse_moment, zone_of
from workorders.dispatch.services import device_state_record
from workorders.offline.appliers import APPLIERS, Mutation, StaleChange, Targets
from workorders.offline.models import SyncMutation
from workorders.offline.selectors import work_orders_by_id
from workorders.selectors import work_order_get_for_member, work_order_out
from workorders.services.children import (
    insert_deferred,
    records_batched,
    records_deferred,
    unused_client_ids,
)
from workorders.services.locking import WorkOrderLocked

logger = logging.getLogger("fieldops.sync")
MAX_BATCH = 1000
# Below this, a device clock is taken as right; above it, device times are shifted by the offset.
CLOCK_TOLERANCE = timedelta(minutes=1)


def clock_shift(device_now: datetime | None) -> timedelta:
    """How far the device clock is behind (positive) or ahead (negative) of ours."""
    if device_now is None:
        return timedelta(0)
    offset = timezone.now() - device_now
    return offset if abs(offset) > CLOCK_TOLERANCE else timedelta(0)


def sync_push(
    *,
    membership: Membership,
    device_id: str,
    device_now: datetime | None,
    mutations: list[Any],
    pending: int = 0,
) -> list[dict[str, Any]]:
    """Apply ``mutations`` in the order given. Each answers ``applied``, ``duplicate`` (with the
    first answer), ``conflict`` (with the server's record) or ``rejected`` (with the error)."""
    if not isinstance(mutations, list):
        raise ValidationFailed(details={"mutations": "Must be a list."})
    if len(mutations) > MAX_BATCH:
        raise ValidationFailed(details={"mutations": f"At most {MAX_BATCH} in one push."})
    shift = clock_shift(device_now)
    known = {
        row.mutation_id: row for row in SyncMutation.objects.filter(mutation_id__in=_ids(mutations))
    }
    targets = Targets(preloaded=work_orders_by_id(membership, _refs(mutations)))
    device_id = device_id[:64]
    results: list[dict[str, Any]] = []
    run: list[Any] = []
    # Client ids of new append-only records, checked for the whole push in one query.
    new_ids = unused_client_ids(
        {cid for raw in mutations if _appendable(raw, known) and (cid := _client_id(raw))}
    )
    # Each change commits on its own, without waiting for the disk: one flush at the end makes
    # them all durable before any answer leaves. The events of those that committed are then
    # delivered together (one broadcast for all, the webhooks' and ERP's share in one task).
    with events_batched(), commits_flushed_together():
        with records_batched():
            for raw in mutations:
                if _appendable(raw, known):
                    run.append(raw)
                    continue
                results += _apply_appendable(
                    membership, device_id, run, shift, known, targets, new_ids
                )
                run = []
                results.append(_apply(membership, device_id, raw, shift, known, targets))
            results += _apply_appendable(membership, device_id, run, shift, known, targets, new_ids)
        if device_id.strip():
            # What the dispatcher sees on the board: when this phone last synced, what waits.
            done = sum(1 for r in results if r["status"] in ("applied", "duplicate"))
            device_state_record(
                membership=membership,
                device_id=device_id[:64],
                pending=max(0, pending - done),
                synced_at=timezone.now(),
            )
    return results


# Append-only records: validated one by one, written together (nothing else reads them back
# within a push). Anything else is applied alone, after the records queued before it are written.
APPENDABLE = frozenset({"note.add", "time_entry.add", "part.use", "checklist.answer"})


def _appendable(raw: Any, known: dict[UUID, SyncMutation]) -> bool:
    if not isinstance(raw, dict) or raw.get("kind") not in APPENDABLE:
        return False
    mutation_id = _mutation_id(raw)
    return mutation_id is not None and mutation_id not in known


def _apply_appendable(
    membership: Membership,
    device_id: str,
    run: list[Any],
    shift: timedelta,
    known: dict[UUID, SyncMutation],
    targets: dict[str, Any],
    new_ids: frozenset[UUID],
) -> list[dict[str, Any]]:
    if not run:
        return []
    answers: list[dict[str, Any]] = []
    rows: list[SyncMutation] = []
    try:
        with transaction.atomic():
            with records_deferred(new_ids) as records:
                for raw in run:
                    mutation_id = _mutation_id(raw)
                    answer = _run(membership, raw, shift, mutation_id, targets, savepoint=False)
                    answers.append(answer)
                    rows.append(_record(membership, device_id, raw, mutation_id, answer))
            insert_deferred(records)
            SyncMutation.objects.bulk_create(rows)
    except IntegrityError:
        # An id seen twice, or another push of the same changes at this moment: go one by one,
        # where each case gets its exact answer.
        targets.clear()
        return [_apply(membership, device_id, raw, shift, known, targets) for raw in run]
    known.update((row.mutation_id, row) for row in rows)
    return answers


def _client_id(raw: Any) -> UUID | None:
    try:
        return UUID(str(raw["data"]["id"]))
    except (KeyError, TypeError, ValueError):
        return None


def _record(
    membership: Membership, device_id: str, raw: Any, mutation_id: UUID, answer: dict
) -> SyncMutation:
    return SyncMutation(
        organization_id=membership.organization_id,
        mutation_id=mutation_id,
        membership=membership,
        device_id=device_id,
        kind=str(raw.get("kind", ""))[:40],
        outcome=answer["status"],
        occurred_at=_parsed_time(raw, zone_of(membership)),
        answer=answer,
    )


def _refs(mutations: list[Any]) -> set[str]:
    return {
        raw["work_order"]
        for raw in mutations
        if isinstance(raw, dict) and isinstance(raw.get("work_order"), str)
    }


def _ids(mutations: list[Any]) -> list[UUID]:
    return [mid for mid in (_mutation_id(raw) for raw in mutations) if mid is not None]


def _reject(mutation_id: str | None, exc: DomainError) -> dict[str, Any]:
    return {
        "id": mutation_id,
        "status": "rejected",
        **error_body(exc.code, exc.message, exc.details),
    }


def _parse(membership: Membership, raw: Any, shift: timedelta, targets: dict[str, Any]) -> Mutation:
    if not isinstance(raw, dict):
        raise ValidationFailed("Each mutation must be an object.")
    kind = raw.get("kind")
    if kind not in APPLIERS:
        raise ValidationFailed(details={"kind": f"Unknown kind; one of {', '.join(APPLIERS)}."})
    data = raw.get("data", {})
    if not isinstance(data, dict):
        raise ValidationFailed(details={"data": "Must be an object."})
    occurred_raw = raw.get("occurred_at")
    if occurred_raw is not None and not isinstance(occurred_raw, str):
        raise ValidationFailed(details={"occurred_at": UNREADABLE})
    occurred = parse_moment(occurred_raw, zone=zone_of(membership), field="occurred_at")
    target = raw.get("work_order")
    if target is not None and not isinstance(target, str):
        raise ValidationFailed(details={"work_order": "Must be an id or a number."})

    def shifted(value: datetime | None) -> datetime | None:
        return value + shift if value is not None else None

    return Mutation(
        id=UUID(str(raw["id"])),
        kind=kind,
        data=data,
        work_order=target,
        occurred_at=shifted(occurred),
        membership=membership,
        shift=shifted,
        targets=targets,
    )


def _mutation_id(raw: Any) -> UUID | None:
    try:
        return UUID(str(raw.get("id"))) if isinstance(raw, dict) else None
    except ValueError:
        return None


def _apply(
    membership: Membership,
    device_id: str,
    raw: Any,
    shift: timedelta,
    known: dict[UUID, SyncMutation],
    targets: dict[str, Any],
) -> dict:
    mutation_id = _mutation_id(raw)
    if mutation_id is None:
        return _reject(None, ValidationFailed(details={"id": "Each mutation needs a UUID id."}))
    if mutation_id in known:
        return _answer_for(membership, known[mutation_id])
    try:
        with transaction.atomic():
            answer = _run(membership, raw, shift, mutation_id, targets)
            # Recorded in the same transaction as the change: both happen, or neither. A
            # second push of the same id waits on this row's unique key, then is told
            # "duplicate".
            row = _record(membership, device_id, raw, mutation_id, answer)
            row.save()
        known[mutation_id] = row
    except IntegrityError:
        targets.clear()
        row = SyncMutation.objects.filter(mutation_id=mutation_id).first()
        if row is None:
            raise
        return _answer_for(membership, row)
    return answer


# Kinds whose one service call is atomic by itself and that write nothing around it.
SELF_CONTAINED = frozenset({"workorder.transition"})


def _run(
    membership: Membership,
    raw: Any,
    shift: timedelta,
    mutation_id: UUID,
    targets: dict[str, Any],
    *,
    savepoint: bool = True,
) -> dict:
    key = str(mutation_id)
    try:
        mutation = _parse(membership, raw, shift, targets)
        # A refused change leaves nothing behind (deferred records write nothing to undo; a
        # transition's service rolls back its own savepoint).
        own = savepoint and mutation.kind not in SELF_CONTAINED
        with transaction.atomic() if own else nullcontext():
            result = APPLIERS[mutation.kind](mutation)
    except StaleChange as exc:
        targets.clear()
        return {
            "id": key,
            "status": "conflict",
            "reason": exc.message,
            "current": _plain(exc.current),
        }
    except WorkOrderLocked as exc:
        # Done work changed on a phone that did not know yet: the phone shows it as a conflict
        # with the job as it is now, and keeps what was typed until the technician decides.
        targets.clear()
        current = work_order_get_for_member(membership, exc.work_order.public_id)
        return {
            "id": key,
            "status": "conflict",
            "code": exc.code,
            "reason": exc.message,
            "current": _plain(work_order_out(current)),
        }
    except DomainError as exc:
        targets.clear()
        return _reject(key, exc)
    return {"id": key, "status": "applied", "result": _plain(result)}


def _plain(value: Any) -> Any:
    """JSON-ready (times as ISO text, ids as strings), so a replay answers byte for byte."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _answer_for(membership: Membership, row: SyncMutation) -> dict:
    if row.membership_id != membership.pk:
        return _reject(
            str(row.mutation_id),
            ValidationFailed(details={"id": "This mutation id was already used by someone else."}),
        )
    return {"id": str(row.mutation_id), "status": "duplicate", "original": row.answer}


def _parsed_time(raw: Any, zone: tzinfo) -> datetime | None:
    value = raw.get("occurred_at") if isinstance(raw, dict) else None
    try:
        return (
            parse_moment(value, zone=zone, field="occurred_at") if isinstance(value, str) else None
        )
    except ValidationFailed:
        return None
