"""A day-planning problem and its answer, in minutes since the planned day's local midnight.

Plain frozen dataclasses: no Django, no database, so the solver, the greedy baseline, the
checker and the bench share them and a test can write an instance out literally."""

from collections.abc import Mapping
from dataclasses import dataclass, field

Point = tuple[float, float]  # (latitude, longitude)

# What a dropped job costs the objective, by priority (travel costs 1 a minute). Each level is
# worth ten of the one below, so the solver drops low-priority work first when a day is full.
DROP_PENALTY: Mapping[str, int] = {"p1": 1_000_000, "p2": 100_000, "p3": 10_000, "p4": 1_000}
# A pinned or started job is kept unless it is impossible.
PINNED_PENALTY = 100_000_000
# A minute finished past the SLA due time, by priority (soft: late beats not at all).
LATE_PER_MINUTE: Mapping[str, int] = {"p1": 10, "p2": 5, "p3": 2, "p4": 1}
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Break:
    """A fixed time a technician does not travel or work: a gap between shifts, time off."""

    start: int
    end: int
    reason: str = "break"


@dataclass(frozen=True)
class Technician:
    id: str
    name: str
    start: Point
    end: Point
    shift_start: int
    shift_end: int
    breaks: tuple[Break, ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)  # skill code -> level 1..5
    certified: frozenset[str] = frozenset()  # skill codes with a certificate valid that day
    unavailable: str = ""  # why they cannot work at all that day (no shift, a day off)


@dataclass(frozen=True)
class Window:
    """Service must start within [open, close] (an appointment, a PM due window)."""

    open: int
    close: int
    kind: str = "appointment"


@dataclass(frozen=True)
class Job:
    id: str
    point: Point
    duration: int
    priority: str = "p3"
    skill: str = ""
    min_level: int = 1
    needs_certification: bool = False
    window: Window | None = None  # hard
    due: int | None = None  # SLA: finish by (soft)
    pinned_to: str | None = None  # a technician id: pinned or already started
    pinned_start: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Problem:
    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]

    def job(self, job_id: str) -> Job:
        return next(j for j in self.jobs if j.id == job_id)

    def technician(self, technician_id: str) -> Technician:
        return next(t for t in self.technicians if t.id == technician_id)


@dataclass(frozen=True)
class Stop:
    job_id: str
    arrival: int
    start: int
    end: int
    travel: int  # minutes from the previous stop (or the day's start)


@dataclass(frozen=True)
class Route:
    technician_id: str
    stops: tuple[Stop, ...]
    travel: int  # all the lane's driving, the way home included
    finish: int  # back at the end location


@dataclass(frozen=True)
class Unplaced:
    job_id: str
    constraint: (
        str  # skill, skill_level, certification, pinned, unavailable, window, shift, capacity
    )
    text: str


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unplaced: tuple[Unplaced, ...]
    seconds: float = 0.0
    method: str = ""

    @property
    def travel(self) -> int:
        return sum(r.travel for r in self.routes)

    @property
    def placed(self) -> int:
        return sum(len(r.stops) for r in self.routes)

    def route_of(self, technician_id: str) -> Route | None:
        return next((r for r in self.routes if r.technician_id == technician_id), None)

    def order(self) -> dict[str, list[str]]:
        """Each lane's job ids in order (lanes without work left out)."""
        return {r.technician_id: [s.job_id for s in r.stops] for r in self.routes if r.stops}


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
