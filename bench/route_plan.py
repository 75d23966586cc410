"""Day planning on generated cities: OR-Tools against a greedy nearest-feasible baseline (and
VROOM when pyvroom is installed), on the same instance and travel matrix, in one run.

    .venv/bin/python bench/route_plan.py [--quick] [--seed 7]

Cities: 20 technicians / 200 jobs and 50 / 600, ~25 km across with a few dense neighbourhoods;
shifts 07-16, 08-17 or 09-18, half with a fixed 12:00 lunch; four trades at levels 1-5 (gas needs
a certificate); 30 % of jobs in a two-hour appointment window, urgent work due by noon. Every
plan is retimed and checked by the same independent checker (``violations``).
Prints per method: solve seconds, jobs placed, total travel minutes, travel per placed job,
the share of windowed/due jobs met, P1 placed, hard-rule violations. Floor (exit 1 otherwise):
OR-Tools places at least as many jobs as greedy with at least 20 % less travel, no violations,
within 10 s (200 jobs) and 30 s (600 jobs)."""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workorders.dispatch.planning.greedy import greedy
from workorders.dispatch.planning.problem import (
    Break,
    Job,
    Plan,
    Problem,
    Route,
    Technician,
    Unplaced,
    Window,
)
from workorders.dispatch.planning.schedule import fit, timed_route, violations
from workorders.dispatch.planning.solver import Layout, layout, solve
from workorders.dispatch.planning.travel import StraightLine

CENTRE = (52.52, 13.40)
TRADES = ["hvac", "electrical", "plumbing", "gas"]
SLOTS = [(480, 600), (600, 720), (780, 900), (900, 1020)]


def _place(rng: random.Random, hubs) -> tuple[float, float]:
    if rng.random() < 0.6:
        lat, lng = rng.choice(hubs)
        spread = 0.012
    else:
        lat, lng = CENTRE
        spread = 0.07
    return (lat + rng.gauss(0, spread), lng + rng.gauss(0, spread * 1.6))


def city(seed: int, technicians: int, jobs: int) -> Problem:
    rng = random.Random(seed)
    hubs = [_place(rng, [CENTRE]) for _ in range(6)]
    people = []
    for i in range(technicians):
        home = _place(rng, hubs)
        start, end = rng.choice([(420, 960), (480, 1020), (480, 1020), (540, 1080)])
        trades = rng.sample(TRADES, 2)
        people.append(
            Technician(
                f"T{i:02d}",
                f"Tech {i:02d}",
                home,
                home,
                start,
                end,
                breaks=(Break(720, 750, "lunch"),) if rng.random() < 0.5 else (),
                skills={t: rng.randint(1, 5) for t in trades},
                certified=frozenset({"gas"})
                if "gas" in trades and rng.random() < 0.7
                else frozenset(),
            )
        )
    work = []
    for i in range(jobs):
        priority = rng.choices(["p1", "p2", "p3", "p4"], [1, 3, 10, 6])[0]
        trade = rng.choice(["", *TRADES])
        window = Window(*rng.choice(SLOTS)) if rng.random() < 0.3 else None
        work.append(
            Job(
                f"J{i:03d}",
                _place(rng, hubs),
                rng.choice([15, 20, 30, 30, 45, 45, 60]),
                priority=priority,
                skill=trade,
                min_level=rng.choices([1, 2, 3], [6, 3, 1])[0] if trade else 1,
                needs_certification=trade == "gas",
                window=window,
                due=720 if priority == "p1" else None,
            )
        )
    return Problem(tuple(people), tuple(work))


def vroom_plan(problem: Problem, grid: Layout, seconds: float) -> Plan:
    import datetime

    import numpy as np
    import vroom

    began = time.monotonic()
    needs: dict[tuple, int] = {}
    for job in problem.jobs:
        if job.skill:
            needs.setdefault((job.skill, job.min_level, job.needs_certification), len(needs) + 1)
    model = vroom.Input()
    model.set_durations_matrix("car", np.array(grid.minutes, dtype=np.uint32))
    for v, t in enumerate(problem.technicians):
        may = {
            k
            for (skill, level, cert), k in needs.items()
            if fit(t, Job("x", (0, 0), 0, skill=skill, min_level=level, needs_certification=cert))
            is None
        }
        model.add_vehicle(
            vroom.Vehicle(
                v,
                start=grid.starts[t.id],
                end=grid.ends[t.id],
                time_window=vroom.TimeWindow(t.shift_start, t.shift_end),
                skills=may or {0},
                breaks=[
                    vroom.Break(
                        k,
                        time_windows=[vroom.TimeWindow(b.start, b.start)],
                        service=b.end - b.start,
                    )
                    for k, b in enumerate(t.breaks)
                ],
            )
        )
    rank = {"p1": 100, "p2": 60, "p3": 30, "p4": 5}
    for n, job in enumerate(problem.jobs):
        windows = [vroom.TimeWindow(job.window.open, job.window.close)] if job.window else []
        model.add_job(
            vroom.Job(
                n,
                location=grid.index[job.id],
                default_service=job.duration,
                skills={needs[(job.skill, job.min_level, job.needs_certification)]}
                if job.skill
                else set(),
                priority=rank[job.priority],
                time_windows=windows,
            )
        )
    solution = model.solve(
        exploration_level=5, nb_threads=2, timeout=datetime.timedelta(seconds=seconds)
    )
    steps = solution.routes
    order: dict[int, list[str]] = {}
    for row in steps.itertuples():
        if row.type == "job":
            order.setdefault(int(row.vehicle_id), []).append(problem.jobs[int(row.id)].id)
    routes, placed = [], set()
    for v, t in enumerate(problem.technicians):
        jobs = [problem.job(j) for j in order.get(v, [])]
        timed = timed_route(
            t,
            jobs,
            minutes=grid.minutes,
            index=grid.index,
            start_index=grid.starts[t.id],
            end_index=grid.ends[t.id],
        )
        routes.append(Route(t.id, timed.stops, timed.travel, timed.finish))
        placed |= {j.id for j in jobs}
    unplaced = tuple(Unplaced(j.id, "capacity", "") for j in problem.jobs if j.id not in placed)
    return Plan(tuple(routes), unplaced, time.monotonic() - began, "vroom")


def figures(problem: Problem, grid: Layout, plan: Plan) -> dict:
    starts = {s.job_id: s for r in plan.routes for s in r.stops}
    timed_jobs = [j for j in problem.jobs if j.window or j.due is not None]
    met = 0
    for job in timed_jobs:
        stop = starts.get(job.id)
        if stop is None:
            continue
        in_window = job.window is None or job.window.open <= stop.start <= job.window.close
        if in_window and (job.due is None or stop.end <= job.due):
            met += 1
    urgent = [j for j in problem.jobs if j.priority == "p1"]
    return {
        "method": plan.method,
        "seconds": plan.seconds,
        "placed": plan.placed,
        "travel": plan.travel,
        "per_job": plan.travel / max(1, plan.placed),
        "met": met / max(1, len(timed_jobs)),
        "p1": sum(1 for j in urgent if j.id in starts) / max(1, len(urgent)),
        "broken": len(violations(problem, plan, grid.lane)),
    }


def run(seed: int, technicians: int, jobs: int, limit: float, target: float) -> bool:
    problem = city(seed, technicians, jobs)
    began = time.monotonic()
    grid = layout(problem, StraightLine())
    matrix_s = time.monotonic() - began
    rows = [figures(problem, grid, greedy(problem, prepared=grid))]
    began = time.monotonic()
    best = solve(problem, prepared=grid, time_limit=limit)
    solved = figures(problem, grid, best)
    solved["seconds"] = time.monotonic() - began + matrix_s
    rows.append(solved)
    try:
        rows.append(figures(problem, grid, vroom_plan(problem, grid, limit)))
    except ImportError:
        print("  (pyvroom not installed: no VROOM row)")
    print(
        f"\n{technicians} technicians, {jobs} jobs (seed {seed}; matrix {matrix_s:.2f} s, "
        f"OR-Tools limit {limit:.0f} s)"
    )
    print(
        f"  {'method':<9}{'solve s':>8}{'placed':>8}{'travel min':>11}{'min/job':>9}"
        f"{'windows met':>12}{'P1 placed':>10}{'broken':>7}"
    )
    for r in rows:
        print(
            f"  {r['method']:<9}{r['seconds']:>8.2f}{r['placed']:>8}{r['travel']:>11}"
            f"{r['per_job']:>9.1f}{r['met']:>11.0%}{r['p1']:>10.0%}{r['broken']:>7}"
        )
    base = rows[0]
    saving = 1 - solved["travel"] / base["travel"]
    print(
        f"  OR-Tools travel vs greedy: {saving:+.1%} saved, "
        f"{solved['placed'] - base['placed']:+d} jobs placed"
    )
    ok = (
        saving >= 0.20
        and solved["placed"] >= base["placed"]
        and solved["broken"] == 0
        and solved["seconds"] <= target
    )
    print(
        f"  floor (>= 20 % less travel, >= greedy's jobs, 0 broken, <= {target:.0f} s): "
        f"{'met' if ok else 'MISSED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="the 20/200 city only")
    args = parser.parse_args()
    ok = run(args.seed, 20, 200, 8.0, 10.0)
    if not args.quick:
        ok = run(args.seed, 50, 600, 25.0, 30.0) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
