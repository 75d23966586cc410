"""The day's plan as a vehicle routing problem with time windows, solved by OR-Tools.

Technicians are vehicles (start and end of day at their own places, shift as the vehicle's time
window, breaks as fixed break intervals that may fall during travel but never during a job);
jobs are nodes with their duration as visit time, an allowed set of technicians (skill, level,
certificate, pin), a hard start window and a soft SLA due time. Each job may be dropped at a
penalty by priority, so when not everything fits the most important work stays. Arc cost is
driving minutes. Times come back from ``timed_route`` over the solver's order, so whatever the
solver did, the plan states the earliest schedule the order allows."""

import time
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from workorders.dispatch.planning.problem import (
    DAY_MINUTES,
    DROP_PENALTY,
    LATE_PER_MINUTE,
    PINNED_PENALTY,
    Job,
    Plan,
    Point,
    Problem,
    Route,
    Unplaced,
)
from workorders.dispatch.planning.schedule import alone, fit, timed_route
from workorders.dispatch.planning.travel import StraightLine, TravelMatrix

COST_SCALE = 100
SPAN_COST = 1
FIRST = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION


@dataclass(frozen=True)
class Layout:
    """The travel matrix over jobs, then each technician's day start and day end."""

    minutes: list[list[int]]
    index: dict[str, int]
    starts: dict[str, int]
    ends: dict[str, int]

    def lane(self, technician_id: str, job_ids: list[str]):
        return self.minutes, self.index, self.starts[technician_id], self.ends[technician_id]


def layout(problem: Problem, matrix: TravelMatrix) -> Layout:
    points: list[Point] = [j.point for j in problem.jobs]
    index = {j.id: i for i, j in enumerate(problem.jobs)}
    starts, ends = {}, {}
    for technician in problem.technicians:
        starts[technician.id] = len(points)
        points.append(technician.start)
        ends[technician.id] = len(points)
        points.append(technician.end)
    return Layout(matrix.minutes(points), index, starts, ends)


def solve(
    problem: Problem,
    *,
    matrix: TravelMatrix | None = None,
    time_limit: float = 5.0,
    prepared: Layout | None = None,
    start_from: dict[str, list[str]] | None = None,
) -> Plan:
    """The plan within ``time_limit`` seconds. ``start_from`` (lanes of job ids, e.g. today's
    plan or the greedy baseline) seeds the search instead of cheapest insertion."""
    began = time.monotonic()
    grid = prepared or layout(problem, matrix or StraightLine())
    unplaced: list[Unplaced] = []
    candidates: list[Job] = []
    for job in problem.jobs:
        why = alone(problem, job, grid.minutes, grid.index, grid.starts, grid.ends)
        if why:
            unplaced.append(Unplaced(job.id, *why))
        else:
            candidates.append(job)
    technicians = [t for t in problem.technicians if not t.unavailable]
    if not candidates or not technicians:
        routes = tuple(Route(t.id, (), 0, t.shift_start) for t in problem.technicians)
        return Plan(routes, tuple(unplaced), time.monotonic() - began, "or-tools")

    order = _route(problem, grid, candidates, technicians, time_limit, start_from)
    routes = []
    for technician in problem.technicians:
        jobs = [problem.job(job_id) for job_id in order.get(technician.id, [])]
        timed = timed_route(
            technician,
            jobs,
            minutes=grid.minutes,
            index=grid.index,
            start_index=grid.starts[technician.id],
            end_index=grid.ends[technician.id],
        )
        routes.append(Route(technician.id, timed.stops, timed.travel, timed.finish))
    planned = {job_id for ids in order.values() for job_id in ids}
    for job in candidates:
        if job.id not in planned:
            unplaced.append(Unplaced(job.id, "capacity", _no_room(problem, job)))
    return Plan(tuple(routes), tuple(unplaced), time.monotonic() - began, "or-tools")


def _no_room(problem: Problem, job: Job) -> str:
    names = [t.name for t in problem.technicians if fit(t, job) is None]
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (
        f"Fits alone, but no eligible technician ({shown}) has room once "
        f"higher-priority and nearer work is placed"
    )


def _route(
    problem: Problem,
    grid: Layout,
    jobs: list[Job],
    technicians,
    time_limit: float,
    start_from: dict[str, list[str]] | None = None,
) -> dict[str, list[str]]:
    # Nodes: the candidate jobs, then each technician's start and end.
    nodes = [grid.index[j.id] for j in jobs]
    for technician in technicians:
        nodes += [grid.starts[technician.id], grid.ends[technician.id]]
    n = len(jobs)
    starts = [n + 2 * k for k in range(len(technicians))]
    ends = [n + 2 * k + 1 for k in range(len(technicians))]
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(technicians), starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    service = [j.duration for j in jobs] + [0] * (2 * len(technicians))
    drive = [[grid.minutes[a][b] for b in nodes] for a in nodes]
    # A driving minute costs COST_SCALE, a minute of the day's span 1: travel decides, and of
    # two equally short days the one with less waiting wins.
    cost = routing.RegisterTransitMatrix([[COST_SCALE * d for d in row] for row in drive])
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    busy = routing.RegisterTransitMatrix(
        [[service[a] + drive[a][b] for b in range(len(nodes))] for a in range(len(nodes))]
    )
    routing.AddDimension(busy, DAY_MINUTES, DAY_MINUTES, False, "time")
    clock = routing.GetDimensionOrDie("time")
    clock.SetSpanCostCoefficientForAllVehicles(SPAN_COST)

    for v, technician in enumerate(technicians):
        clock.CumulVar(routing.Start(v)).SetRange(technician.shift_start, technician.shift_end)
        clock.CumulVar(routing.End(v)).SetRange(technician.shift_start, technician.shift_end)
        routing.AddVariableMinimizedByFinalizer(clock.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(clock.CumulVar(routing.End(v)))

    solver = routing.solver()
    # The visit part of each transit (the job itself), which no break may interrupt.
    visits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    for v, technician in enumerate(technicians):
        if technician.breaks:
            intervals = [
                solver.FixedDurationIntervalVar(b.start, b.start, b.end - b.start, False, f"b{v}")
                for b in technician.breaks
            ]
            clock.SetBreakIntervalsOfVehicle(intervals, v, visits)

    for node, job in enumerate(jobs):
        index = manager.NodeToIndex(node)
        allowed = [v for v, t in enumerate(technicians) if fit(t, job) is None]
        # -1: dropped. (SetAllowedVehiclesForIndex's binding takes no Python list in 9.15.)
        routing.VehicleVar(index).SetValues([-1, *allowed])
        opens, closes = (job.window.open, job.window.close) if job.window else (0, DAY_MINUTES)
        if job.pinned_start is not None:
            opens = closes = job.pinned_start
        clock.CumulVar(index).SetRange(opens, closes)
        if job.due is not None:
            clock.SetCumulVarSoftUpperBound(
                index,
                max(0, job.due - job.duration),
                COST_SCALE * LATE_PER_MINUTE.get(job.priority, 1),
            )
        penalty = PINNED_PENALTY if job.pinned_to else DROP_PENALTY.get(job.priority, 10_000)
        routing.AddDisjunction([index], COST_SCALE * penalty)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = FIRST
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(max(100, int(time_limit * 1000)))
    solution = None
    if start_from:
        node_of = {job.id: node for node, job in enumerate(jobs)}
        lanes = [
            [node_of[j] for j in start_from.get(t.id, []) if j in node_of] for t in technicians
        ]
        routing.CloseModelWithParameters(parameters)
        seed = routing.ReadAssignmentFromRoutes(lanes, True)
        if seed is not None:
            solution = routing.SolveFromAssignmentWithParameters(seed, parameters)
    if solution is None:
        solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return {}
    order: dict[str, list[str]] = {}
    for v, technician in enumerate(technicians):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        lane = []
        while not routing.IsEnd(index):
            lane.append(jobs[manager.IndexToNode(index)].id)
            index = solution.Value(routing.NextVar(index))
        order[technician.id] = lane
    return order
