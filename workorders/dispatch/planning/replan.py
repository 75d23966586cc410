"""Re-planning on the day, without solving again: an emergency job inserted where it disturbs
least (only jobs after the insertion move, nothing already started or past), and a technician
running late, whose later stops shift and say which of them now break a rule."""

from dataclasses import dataclass

from workorders.dispatch.planning.problem import Job, Plan, Problem, Route, Stop, clock
from workorders.dispatch.planning.schedule import fit, timed_route
from workorders.dispatch.planning.solver import Layout


@dataclass(frozen=True)
class Insertion:
    plan: Plan
    technician_id: str | None  # None: nowhere it fits
    position: int  # 0-based place in that lane
    added_travel: int
    delays: dict[str, int]  # later job id -> minutes it now starts later
    reason: str = ""


def _frozen(route: Route, now: int) -> int:
    """How many leading stops stay as they are: started or due to have started by now."""
    count = 0
    for stop in route.stops:
        if stop.start >= now:
            break
        count += 1
    return count


def _tail(
    problem: Problem,
    grid: Layout,
    route: Route,
    keep: int,
    jobs: list[Job],
    now: int,
    *,
    strict: bool = True,
):
    technician = problem.technician(route.technician_id)
    if keep:
        last = route.stops[keep - 1]
        here, ready = grid.index[last.job_id], last.end
    else:
        here, ready = grid.starts[technician.id], max(now, technician.shift_start)
    return timed_route(
        technician,
        jobs,
        minutes=grid.minutes,
        index=grid.index,
        start_index=here,
        end_index=grid.ends[technician.id],
        ready=ready,
        strict=strict,
    )


def _with(plan: Plan, route: Route) -> Plan:
    routes = tuple(route if r.technician_id == route.technician_id else r for r in plan.routes)
    return Plan(routes, plan.unplaced, plan.seconds, plan.method)


def insert_emergency(
    problem: Problem, plan: Plan, job: Job, *, grid: Layout, now: int
) -> Insertion:
    """Put ``job`` (already in ``problem`` and ``grid``) into the lane and place that cost the
    fewest minutes of delay to later work plus extra driving; ties go to the earlier start."""
    best = None
    for route in plan.routes:
        technician = problem.technician(route.technician_id)
        if fit(technician, job):
            continue
        keep = _frozen(route, now)
        later = [problem.job(s.job_id) for s in route.stops[keep:]]
        for position in range(keep, len(route.stops) + 1):
            order = [*later[: position - keep], job, *later[position - keep :]]
            timed = _tail(problem, grid, route, keep, order, now)
            if timed.problem:
                continue
            stops = route.stops[:keep] + timed.stops
            travel = (
                sum(s.travel for s in stops)
                + grid.minutes[grid.index[stops[-1].job_id]][grid.ends[technician.id]]
            )
            old = {s.job_id: s.start for s in route.stops}
            delays = {
                s.job_id: s.start - old[s.job_id]
                for s in timed.stops
                if s.job_id in old and s.start > old[s.job_id]
            }
            start = next(s.start for s in timed.stops if s.job_id == job.id)
            key = (sum(delays.values()) + travel - route.travel, start, technician.id)
            if best is None or key < best[0]:
                new = Route(technician.id, stops, travel, timed.finish)
                best = (key, new, position, travel - route.travel, delays)
    if best is None:
        return Insertion(plan, None, 0, 0, {}, "no technician can fit it in today")
    _, route, position, added, delays = best
    return Insertion(_with(plan, route), route.technician_id, position, added, delays)


@dataclass(frozen=True)
class Late:
    route: Route
    shifted: dict[str, int]  # job id -> minutes later
    broken: list[str]  # what the lane now breaks, in words


def running_late(
    problem: Problem, plan: Plan, technician_id: str, *, minutes: int, grid: Layout, now: int
) -> Late:
    """The technician's current (or next) job ends ``minutes`` later than planned: every later
    stop is retimed from there, in the same order; earlier stops stay."""
    route = plan.route_of(technician_id)
    technician = problem.technician(technician_id)
    if route is None or not route.stops:
        return Late(Route(technician_id, (), 0, technician.shift_start), {}, [])
    current = max(0, _frozen(route, now) - 1)
    late = route.stops[current]
    moved = Stop(late.job_id, late.arrival, late.start, late.end + minutes, late.travel)
    shifted_route = Route(
        technician_id, (*route.stops[:current], moved), route.travel, route.finish
    )
    later = [problem.job(s.job_id) for s in route.stops[current + 1 :]]
    timed = _tail(problem, grid, shifted_route, current + 1, later, now, strict=False)
    stops = (*route.stops[:current], moved, *timed.stops)
    old = {s.job_id: s.start for s in route.stops}
    shifted = {s.job_id: s.start - old[s.job_id] for s in timed.stops if s.start != old[s.job_id]}
    broken = []
    for stop in timed.stops:
        job = problem.job(stop.job_id)
        if job.window and stop.start > job.window.close:
            broken.append(
                f"{job.label or job.id} would start {clock(stop.start)}, after its window "
                f"closes {clock(job.window.close)}"
            )
        if job.due is not None and stop.end > job.due:
            broken.append(
                f"{job.label or job.id} would finish {clock(stop.end)}, SLA due {clock(job.due)}"
            )
    if timed.finish > technician.shift_end:
        broken.append(
            f"back {clock(timed.finish)}, after the shift ends {clock(technician.shift_end)}"
        )
    return Late(Route(technician_id, stops, route.travel, timed.finish), shifted, broken)
