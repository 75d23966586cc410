"""The planning core on small instances whose best answer is known: literal tables.

Places sit on a line and a minute of driving is a unit of distance (``OnALine``), so every
expected time below can be checked by hand. The day starts at 08:00 (480) unless said."""

import random

import pytest

from workorders.dispatch.planning.greedy import greedy
from workorders.dispatch.planning.problem import (
    Break,
    Job,
    Plan,
    Problem,
    Route,
    Stop,
    Technician,
    Window,
)
from workorders.dispatch.planning.schedule import earliest_start, violations
from workorders.dispatch.planning.solver import layout, solve

LIMIT = 0.3  # seconds: the machine is shared; these instances are solved well within it


class OnALine:
    """Point (x, 0): x minutes from the origin along one road."""

    def minutes(self, points):
        return [[abs(round(a[0]) - round(b[0])) for b in points] for a in points]


def at(x: int):
    return (float(x), 0.0)


def tech(tid, *, base=0, shift=(480, 1020), breaks=(), skills=None, certified=(), **kw):
    return Technician(
        tid,
        tid.title(),
        at(base),
        at(base),
        *shift,
        breaks=tuple(breaks),
        skills=skills or {},
        certified=frozenset(certified),
        **kw,
    )


def job(jid, x, minutes=30, **kw):
    return Job(jid, at(x), minutes, **kw)


def planned(problem: Problem, time_limit: float = LIMIT) -> Plan:
    plan = solve(problem, matrix=OnALine(), time_limit=time_limit)
    grid = layout(problem, OnALine())
    assert violations(problem, plan, grid.lane) == []
    return plan


def times(plan: Plan) -> dict[str, list[tuple[str, int, int]]]:
    return {
        r.technician_id: [(s.job_id, s.start, s.end) for s in r.stops]
        for r in plan.routes
        if r.stops
    }


def reasons(plan: Plan) -> dict[str, str]:
    return {u.job_id: u.constraint for u in plan.unplaced}


def test_one_lane_visits_in_the_order_of_least_driving():
    problem = Problem(
        (tech("ana"),),
        (job("far", 30), job("near", 10), job("mid", 20)),
    )
    plan = planned(problem)
    assert plan.travel == 60  # out to 30 and back, whichever of the equally short orders
    assert sorted(plan.order()["ana"]) == ["far", "mid", "near"]


def test_a_window_sets_the_order_even_when_it_costs_driving():
    problem = Problem(
        (tech("ana"),),
        (job("far", 30, window=Window(480, 520)), job("near", 10), job("mid", 20)),
    )
    assert times(planned(problem)) == {
        "ana": [("far", 510, 540), ("mid", 550, 580), ("near", 590, 620)],
    }


# skill, level and certificate -> who does it, or why nobody does
SKILLED = [
    # (job's skill, level needed, needs certificate) -> technician or (constraint)
    (("hvac", 1, False), "ana"),
    (("hvac", 4, False), "ben"),  # Ana holds hvac at 2
    (("hvac", 5, False), "skill_level"),  # Ben at 4, nobody at 5
    (("gas", 1, True), "ben"),  # Ana's gas certificate is not valid that day
    (("electrical", 1, True), "certification"),  # Ana has the trade, no certificate
    (("roofing", 1, False), "skill"),
]


@pytest.mark.parametrize(("needs", "expected"), SKILLED)
def test_skills_levels_and_certificates_decide_who_may_do_a_job(needs, expected):
    skill, level, certificate = needs
    problem = Problem(
        (
            tech("ana", skills={"hvac": 2, "gas": 3, "electrical": 3}, certified=()),
            tech("ben", base=50, skills={"hvac": 4, "gas": 1}, certified={"gas"}),
        ),
        (job("j", 5, skill=skill, min_level=level, needs_certification=certificate),),
    )
    plan = planned(problem)
    if expected in ("ana", "ben"):
        assert plan.order() == {expected: ["j"]}
    else:
        assert plan.order() == {}
        assert reasons(plan) == {"j": expected}


def test_an_infeasible_job_says_which_constraint_excludes_it():
    problem = Problem(
        (tech("ana", skills={"hvac": 2}), tech("ben", unavailable="day off")),
        (
            job("evening", 10, window=Window(1100, 1140)),  # after every shift
            job("long", 10, minutes=600),  # longer than the 9-hour shift
            job("trade", 10, skill="gas"),
            job("ok", 10),
        ),
    )
    plan = planned(problem)
    assert {u.job_id: (u.constraint, u.text) for u in plan.unplaced} == {
        "evening": (
            "window",
            "the appointment window 18:20-19:00 is outside Ana's shift 08:00-17:00",
        ),
        "long": ("shift", "Ana would be back 18:20, after the shift ends 17:00"),
        "trade": ("skill", "Ana lacks skill gas"),
    }
    assert plan.order() == {"ana": ["ok"]}


def test_evening_window_text_when_shift_not_window_is_the_limit():
    # The same job with a window the shift cannot reach at all: the window is named.
    problem = Problem((tech("ana"),), (job("late", 10, window=Window(1030, 1100)),))
    assert reasons(planned(problem)) == {"late": "window"}


def test_breaks_fall_between_jobs_never_inside_one():
    lunch = Break(720, 750, "lunch")
    problem = Problem(
        (tech("ana", breaks=[lunch]),),
        (
            job("a", 10, minutes=120, window=Window(490, 490)),  # 08:10-10:10
            job("b", 10, minutes=90, window=Window(640, 760)),  # from 10:40 it would cross lunch
        ),
    )
    assert times(planned(problem)) == {"ana": [("a", 490, 610), ("b", 750, 840)]}


def test_earliest_start_around_breaks_table():
    ana = tech("ana", breaks=[Break(720, 750, "lunch"), Break(900, 960, "time off")])
    # (ready, travel, opens, duration) -> earliest start
    table = [
        ((600, 10, 0, 60), 610),  # no break in the way
        ((690, 10, 0, 60), 750),  # 11:40 + 60 would cross lunch: after it
        ((715, 10, 0, 10), 755),  # lunch interrupts the drive: 5 min before, 5 after
        ((700, 10, 0, 10), 710),  # 11:50-12:00 fits before lunch
        ((880, 0, 0, 30), 960),  # time off 15:00-16:00
        ((480, 0, 730, 10), 750),  # window opens during lunch
    ]
    got = [
        (
            args,
            earliest_start(ana, ready=args[0], travel=args[1], opens=args[2], duration=args[3]),
        )
        for args, _ in table
    ]
    assert got == table


def test_time_off_sends_the_job_to_someone_else_or_reports_it():
    off = Break(480, 720, "time off")
    morning = job("morning", 10, window=Window(540, 600))
    both = Problem((tech("ana", breaks=[off]), tech("ben", base=40)), (morning,))
    assert planned(both).order() == {"ben": ["morning"]}
    alone = Problem((tech("ana", breaks=[off]),), (morning,))
    assert reasons(planned(alone)) == {"morning": "break"}


def test_priorities_decide_what_is_dropped_when_the_day_is_full():
    # A four-hour day at the site: four of the five one-hour jobs fit.
    problem = Problem(
        (tech("ana", shift=(480, 720)),),
        (
            job("p4", 0, 60, priority="p4"),
            job("p2", 0, 60, priority="p2"),
            job("p1", 0, 60, priority="p1"),
            job("p3a", 0, 60, priority="p3"),
            job("p3b", 0, 60, priority="p3"),
        ),
    )
    plan = planned(problem)
    assert sorted(plan.order()["ana"]) == ["p1", "p2", "p3a", "p3b"]
    assert reasons(plan) == {"p4": "capacity"}


def test_a_pinned_job_keeps_its_technician_and_time():
    problem = Problem(
        (tech("ana", base=0), tech("ben", base=100)),
        (
            job("pinned", 100, pinned_to="ana", pinned_start=600),  # Ben lives next door
            job("free", 50),
        ),
    )
    # Ana has time to do "free" after the pin on her way home: no extra driving, Ben stays in.
    assert times(planned(problem)) == {"ana": [("pinned", 600, 630), ("free", 680, 710)]}


def test_sla_due_pulls_a_job_earlier_without_making_it_hard():
    problem = Problem(
        (tech("ana"),),
        (job("due", 20, due=540), job("a", 10), job("b", 30)),
    )
    plan = planned(problem)
    due = next(s for s in plan.routes[0].stops if s.job_id == "due")
    assert due.end <= 540


def test_the_checker_names_each_broken_rule():
    problem = Problem(
        (tech("ana", breaks=[Break(720, 750)]), tech("ben", skills={"gas": 1})),
        (
            job("gas", 10, skill="gas"),
            job("win", 10, window=Window(600, 610)),
            job("pin", 10, pinned_to="ben", pinned_start=700),
            job("lost", 10),
        ),
    )
    bad = Plan(
        (
            Route("ana", (Stop("gas", 490, 490, 520, 10), Stop("win", 520, 700, 730, 0)), 20, 740),
            Route("ben", (), 0, 480),
        ),
        (),
    )
    assert violations(problem, bad, layout(problem, OnALine()).lane) == [
        "gas with ana: skill",
        "win overlaps a break",
        "win outside its window",
        "pin pinned but not planned",
        "pin neither planned nor reported",
        "lost neither planned nor reported",
    ]


def test_the_solver_beats_the_nearest_job_rule_where_it_is_short_sighted():
    # Nearest-first takes 1 then runs to 10 and back past 1's neighbours; the optimum sweeps.
    problem = Problem(
        (tech("ana", base=0),),
        (job("a", 1), job("b", -2), job("c", 10), job("d", -3)),
    )
    grid = layout(problem, OnALine())
    baseline = greedy(problem, prepared=grid)
    best = planned(problem)
    assert (baseline.travel, best.travel) == (28, 26)
    assert violations(problem, baseline, grid.lane) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_never_break_a_hard_rule(seed):
    rng = random.Random(seed)
    skills = ["hvac", "gas", "elec"]
    technicians = tuple(
        tech(
            f"t{i}",
            base=rng.randint(-40, 40),
            shift=rng.choice([(420, 900), (480, 1020), (600, 1140)]),
            breaks=[Break(720, 750, "lunch")] if rng.random() < 0.5 else [],
            skills={s: rng.randint(1, 5) for s in rng.sample(skills, 2)},
            certified={rng.choice(skills)},
        )
        for i in range(4)
    )
    jobs = []
    for i in range(25):
        opens = rng.randint(480, 900)
        jobs.append(
            job(
                f"j{i}",
                rng.randint(-60, 60),
                rng.choice([20, 30, 45, 60]),
                priority=rng.choice(["p1", "p2", "p3", "p4"]),
                skill=rng.choice(["", *skills]),
                min_level=rng.randint(1, 3),
                needs_certification=rng.random() < 0.2,
                window=Window(opens, opens + 120) if rng.random() < 0.4 else None,
            )
        )
    problem = Problem(technicians, tuple(jobs))
    plan = planned(problem, time_limit=0.5)
    assert plan.placed + len(plan.unplaced) == 25
    baseline = greedy(problem, prepared=layout(problem, OnALine()))
    assert violations(problem, baseline, layout(problem, OnALine()).lane) == []
