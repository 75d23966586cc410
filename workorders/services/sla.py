"""SLA targets per priority and the due dates they give a work order."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from workorders.models import Priority, SlaPolicy, WorkOrder


@dataclass(frozen=True)
class Targets:
    response_minutes: int
    onsite_minutes: int
    resolution_minutes: int


# Used until an organisation sets its own policy for a priority.
DEFAULT_TARGETS = {
    Priority.URGENT: Targets(30, 240, 480),
    Priority.HIGH: Targets(120, 1440, 2880),
    Priority.MEDIUM: Targets(480, 4320, 7200),
    Priority.LOW: Targets(1440, 10080, 20160),
}


def targets_for(organization_id: int, priority: str) -> Targets:
    policy = SlaPolicy.objects.filter(organization_id=organization_id, priority=priority).first()
    if policy is None:
        return DEFAULT_TARGETS[Priority(priority)]
    return Targets(policy.response_minutes, policy.onsite_minutes, policy.resolution_minutes)


def apply_sla(work_order: WorkOrder, *, start: datetime) -> None:
    targets = targets_for(work_order.organization_id, work_order.priority)
    work_order.response_due_at = start + timedelta(minutes=targets.response_minutes)
    work_order.onsite_due_at = start + timedelta(minutes=targets.onsite_minutes)
    work_order.due_at = start + timedelta(minutes=targets.resolution_minutes)


def sla_state(work_order: WorkOrder, *, now: datetime, at_risk_fraction: float = 0.25) -> str:
    """ "met" / "breached" for finished work; "overdue" / "at_risk" / "on_track" while open."""
    if work_order.due_at is None:
        return "none"
    if work_order.completed_at is not None:
        return "met" if work_order.completed_at <= work_order.due_at else "breached"
    if not work_order.is_open:
        return "none"
    if now > work_order.due_at:
        return "overdue"
    total = (work_order.due_at - work_order.created_at).total_seconds()
    left = (work_order.due_at - now).total_seconds()
    if total > 0 and left / total < at_risk_fraction:
        return "at_risk"
    return "on_track"
