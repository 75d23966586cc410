"""Who may do a job, when a technician can start it, and whether a plan keeps every hard rule.

The solver, the greedy baseline and the tests all time a lane with ``timed_route``, and
``violations`` checks a plan independently of whoever made it."""

from collections.abc import Sequence
from dataclasses import dataclass

from workorders.dispatch.planning.problem import Job, Plan, Problem, Stop, Technician, clock


def fit(technician: Technician, job: Job) -> tuple[str, str] | None:
    """(constraint, text) that keeps ``technician`` off ``job`` whatever the time; None if fit."""
    if job.pinned_to is not None and job.pinned_to != technician.id:
        return "pinned", f"pinned to another technician, not {technician.name}"
    if technician.unavailable:
        return "unavailable", f"{technician.name}: {technician.unavailable}"
    if not job.skill:
        return None
    level = technician.skills.get(job.skill)
    if level is None:
        return "skill", f"{technician.name} lacks skill {job.skill}"
    if level < job.min_level:
        return (
            "skill_level",
            f"{technician.name} holds {job.skill} at level {level}, {job.min_level} needed",
        )
    if job.needs_certification and job.skill not in technician.certified:
        return "certification", f"{technician.name} has no valid {job.skill} certification"
    return None


def _break_minutes(technician: Technician, start: int, end: int) -> int:
    return sum(
        max(0, min(b.end, end) - max(b.start, start)) for b in technician.breaks if end > start
    )


def earliest_start(
    technician: Technician, *, ready: int, travel: int, opens: int, duration: int
) -> int:
    """The first minute the job can start: ``travel`` minutes of driving fit between ``ready``
    and it outside the breaks, and the job itself overlaps no break."""
    start = max(opens, ready + travel)
    while True:
        blocked = _break_minutes(technician, ready, start)
        if start - ready - blocked < travel:
            start = ready + travel + blocked
            continue
        clash = next(
            (b for b in technician.breaks if b.start < start + duration and b.end > start), None
        )
        if clash is None:
            return start
        start = clash.end


@dataclass(frozen=True)
class Timed:
    stops: tuple[Stop, ...]
    travel: int
    finish: int
    problem: str = ""  # the first rule the order breaks, empty when none


def timed_route(
    technician: Technician,
    jobs: Sequence[Job],
    *,
    minutes: list[list[int]],
    index: dict[str, int],
    start_index: int,
    end_index: int,
    ready: int | None = None,
    strict: bool = True,
) -> Timed:
    """Each stop at its earliest start, in the order given. ``minutes`` is the travel matrix over
    the points that ``index`` (job id -> row), ``start_index`` and ``end_index`` name; the lane
    leaves ``start_index`` at ``ready`` (default: the shift's start). ``strict`` stops at the
    first broken rule; otherwise every stop is timed and the first problem reported."""
    at = technician.shift_start if ready is None else max(ready, technician.shift_start)
    here, driven = start_index, 0
    stops: list[Stop] = []
    first_problem = ""
    for job in jobs:
        there = index[job.id]
        leg = minutes[here][there]
        opens = job.window.open if job.window else 0
        if job.pinned_start is not None:
            opens = max(opens, job.pinned_start)
        start = earliest_start(technician, ready=at, travel=leg, opens=opens, duration=job.duration)
        arrival = earliest_start(technician, ready=at, travel=leg, opens=0, duration=0)
        stops.append(Stop(job.id, arrival, start, start + job.duration, leg))
        driven += leg
        closes = job.window.close if job.window else None
        if job.pinned_start is not None:
            closes = job.pinned_start if closes is None else min(closes, job.pinned_start)
        if closes is not None and start > closes:
            if strict:
                return Timed(tuple(stops), driven, start, f"{job.id} starts {clock(start)}")
            first_problem = first_problem or f"{job.id} starts {clock(start)}"
        at, here = start + job.duration, there
    leg = minutes[here][end_index]
    finish = earliest_start(technician, ready=at, travel=leg, opens=0, duration=0)
    driven += leg
    if finish > technician.shift_end:
        first_problem = first_problem or f"back {clock(finish)}"
    return Timed(tuple(stops), driven, finish, first_problem)


def violations(problem: Problem, plan: Plan, minutes_of) -> list[str]:
    """Every hard rule the plan breaks (empty when it keeps them all). ``minutes_of(tech_id,
    job_ids)`` gives (matrix, index, start, end) for one lane's points."""
    found: list[str] = []
    seen: set[str] = set()
    for route in plan.routes:
        technician = problem.technician(route.technician_id)
        jobs = [problem.job(s.job_id) for s in route.stops]
        for job in jobs:
            if job.id in seen:
                found.append(f"{job.id} planned twice")
            seen.add(job.id)
            why = fit(technician, job)
            if why:
                found.append(f"{job.id} with {technician.id}: {why[0]}")
        if not jobs:
            continue
        matrix, index, start, end = minutes_of(technician.id, [j.id for j in jobs])
        timed = timed_route(
            technician, jobs, minutes=matrix, index=index, start_index=start, end_index=end
        )
        if timed.problem:
            found.append(f"{technician.id}: {timed.problem}")
        for promised, earliest in zip(route.stops, timed.stops, strict=True):
            if promised.start < earliest.start:
                found.append(f"{promised.job_id} promised {clock(promised.start)}, too early")
            if any(b.start < promised.end and b.end > promised.start for b in technician.breaks):
                found.append(f"{promised.job_id} overlaps a break")
            job = problem.job(promised.job_id)
            if job.window and not job.window.open <= promised.start <= job.window.close:
                found.append(f"{promised.job_id} outside its window")
            if job.pinned_start is not None and promised.start != job.pinned_start:
                found.append(f"{promised.job_id} moved off its pinned time")
    for job in problem.jobs:
        if job.pinned_to and job.id not in seen:
            found.append(f"{job.id} pinned but not planned")
    unplaced = {u.job_id for u in plan.unplaced}
    for job in problem.jobs:
        if job.id not in seen and job.id not in unplaced:
            found.append(f"{job.id} neither planned nor reported")
    return found


def alone(
    problem: Problem, job: Job, minutes: list[list[int]], index: dict[str, int], starts, ends
) -> tuple[str, str] | None:
    """Why no technician could do ``job`` even with nothing else to do (None: someone could).
    ``starts``/``ends`` map technician id -> matrix row of their day's start and end."""
    reasons: list[tuple[str, str]] = []
    for technician in problem.technicians:
        why = fit(technician, job)
        if why:
            reasons.append(why)
            continue
        timed = timed_route(
            technician,
            [job],
            minutes=minutes,
            index=index,
            start_index=starts[technician.id],
            end_index=ends[technician.id],
        )
        if not timed.problem:
            return None
        reasons.append(_timing_reason(technician, job, timed, minutes, index, starts))
    return _most_telling(reasons)


# When every technician is kept off for some reason, the one that came nearest is the one a
# dispatcher can act on (a certificate to renew beats "nobody has the trade").
_NEARNESS = [
    "window",
    "shift",
    "break",
    "certification",
    "skill_level",
    "skill",
    "unavailable",
    "pinned",
]


def _most_telling(reasons: list[tuple[str, str]]) -> tuple[str, str]:
    if not reasons:
        return "unavailable", "no technician works that day"
    best = min(reasons, key=lambda r: _NEARNESS.index(r[0]))
    same = [text for code, text in reasons if code == best[0]]
    return best[0], "; ".join(same[:3]) + (f" (+{len(same) - 3} more)" if len(same) > 3 else "")


def _timing_reason(technician, job, timed, minutes, index, starts) -> tuple[str, str]:
    name = technician.name
    stop = timed.stops[0]
    window = job.window
    if window and (
        window.close < technician.shift_start or window.open + job.duration > technician.shift_end
    ):
        return (
            "window",
            f"the {window.kind} window {clock(window.open)}-{clock(window.close)} is outside "
            f"{name}'s shift {clock(technician.shift_start)}-{clock(technician.shift_end)}",
        )
    if job.window and stop.start > job.window.close:
        without = earliest_start(
            technician,
            ready=technician.shift_start,
            travel=0,
            opens=job.window.open,
            duration=job.duration,
        )
        if without > job.window.close and technician.breaks:
            return "break", f"{name} is on a break or time off through the window"
        return (
            "window",
            f"{name} can start {clock(stop.start)} at the earliest; the {job.window.kind} "
            f"window is {clock(job.window.open)}-{clock(job.window.close)}",
        )
    return (
        "shift",
        f"{name} would be back {clock(timed.finish)}, after the shift ends "
        f"{clock(technician.shift_end)}",
    )
