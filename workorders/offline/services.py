"""Applying a device's queued changes exactly once, in order, each with its own answer."""

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fieldops.accounts.models import Membership
from fieldops.errors import DomainError, ValidationFailed, error_body
from workorders.dispatch.services import device_state_record
from workorders.offline.appliers import APPLIERS, Mutation, StaleChange
from workorders.offline.models import SyncMutation
from workorders.services.children import records_batched

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
    targets: dict[str, Any] = {}
    with records_batched():
        results = [
            _apply(membership, device_id[:64], raw, shift, known, targets) for raw in mutations
        ]
    if device_id.strip():
        # What the dispatcher sees on the board: when this phone last synced, what still waits.
        done = sum(1 for r in results if r["status"] in ("applied", "duplicate"))
        device_state_record(
            membership=membership,
            device_id=device_id[:64],
            pending=max(0, pending - done),
            synced_at=timezone.now(),
        )
    return results


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
    occurred = parse_datetime(occurred_raw) if isinstance(occurred_raw, str) else None
    if occurred_raw is not None and occurred is None:
        raise ValidationFailed(details={"occurred_at": "Must be an ISO-8601 time."})
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
            known[mutation_id] = SyncMutation.objects.create(
                organization_id=membership.organization_id,
                mutation_id=mutation_id,
                membership=membership,
                device_id=device_id,
                kind=str(raw.get("kind", ""))[:40],
                outcome=answer["status"],
                occurred_at=_parsed_time(raw),
                answer=answer,
            )
    except IntegrityError:
        targets.clear()
        row = SyncMutation.objects.filter(mutation_id=mutation_id).first()
        if row is None:
            raise
        return _answer_for(membership, row)
    return answer


def _run(
    membership: Membership,
    raw: Any,
    shift: timedelta,
    mutation_id: UUID,
    targets: dict[str, Any],
) -> dict:
    key = str(mutation_id)
    try:
        mutation = _parse(membership, raw, shift, targets)
        with transaction.atomic():  # a refused change leaves nothing behind
            result = APPLIERS[mutation.kind](mutation)
    except StaleChange as exc:
        targets.clear()
        return {
            "id": key,
            "status": "conflict",
            "reason": exc.message,
            "current": _plain(exc.current),
        }
    except DomainError as exc:
        targets.clear()
        return _reject(key, exc)
    if mutation.kind == "workorder.transition":
        targets.clear()  # its status changed: look it up afresh for what follows
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


def _parsed_time(raw: Any) -> datetime | None:
    value = raw.get("occurred_at") if isinstance(raw, dict) else None
    return parse_datetime(value) if isinstance(value, str) else None
