"""Every move between two statuses, tried by each actor, against a table written out here.

The expected answers are literal: nothing is read from ``TRANSITIONS``, so a changed row of the
product's table (say, letting an assignee close their own work order) fails this test — and
``test_a_changed_row_of_the_product_table_is_reported`` proves that it does."""

import pytest
from django.db import transaction

from fieldops.accounts.models import Role
from fieldops.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders import lifecycle
from workorders.models import Status, WorkOrder, WorkOrderHistory
from workorders.services import Resolution, work_order_assign, work_order_transition

pytestmark = pytest.mark.django_db

STATUSES = (
    "new",
    "assigned",
    "dispatched",
    "en_route",
    "in_progress",
    "on_hold",
    "completed",
    "closed",
    "cancelled",
)
ACTORS = ("assignee", "other_technician", "dispatcher", "supervisor", "admin")

# (from, to): the answer of each actor, in the order of ACTORS —
# Y: the move is made; -: refused for this actor (PERMISSION_DENIED).
# A pair not listed is no move at all (INVALID_TRANSITION) for everyone.
EXPECTED: dict[tuple[str, str], str] = {
    ("new", "assigned"): "--Y-Y",  # through the assignment service
    ("assigned", "assigned"): "--Y-Y",  # reassign, through the assignment service
    ("dispatched", "dispatched"): "--Y-Y",  # reassign
    ("on_hold", "on_hold"): "--Y-Y",  # reassign
    ("assigned", "new"): "--Y-Y",
    ("assigned", "dispatched"): "--Y-Y",
    ("assigned", "en_route"): "Y---Y",
    ("dispatched", "en_route"): "Y---Y",
    ("assigned", "in_progress"): "Y---Y",
    ("dispatched", "in_progress"): "Y---Y",
    ("en_route", "in_progress"): "Y---Y",
    ("in_progress", "on_hold"): "Y---Y",
    ("on_hold", "in_progress"): "Y---Y",
    ("in_progress", "completed"): "Y---Y",
    ("completed", "closed"): "---YY",
    ("completed", "assigned"): "--Y-Y",  # reopen: a dispatcher's or an admin's
    ("closed", "assigned"): "--Y-Y",
    ("new", "cancelled"): "--YYY",
    ("assigned", "cancelled"): "--YYY",
    ("dispatched", "cancelled"): "--YYY",
    ("en_route", "cancelled"): "--YYY",
    ("in_progress", "cancelled"): "--YYY",
    ("on_hold", "cancelled"): "--YYY",
}
NO_MOVE = "xxxxx"
# Moves that choose people: made by work_order_assign, refused as a bare status change.
PEOPLE_MOVES = {
    ("new", "assigned"),
    ("assigned", "assigned"),
    ("dispatched", "dispatched"),
    ("on_hold", "on_hold"),
}

DONE = Resolution(
    resolution_notes="Replaced the seal",
    failure_code="LEAK",
    cause="Worn seal",
    remedy="Replaced seal",
)


@pytest.fixture
def cast(organization, technician):
    return {
        "assignee": technician,
        "other_technician": MembershipFactory(organization=organization, role=Role.TECHNICIAN),
        "dispatcher": MembershipFactory(organization=organization, role=Role.DISPATCHER),
        "supervisor": MembershipFactory(organization=organization, role=Role.SUPERVISOR),
        "admin": MembershipFactory(organization=organization, role=Role.ADMIN),
    }


def job_in(cast, status: str) -> WorkOrder:
    work_order = make_work_order(cast["dispatcher"], work_type="inspection")
    assign(work_order, cast["assignee"], cast["dispatcher"])
    WorkOrder.objects.filter(pk=work_order.pk).update(status=status)
    work_order.refresh_from_db()
    return work_order


def answer(cast, work_order: WorkOrder, source: str, target: str, actor: str) -> str:
    """Y, - or x for one attempt; rolled back, so the next actor starts from the same row."""
    history_before = WorkOrderHistory.objects.filter(work_order=work_order).count()
    with transaction.atomic():
        try:
            if (source, target) in PEOPLE_MOVES:
                moved = work_order_assign(
                    membership=cast[actor],
                    work_order=work_order,
                    technician_ids=[cast["other_technician"].public_id],
                    expected_version=work_order.version,
                )
            else:
                moved = work_order_transition(
                    membership=cast[actor],
                    work_order=work_order,
                    to_status=target,
                    expected_version=work_order.version,
                    reason="Customer cancelled" if target == "cancelled" else "",
                    resolution=DONE if target == "completed" else None,
                )
        except PermissionDenied:
            result = "-"
        except InvalidTransition:
            result = "x"
        else:
            assert moved.status == target
            assert moved.version == work_order.version + 1
            last = WorkOrderHistory.objects.filter(work_order=work_order).last()
            assert (last.from_status, last.to_status, last.actor) == (source, target, cast[actor])
            result = "Y"
        if result != "Y":
            row = WorkOrder.objects.get(pk=work_order.pk)
            assert (row.status, row.version) == (source, work_order.version)
            assert WorkOrderHistory.objects.filter(work_order=work_order).count() == history_before
        transaction.set_rollback(True)
    return result


def differences(cast, pairs) -> dict:
    """(from, to) -> {expected, got} wherever the product disagrees with the table."""
    wrong = {}
    for source, target in pairs:
        work_order = job_in(cast, source)
        got = "".join(answer(cast, work_order, source, target, actor) for actor in ACTORS)
        expected = EXPECTED.get((source, target), NO_MOVE)
        if got != expected:
            wrong[(source, target)] = {"expected": expected, "got": got}
    return wrong


def test_the_table_lists_every_status():
    assert set(Status.values) == set(STATUSES)


@pytest.mark.parametrize("source", STATUSES)
def test_every_move_from_each_status_per_actor(cast, source):
    assert differences(cast, [(source, target) for target in STATUSES]) == {}


@pytest.mark.parametrize(("source", "target"), sorted(PEOPLE_MOVES))
def test_moves_that_choose_people_are_no_bare_status_change(cast, source, target):
    work_order = job_in(cast, source)
    with pytest.raises(InvalidTransition):
        work_order_transition(
            membership=cast["admin"],
            work_order=work_order,
            to_status=target,
            expected_version=work_order.version,
        )


def test_a_changed_row_of_the_product_table_is_reported(cast, monkeypatch):
    """Letting the assignee close their own work order must not pass unnoticed."""
    close = lifecycle.TRANSITIONS[("completed", "closed")]
    monkeypatch.setitem(
        lifecycle.TRANSITIONS,
        ("completed", "closed"),
        lifecycle.Move(close.action, close.allowed | {lifecycle.ASSIGNEE}, close.label),
    )
    assert differences(cast, [("completed", "closed")]) == {
        ("completed", "closed"): {"expected": "---YY", "got": "Y--YY"}
    }


def test_a_dropped_row_of_the_product_table_is_reported(cast, monkeypatch):
    monkeypatch.delitem(lifecycle.TRANSITIONS, ("en_route", "in_progress"))
    assert differences(cast, [("en_route", "in_progress")]) == {
        ("en_route", "in_progress"): {"expected": "Y---Y", "got": "xxxxx"}
    }


def test_cancel_needs_a_reason(cast):
    work_order = make_work_order(cast["dispatcher"])
    with pytest.raises(ValidationFailed) as refused:
        work_order_transition(
            membership=cast["dispatcher"],
            work_order=work_order,
            to_status=Status.CANCELLED,
            expected_version=1,
        )
    assert "reason" in refused.value.details
