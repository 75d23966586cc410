"""Every allowed and refused transition, per role (the table is the single source of rules)."""

import pytest

from fieldops.accounts.models import Role
from fieldops.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders.models import Status, WorkOrder, WorkOrderHistory
from workorders.services import Resolution, work_order_transition
from workorders.services.transitions import ASSIGNEE, TRANSITIONS

pytestmark = pytest.mark.django_db

ACTORS = ["assignee", "other_technician", Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN]
DONE = Resolution(
    resolution_notes="Replaced the seal",
    failure_code="LEAK",
    cause="Worn seal",
    remedy="Replaced seal",
)


def put_in_state(work_order: WorkOrder, status: str) -> WorkOrder:
    WorkOrder.objects.filter(pk=work_order.pk).update(status=status)
    work_order.refresh_from_db()
    return work_order


def may(actor: str, allowed: frozenset[str]) -> bool:
    if actor == "assignee":
        return ASSIGNEE in allowed
    return actor in allowed


@pytest.fixture
def cast(organization, technician):
    return {
        "assignee": technician,
        "other_technician": MembershipFactory(organization=organization, role=Role.TECHNICIAN),
        Role.DISPATCHER: MembershipFactory(organization=organization, role=Role.DISPATCHER),
        Role.SUPERVISOR: MembershipFactory(organization=organization, role=Role.SUPERVISOR),
        Role.ADMIN: MembershipFactory(organization=organization, role=Role.ADMIN),
    }


CASES = [
    (source, target, actor)
    for source in Status.values
    for target in Status.values
    if source != target
    for actor in ACTORS
]


@pytest.mark.parametrize(("source", "target", "actor"), CASES)
def test_transition_table_per_role(cast, source, target, actor):
    work_order = make_work_order(cast[Role.DISPATCHER], work_type="inspection")
    assign(work_order, cast["assignee"], cast[Role.DISPATCHER])
    work_order = put_in_state(work_order, source)
    history_before = WorkOrderHistory.objects.filter(work_order=work_order).count()
    move = TRANSITIONS.get((source, target))
    kwargs = {"reason": "Customer cancelled"} if target == Status.CANCELLED else {}
    if target == Status.COMPLETED:
        kwargs["resolution"] = DONE

    def attempt():
        return work_order_transition(
            membership=cast[actor],
            work_order=work_order,
            to_status=target,
            expected_version=work_order.version,
            **kwargs,
        )

    if move is None:
        with pytest.raises(InvalidTransition):
            attempt()
    elif not may(actor, move.allowed):
        with pytest.raises(PermissionDenied):
            attempt()
    else:
        moved = attempt()
        assert moved.status == target
        assert moved.version == work_order.version + 1
        last = WorkOrderHistory.objects.filter(work_order=work_order).last()
        assert (last.from_status, last.to_status) == (source, target)
        assert last.actor == cast[actor]
        return
    work_order.refresh_from_db()
    assert work_order.status == source
    assert WorkOrderHistory.objects.filter(work_order=work_order).count() == history_before


def test_cancel_needs_a_reason(cast):
    work_order = make_work_order(cast[Role.DISPATCHER])
    with pytest.raises(ValidationFailed) as refused:
        work_order_transition(
            membership=cast[Role.DISPATCHER],
            work_order=work_order,
            to_status=Status.CANCELLED,
            expected_version=1,
        )
    assert "reason" in refused.value.details
