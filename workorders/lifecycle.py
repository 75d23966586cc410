"""The work-order lifecycle: the statuses, one table of allowed moves and who may make them,
and every set of statuses the product asks about, derived from that table.

Nothing else lists statuses: models, services, views, the offline applier, the ERP projection,
maintenance, KPIs and the browser (through ``moves_by_status``) import these names."""

from dataclasses import dataclass

from django.db import models

from fieldops.accounts.permissions import roles_for


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Not a role: "the technician this work order is assigned to".
ASSIGNEE = "assignee"
DISPATCH = roles_for("work.dispatch")
OVERSEE = roles_for("work.oversee")
FIELD = frozenset({ASSIGNEE, *roles_for("work.stand_in")})


@dataclass(frozen=True)
class Move:
    action: str
    allowed: frozenset[str]
    label: str


# Moves that need people chosen: made by the assignment service, never by a bare button.
PEOPLE_MOVES = frozenset({"assign", "reassign"})

TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.NEW, Status.ASSIGNED): Move("assign", DISPATCH, "Assign"),
    # Changing who works on a job keeps its status.
    (Status.ASSIGNED, Status.ASSIGNED): Move("reassign", DISPATCH, "Reassign"),
    (Status.DISPATCHED, Status.DISPATCHED): Move("reassign", DISPATCH, "Reassign"),
    (Status.ON_HOLD, Status.ON_HOLD): Move("reassign", DISPATCH, "Reassign"),
    (Status.ASSIGNED, Status.NEW): Move("unassign", DISPATCH, "Unassign"),
    (Status.ASSIGNED, Status.DISPATCHED): Move("dispatch", DISPATCH, "Dispatch"),
    (Status.ASSIGNED, Status.EN_ROUTE): Move("travel", FIELD, "On my way"),
    (Status.DISPATCHED, Status.EN_ROUTE): Move("travel", FIELD, "On my way"),
    (Status.ASSIGNED, Status.IN_PROGRESS): Move("start", FIELD, "Start work"),
    (Status.DISPATCHED, Status.IN_PROGRESS): Move("start", FIELD, "Start work"),
    (Status.EN_ROUTE, Status.IN_PROGRESS): Move("start", FIELD, "Start work"),
    (Status.IN_PROGRESS, Status.ON_HOLD): Move("pause", FIELD, "Pause"),
    (Status.ON_HOLD, Status.IN_PROGRESS): Move("resume", FIELD, "Resume"),
    (Status.IN_PROGRESS, Status.COMPLETED): Move("complete", FIELD, "Complete"),
    (Status.COMPLETED, Status.CLOSED): Move("close", OVERSEE, "Close"),
    # Reopening done work is the office's planning call, recorded like every move.
    (Status.COMPLETED, Status.ASSIGNED): Move("reopen", DISPATCH, "Reopen"),
    (Status.CLOSED, Status.ASSIGNED): Move("reopen", DISPATCH, "Reopen"),
    **{
        (state, Status.CANCELLED): Move("cancel", DISPATCH | OVERSEE, "Cancel work order")
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

ACTION_LABELS: dict[str, str] = {move.action: move.label for move in TRANSITIONS.values()}


def _in_order(statuses: set[str]) -> tuple[Status, ...]:
    # Lifecycle order, so a set reads (and a migration compares) the same every time.
    return tuple(status for status in Status if status in statuses)


def _sources(*actions: str) -> tuple[Status, ...]:
    return _in_order({source for (source, _), m in TRANSITIONS.items() if m.action in actions})


def _targets(*actions: str) -> tuple[Status, ...]:
    return _in_order({target for (_, target), m in TRANSITIONS.items() if m.action in actions})


# Open: not yet done — what can still be cancelled.
OPEN_STATUSES = _sources("cancel")
# Work that can still change hands (not once someone is on the way or working on it).
ASSIGNABLE_STATUSES = _sources(*PEOPLE_MOVES)
# Under way: the technician has set off and the job is not done (a pause included).
UNDER_WAY_STATUSES = _targets("travel", "start", "pause", "resume")
PAUSED_STATUSES = _targets("pause")
# On the job: travelling or working, not paused.
ON_THE_JOB_STATUSES = _in_order(set(UNDER_WAY_STATUSES) - set(PAUSED_STATUSES))
# Ready: open work nobody has set off for yet.
READY_STATUSES = _in_order(set(OPEN_STATUSES) - set(UNDER_WAY_STATUSES))
# Done: the work was completed (closed or not) — what can be reopened.
DONE_STATUSES = _sources("reopen")
# Finished: no longer open, whether done or cancelled.
FINISHED_STATUSES = _in_order(set(Status) - set(OPEN_STATUSES))
# Frozen: nothing leads on from here except a reopen (closed, or cancelled for good).
FROZEN_STATUSES = _in_order(
    {
        status
        for status in Status
        if all(m.action == "reopen" for (s, _), m in TRANSITIONS.items() if s == status)
    }
)
# Locked: nothing on the job changes any more — only closing the books or a reopen lead out
# (completed, closed, and cancelled, which nothing leads out of).
AFTER_WORK_MOVES = frozenset({"close", "reopen"})
LOCKED_STATUSES = _in_order(
    {
        status
        for status in Status
        if all(m.action in AFTER_WORK_MOVES for (s, _), m in TRANSITIONS.items() if s == status)
    }
)


def reopen_roles(status: str) -> frozenset[str]:
    """Who may reopen work in ``status`` (empty when it cannot be reopened)."""
    for (source, _), move in TRANSITIONS.items():
        if source == status and move.action == "reopen":
            return move.allowed
    return frozenset()


# Signable: the customer signs the report of the work as completed — the last step of completing,
# when nothing the report covers can change any more (the work is locked).
SIGNABLE_STATUSES = _targets("complete")
# The assignee can still get it to "in progress" (and so complete it) without the office.
STARTABLE_STATUSES = _sources("start", "resume")


def moves_from(status: str) -> list[tuple[str, Move]]:
    """(target, move) leaving ``status`` by a button (people moves need the assign form)."""
    return [
        (target, move)
        for (source, target), move in TRANSITIONS.items()
        if source == status and move.action not in PEOPLE_MOVES
    ]


def route(source: str, target: str) -> list[str]:
    """The statuses passed through on the shortest way by buttons from ``source`` to ``target``
    (``target`` included; empty when already there or unreachable) — for demo seeding."""
    paths: dict[str, list[str]] = {source: []}
    queue = [source]
    while queue and target not in paths:
        here = queue.pop(0)
        for step, _ in moves_from(here):
            if step not in paths:
                paths[step] = [*paths[here], step]
                queue.append(step)
    return paths.get(target, [])
