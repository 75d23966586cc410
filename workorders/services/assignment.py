"""Giving work to technicians: the one assignment service every door calls (the API's assign
and dispatch, the work-order page, the board, demo seeding)."""

from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.errors import InvalidTransition, PermissionDenied, ValidationFailed
from fieldops.events import publish_event
from fieldops.time import zone_of
from workorders.dispatch.models import AssignmentOverride
from workorders.dispatch.selectors import (
    DEFAULT_JOB_MINUTES,
    assignment_problems,
    display_name,
    technicians_for,
    window_for,
)
from workorders.lifecycle import PEOPLE_MOVES, TRANSITIONS, Move, Status
from workorders.models import ChangeSource, WorkOrder, WorkOrderAssignment, WorkOrderHistory
from workorders.services._common import clean_text, occurred_at, record_history
from workorders.services.locking import require_unlocked
from workorders.services.transitions import lock_current, may_move
from workorders.services.updates import work_order_update


class OverrideRequired(ValidationFailed):
    """The assignment breaks a skill or shift rule; repeat it with ``override`` and a reason."""

    code = "OVERRIDE_REQUIRED"
    status = 409
    default_message = "Assigning this needs an override and a reason."


Problems = dict[Membership, list[tuple[str, str]]]


def work_order_assign(
    *,
    membership: Membership,
    work_order: WorkOrder,
    technician_ids: list[UUID],
    expected_version: int | None,
    start: datetime | None = None,
    override: bool = False,
    override_reason: str = "",
    source: str = ChangeSource.WEB,
    device_time: datetime | None = None,
) -> WorkOrder:
    """Set who works on it (replacing the previous people) and, with ``start``, when.

    New work becomes assigned (the lifecycle's "assign" move). A technician without the
    required skill (or whose certification for it expired), or off shift / on time off in the
    planned window, needs ``override=True`` and a reason: otherwise OVERRIDE_REQUIRED (409).
    Each override is recorded as an AssignmentOverride."""
    _require_assigner(work_order, membership)
    if not technician_ids:
        raise ValidationFailed(details={"technician_ids": "Choose at least one technician."})
    if start is not None and timezone.is_naive(start):
        raise ValidationFailed(details={"start": "Give a time zone."})
    reason = clean_text(override_reason, field="override_reason", max_length=500)
    at = occurred_at(device_time)
    wanted = set(technician_ids)
    technicians = [t for t in technicians_for(membership.organization_id) if t.public_id in wanted]
    if len(technicians) != len(wanted):
        raise ValidationFailed(
            details={"technician_ids": "Each must be an active technician of your organisation."}
        )
    with transaction.atomic():
        work_order = lock_current(work_order.pk, expected_version)
        require_unlocked(work_order)
        _require_move(work_order, membership)
        problems = _problems(membership, work_order, technicians, start)
        _require_override(problems, override=override, reason=reason)
        current = set(work_order.assignments.values_list("membership_id", flat=True))
        # Moving a job within the same lane is a reschedule, not a new assignment.
        if current != {t.pk for t in technicians} or work_order.status == Status.NEW:
            work_order = _assign(membership, work_order, technicians, current, at, source)
        if start is not None and start != work_order.scheduled_start:
            minutes = work_order.estimated_minutes or DEFAULT_JOB_MINUTES
            work_order = work_order_update(
                membership=membership,
                work_order=work_order,
                expected_version=work_order.version,
                changes={
                    "scheduled_start": start,
                    "scheduled_end": start + timedelta(minutes=minutes),
                },
                source=source,
            )
        AssignmentOverride.objects.bulk_create(
            AssignmentOverride(
                organization_id=membership.organization_id,
                work_order=work_order,
                technician=technician,
                overridden_by=membership,
                problems=[code for code, _ in found],
                reason=reason,
            )
            for technician, found in problems.items()
        )
    work_order.refresh_from_db()
    return work_order


def _require_assigner(work_order: WorkOrder, membership: Membership) -> None:
    # Who may choose people at all comes first: the input and the state of a job are not
    # discussed with those who may not assign it.
    people_moves = [m for m in TRANSITIONS.values() if m.action in PEOPLE_MOVES]
    if not any(may_move(work_order, membership, m) for m in people_moves):
        raise PermissionDenied("Your role may not assign work.")


def _require_move(work_order: WorkOrder, membership: Membership) -> Move:
    target = Status.ASSIGNED if work_order.status == Status.NEW else work_order.status
    move = TRANSITIONS.get((work_order.status, target))
    if move is None or move.action not in PEOPLE_MOVES:
        raise InvalidTransition(
            f"{work_order.get_status_display()} work cannot be reassigned.",
            details={"status": work_order.status},
        )
    if not may_move(work_order, membership, move):
        raise PermissionDenied(f"Your role may not {move.action} this work order.")
    return move


def _problems(
    membership: Membership,
    work_order: WorkOrder,
    technicians: list[Membership],
    start: datetime | None,
) -> Problems:
    window = window_for(work_order, now=timezone.now(), start=start)
    zone = zone_of(membership)
    return {
        t: found
        for t in technicians
        if (found := assignment_problems(t, work_order, window=window, zone=zone))
    }


def _require_override(problems: Problems, *, override: bool, reason: str) -> None:
    if not problems or (override and reason):
        return
    details = {str(t.public_id): [text for _, text in found] for t, found in problems.items()}
    if override:
        raise ValidationFailed(
            "Say why the rule is overridden.",
            details={"override_reason": "Say why the rule is overridden.", **details},
        )
    raise OverrideRequired(
        "; ".join(
            f"{display_name(t)}: {', '.join(text for _, text in found)}"
            for t, found in problems.items()
        ),
        details=details,
    )


def _assign(
    membership: Membership,
    work_order: WorkOrder,
    technicians: list[Membership],
    previous: set[int],
    at: datetime,
    source: str,
) -> WorkOrder:
    wanted = {technician.pk for technician in technicians}
    work_order.assignments.exclude(membership_id__in=wanted).delete()
    WorkOrderAssignment.objects.bulk_create(
        WorkOrderAssignment(
            work_order=work_order, membership=technician, assigned_by=membership, assigned_at=at
        )
        for technician in technicians
        if technician.pk not in previous
    )
    from_status = work_order.status
    changed = ["version", "updated_at"]
    if work_order.status == Status.NEW:
        work_order.status = Status.ASSIGNED
        changed.append("status")
    if work_order.responded_at is None:
        work_order.responded_at = at
        changed.append("responded_at")
    work_order.version += 1
    work_order.save(update_fields=changed)
    record_history(
        work_order,
        kind=WorkOrderHistory.Kind.ASSIGNED,
        actor=membership,
        source=source,
        at=at,
        from_status=from_status,
        to_status=work_order.status,
        details={"technicians": sorted(t.user.get_username() for t in technicians)},
    )
    publish_event(
        "workorder.assigned",
        organization_id=work_order.organization_id,
        data={
            "number": work_order.reference,
            "id": str(work_order.public_id),
            "status": work_order.status,
            "version": work_order.version,
            "technicians": [str(t.public_id) for t in technicians],
        },
        technician_ids=sorted(previous | wanted),
    )
    return work_order
