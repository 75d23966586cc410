"""Re-planning on the day: an emergency goes where it disturbs least (started work stays, only
later jobs move), and a technician running late pushes their later stops, saying what breaks.
Places on a line, a minute of driving per unit (as in test_core)."""

import pytest

from tests.dispatch.planning.test_core import OnALine, job, tech
from workorders.dispatch.planning.problem import Plan, Problem, Window
from workorders.dispatch.planning.replan import insert_emergency, running_late
from workorders.dispatch.planning.schedule import violations
from workorders.dispatch.planning.solver import layout, solve

NOW = 500  # 08:20: Ana has started "a" (08:10), Ben "d" (08:10)


def day_with(emergency):
    problem = Problem(
        (tech("ana", base=0), tech("ben", base=100)),
        (
            job("a", 10, pinned_to="ana", pinned_start=490),
            job("b", 20, pinned_to="ana"),
            job("c", 30, window=Window(560, 600), pinned_to="ana"),
            job("d", 90, pinned_to="ben", pinned_start=490),
            emergency,
        ),
    )
    grid = layout(problem, OnALine())
    # This morning's plan, solved without the emergency (it came in at 08:20).
    morning = Problem(problem.technicians, problem.jobs[:-1])
    return problem, grid, solve(morning, matrix=OnALine(), time_limit=0.3)


def lanes(plan: Plan) -> dict[str, list[tuple[str, int, int]]]:
    return {r.technician_id: [(s.job_id, s.start, s.end) for s in r.stops] for r in plan.routes}


MORNING = {"ana": [("a", 490, 520), ("b", 530, 560), ("c", 570, 600)], "ben": [("d", 490, 520)]}

# emergency's window -> (technician, position, added travel, delays of later jobs, Ana's lane)
INSERTIONS = [
    (
        None,  # any time today: after c, on the way home, nothing moves
        ("ana", 3, 0, {}, [*MORNING["ana"], ("E", 615, 645)]),
    ),
    (
        Window(500, 560),  # must start by 09:20: right after the started job; b and c wait
        (
            "ana",
            1,
            0,
            {"b": 30, "c": 30},
            [("a", 490, 520), ("E", 525, 555), ("b", 560, 590), ("c", 600, 630)],
        ),
    ),
]


@pytest.mark.parametrize(("window", "expected"), INSERTIONS)
def test_an_emergency_goes_where_it_disturbs_least(window, expected):
    problem, grid, morning = day_with(job("E", 15, priority="p1", window=window))
    assert lanes(morning) == MORNING
    placed = insert_emergency(problem, morning, problem.job("E"), grid=grid, now=NOW)
    got = (
        placed.technician_id,
        placed.position,
        placed.added_travel,
        placed.delays,
        lanes(placed.plan)["ana"],
    )
    assert got == expected
    assert lanes(placed.plan)["ben"] == MORNING["ben"]  # the started job and its lane stay
    assert violations(problem, placed.plan, grid.lane) == []


def test_an_emergency_that_fits_nowhere_says_so():
    problem, grid, morning = day_with(job("E", 15, window=Window(500, 505)))
    placed = insert_emergency(problem, morning, problem.job("E"), grid=grid, now=NOW)
    assert (placed.technician_id, placed.reason) == (None, "no technician can fit it in today")
    assert placed.plan == morning


# minutes late on "a" -> (Ana's lane, shifted, broken)
LATE = [
    (0, (MORNING["ana"], {}, [])),
    (30, ([("a", 490, 550), ("b", 560, 590), ("c", 600, 630)], {"b": 30, "c": 30}, [])),
    (
        40,
        (
            [("a", 490, 560), ("b", 570, 600), ("c", 610, 640)],
            {"b": 40, "c": 40},
            ["c would start 10:10, after its window closes 10:00"],
        ),
    ),
]


@pytest.mark.parametrize(("minutes", "expected"), LATE)
def test_running_late_shifts_the_later_arrivals(minutes, expected):
    problem, grid, morning = day_with(job("E", 15))
    late = running_late(problem, morning, "ana", minutes=minutes, grid=grid, now=NOW)
    assert (
        [(s.job_id, s.start, s.end) for s in late.route.stops],
        late.shifted,
        late.broken,
    ) == expected
