"""The baseline a dispatcher's rule of thumb gives: whoever is free first goes to the nearest job
they may do and can still fit (window, shift, way home) — nearest in time, so a job whose window
opens in the afternoon does not keep them waiting all morning. No look-ahead, no priorities."""

import time

from workorders.dispatch.planning.problem import Job, Plan, Problem, Route, Unplaced
from workorders.dispatch.planning.schedule import fit, timed_route
from workorders.dispatch.planning.solver import Layout, layout
from workorders.dispatch.planning.travel import StraightLine, TravelMatrix


def greedy(
    problem: Problem, *, matrix: TravelMatrix | None = None, prepared: Layout | None = None
) -> Plan:
    began = time.monotonic()
    grid = prepared or layout(problem, matrix or StraightLine())
    lanes: dict[str, list[Job]] = {t.id: [] for t in problem.technicians}
    free = {t.id: t.shift_start for t in problem.technicians if not t.unavailable}
    left = list(problem.jobs)
    while free and left:
        technician = problem.technician(min(free, key=lambda k: (free[k], k)))
        lane = lanes[technician.id]
        here = grid.index[lane[-1].id] if lane else grid.starts[technician.id]
        best = None
        for job in left:
            if fit(technician, job):
                continue
            timed = _timed(grid, technician, [*lane, job])
            if timed.problem:
                continue
            key = (timed.stops[-1].start, grid.minutes[here][grid.index[job.id]], job.id)
            if best is None or key < best[0]:
                best = (key, job, timed)
        if best is None:
            del free[technician.id]
            continue
        _, job, timed = best
        lane.append(job)
        left.remove(job)
        free[technician.id] = timed.stops[-1].end
    routes = []
    for technician in problem.technicians:
        timed = _timed(grid, technician, lanes[technician.id])
        routes.append(Route(technician.id, timed.stops, timed.travel, timed.finish))
    unplaced = tuple(Unplaced(j.id, "capacity", "not reached by the greedy rule") for j in left)
    return Plan(tuple(routes), unplaced, time.monotonic() - began, "greedy")


def _timed(grid: Layout, technician, jobs):
    return timed_route(
        technician,
        jobs,
        minutes=grid.minutes,
        index=grid.index,
        start_index=grid.starts[technician.id],
        end_index=grid.ends[technician.id],
    )
