"""The work-order lifecycle: one table of allowed moves and who may make them."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import prefetch_related_objects

from fieldops.accounts.models import Membership, Role
from fieldops.errors import InvalidTransition, PermissionDenied, ValidationFailed, VersionConflict
from workorders.models import ChangeSource, Status, WorkOrder, WorkOrderHistory
from workorders.services._common import (
    clean_text,
    is_assignee,
    occurred_at,
    publish_work_order_event,
    record_history,
)
from workorders.services.children import time_clock_follow
from workorders.services.completion import completion_problems

# Not a role: "the technician this work order is assigned to".
ASSIGNEE = "assignee"
MANAGE = frozenset({Role.DISPATCHER, Role.ADMIN})
OVERSEE = frozenset({Role.SUPERVISOR, Role.ADMIN})
FIELD = frozenset({ASSIGNEE, Role.ADMIN})


@dataclass(frozen=True)
class Move:
    action: str
    allowed: frozenset[str]


TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.ASSIGNED, Status.NEW): Move("unassign", MANAGE),
    (Status.ASSIGNED, Status.DISPATCHED): Move("dispatch", MANAGE),
    (Status.ASSIGNED, Status.EN_ROUTE): Move("travel", FIELD),
    (Status.DISPATCHED, Status.EN_ROUTE): Move("travel", FIELD),
    (Status.ASSIGNED, Status.IN_PROGRESS): Move("start", FIELD),
    (Status.DISPATCHED, Status.IN_PROGRESS): Move("start", FIELD),
    (Status.EN_ROUTE, Status.IN_PROGRESS): Move("start", FIELD),
    (Status.IN_PROGRESS, Status.ON_HOLD): Move("pause", FIELD),
    (Status.ON_HOLD, Status.IN_PROGRESS): Move("resume", FIELD),
    (Status.IN_PROGRESS, Status.COMPLETED): Move("complete", FIELD),
    (Status.COMPLETED, Status.CLOSED): Move("close", OVERSEE),
    (Status.COMPLETED, Status.ASSIGNED): Move("reopen", OVERSEE),
    (Status.CLOSED, Status.ASSIGNED): Move("reopen", OVERSEE),
    **{
        (state, Status.CANCELLED): Move("cancel", MANAGE | OVERSEE)
        for state in (
            Status.NEW,
            Status.ASSIGNED,
            Status.DISPATCHED,
            Status.EN_ROUTE,
            Status.IN_PROGRESS,
            Status.ON_HOLD,
        )
    },
}
# Reaching "assigned" from "new" needs people: that is work_order_assign, not a bare transition.


def may_move(work_order: WorkOrder, membership: Membership, move: Move) -> bool:
    if membership.role in move.allowed:
        return True
    return ASSIGNEE in move.allowed and is_assignee(work_order, membership)


def actions_for(work_order: WorkOrder, membership: Membership) -> list[tuple[str, str]]:
    """(action, target status) the member may take now, for buttons on pages."""
    return [
        (move.action, target)
        for (source, target), move in TRANSITIONS.items()
        if source == work_order.status and may_move(work_order, membership, move)
    ]


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
