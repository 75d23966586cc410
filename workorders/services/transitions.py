"""Moving a work order along its lifecycle (the table is ``workorders.lifecycle``)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import prefetch_related_objects

from fieldops.accounts.models import Membership
from fieldops.errors import InvalidTransition, PermissionDenied, ValidationFailed, VersionConflict
from workorders.lifecycle import ASSIGNEE, PEOPLE_MOVES, TRANSITIONS, Move, moves_from
from workorders.models import ChangeSource, Status, WorkOrder, WorkOrderHistory
from workorders.services._common import (
    clean_text,
    is_assignee,
    occurred_at,
    publish_work_order_event,
    record_history,
)
from workorders.services.children import time_clock_follow
from workorders.services.completion import close_problems, completion_problems


def may_move(work_order: WorkOrder, membership: Membership, move: Move) -> bool:
    if membership.role in move.allowed:
        return True
    return ASSIGNEE in move.allowed and is_assignee(work_order, membership)


def actions_for(work_order: WorkOrder, membership: Membership) -> list[tuple[str, str]]:
    """(action, target status) the member may take now, for buttons on pages."""
    return [
        (move.action, target)
        for target, move in moves_from(work_order.status)
        if may_move(work_order, membership, move)
    ]


def moves_by_status(work_order: WorkOrder, membership: Membership) -> dict[str, list]:
    """For each status, the [target, label, action] buttons the member would have there: what a page
    shows after a change it made offline, before the server has answered."""
    return {
        status: [
            [target, move.label, move.action]
            for target, move in moves_from(status)
            if may_move(work_order, membership, move)
        ]
        for status in Status.values
    }


@dataclass
class Resolution:
    resolution_notes: str = ""
    failure_code: str = ""
    cause: str = ""
    remedy: str = ""


def lock_current(work_order_id: int, expected_version: int | None) -> WorkOrder:
    """The row, locked for this transaction, or VERSION_CONFLICT with the current record."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order_id)
    if expected_version is not None and work_order.version != expected_version:
        raise VersionConflict(
            details={"current_version": work_order.version, "status": work_order.status}
        )
    return work_order


def work_order_transition(
    *,
    membership: Membership,
    work_order: WorkOrder,
    to_status: str,
    expected_version: int | None,
    source: str = ChangeSource.WEB,
    device_time: datetime | None = None,
    reason: str = "",
    resolution: Resolution | None = None,
) -> WorkOrder:
    if to_status not in Status.values:
        raise ValidationFailed(details={"to": f"One of: {', '.join(Status.values)}."})
    at = occurred_at(device_time)
    reason = clean_text(reason, field="reason", max_length=500)
    with transaction.atomic():
        work_order = lock_current(work_order.pk, expected_version)
        # Read under the lock: who may move it (assignee) and whose screens hear of it.
        prefetch_related_objects([work_order], "assignments")
        move = TRANSITIONS.get((work_order.status, to_status))
        if move is None:
            raise InvalidTransition(
                f"A work order cannot go from {work_order.get_status_display()} to "
                f"{Status(to_status).label}.",
                details={"from": work_order.status, "to": to_status},
            )
        if move.action in PEOPLE_MOVES:
            raise InvalidTransition(
                "Choose the technicians: assigning is done with the assignment form.",
                details={"from": work_order.status, "to": to_status},
            )
        if not may_move(work_order, membership, move):
            raise PermissionDenied(f"Your role may not {move.action} this work order.")
        if move.action == "cancel" and not reason:
            raise ValidationFailed(details={"reason": "Say why the work is cancelled."})
        from_status = work_order.status
        changed = ["status", "version", "updated_at"]
        if move.action == "complete":
            changed += _apply_resolution(work_order, resolution or Resolution())
            work_order.completed_at = at
        elif move.action == "start" and work_order.started_at is None:
            work_order.started_at = at
            changed.append("started_at")
        elif move.action == "close":
            if problems := close_problems(work_order):
                raise ValidationFailed("This work order cannot be closed yet.", details=problems)
            work_order.closed_at = at
            changed.append("closed_at")
        elif move.action == "reopen":
            work_order.completed_at = work_order.closed_at = None
            changed += ["completed_at", "closed_at"]
        if move.action == "complete":
            changed.append("completed_at")
        work_order.status = to_status
        work_order.version += 1
        work_order.save(update_fields=changed)
        time_clock_follow(work_order=work_order, membership=membership, action=move.action, at=at)
        record_history(
            work_order,
            kind=WorkOrderHistory.Kind.STATUS,
            actor=membership,
            source=source,
            at=at,
            from_status=from_status,
            to_status=to_status,
            details={"reason": reason} if reason else None,
        )
        publish_work_order_event("workorder.status_changed", work_order, previous=from_status)
    return work_order


def _apply_resolution(work_order: WorkOrder, resolution: Resolution) -> list[str]:
    work_order.resolution_notes = clean_text(
        resolution.resolution_notes or work_order.resolution_notes,
        field="resolution_notes",
        max_length=20000,
    )
    work_order.failure_code = clean_text(
        resolution.failure_code or work_order.failure_code, field="failure_code", max_length=60
    )
    work_order.cause = clean_text(
        resolution.cause or work_order.cause, field="cause", max_length=300
    )
    work_order.remedy = clean_text(
        resolution.remedy or work_order.remedy, field="remedy", max_length=300
    )
    problems = completion_problems(work_order)
    if problems:
        raise ValidationFailed("This work order cannot be completed yet.", details=problems)
    return ["resolution_notes", "failure_code", "cause", "remedy"]
