"""Who should do this job: technicians ranked by skill, availability, distance and load, each with
the reasons a dispatcher would give out loud."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.time import zone_of
from workorders.dispatch.models import TechnicianStatus
from workorders.dispatch.selectors import (
    Window,
    display_name,
    distance_between,
    loads_for,
    profile_of,
    shift_check,
    skill_check,
    technician_point,
    technicians_for,
    window_for,
    work_order_points,
)
from workorders.models import WorkOrder

# Weights, in points. Skill dominates, then being free in the window; distance and load order
# the rest. Kept as plain numbers so a test can state why one technician ranks above another.
SKILL_BASE, SKILL_PER_LEVEL, SKILL_MISSING = 30, 2, -60
ON_SHIFT, OFF_SHIFT, TIME_OFF, CLASH = 20, -30, -40, -15
STATUS_OFF, STATUS_BUSY = -20, -5
KM_PER_POINT, DISTANCE_CAP, DISTANCE_UNKNOWN = 5.0, 30, -10
PER_OPEN_JOB = -4


@dataclass
class Reason:
    kind: str  # skill / availability / distance / load / status
    ok: bool
    text: str


@dataclass
class Suggestion:
    technician: Membership
    score: float
    reasons: list[Reason] = field(default_factory=list)
    needs_override: list[str] = field(default_factory=list)
    distance_km: float | None = None
    open_jobs: int = 0

    @property
    def name(self) -> str:
        return display_name(self.technician)


def suggestions_for(
    *,
    membership: Membership,
    work_order: WorkOrder,
    start: datetime | None = None,
    now: datetime | None = None,
    technicians: list[Membership] | None = None,
) -> list[Suggestion]:
    """Every active technician of the organisation, best first (those needing an override last)."""
    now = now or timezone.now()
    zone = zone_of(membership)
    window = window_for(work_order, now=now, start=start)
    if technicians is None:
        technicians = list(technicians_for(membership.organization_id))
    site = work_order_points([work_order]).get(work_order.pk)
    loads = loads_for(technicians, window=window, exclude=work_order.pk)
    ranked = [
        _rank(t, work_order, window=window, zone=zone, site=site, load=loads[t.pk], now=now)
        for t in technicians
    ]
    ranked.sort(key=lambda s: (bool(s.needs_override), -s.score, s.name))
    return ranked


def _rank(technician, work_order, *, window: Window, zone, site, load, now) -> Suggestion:
    suggestion = Suggestion(technician=technician, score=0.0, open_jobs=load.open_jobs)
    add = suggestion.reasons.append

    skill = skill_check(technician, work_order.required_skill, window.start.astimezone(zone).date())
    if not work_order.required_skill:
        add(Reason("skill", True, skill.text))
    elif skill.ok:
        suggestion.score += SKILL_BASE + SKILL_PER_LEVEL * skill.level
        add(Reason("skill", True, f"Has {skill.text}"))
    else:
        suggestion.score += SKILL_MISSING
        suggestion.needs_override.append(skill.problem)
        add(Reason("skill", False, skill.text))

    shift = shift_check(technician, window, zone)
    if shift.ok:
        suggestion.score += ON_SHIFT if shift.recorded else 0
        text = shift.text if window.planned or not shift.recorded else f"Now: {shift.text}"
        add(Reason("availability", True, text))
    else:
        suggestion.score += TIME_OFF if shift.problem == "time_off" else OFF_SHIFT
        if window.planned:
            suggestion.needs_override.append(shift.problem)
        add(Reason("availability", False, shift.text if window.planned else f"Now: {shift.text}"))
    if load.clashes:
        suggestion.score += CLASH * len(load.clashes)
        add(Reason("availability", False, f"Booked then: {', '.join(load.clashes[:3])}"))

    profile = profile_of(technician)
    status = profile.status if profile else TechnicianStatus.AVAILABLE
    if status == TechnicianStatus.OFF:
        suggestion.score += STATUS_OFF
        add(Reason("status", False, "Marked off"))
    elif status in (TechnicianStatus.BUSY, TechnicianStatus.TRAVELLING):
        suggestion.score += STATUS_BUSY
        add(Reason("status", True, f"Currently {profile.get_status_display().lower()}"))

    where = technician_point(technician, now=now)
    km = distance_between(site, where.point)
    suggestion.distance_km = km
    if km is None:
        suggestion.score += DISTANCE_UNKNOWN
        add(Reason("distance", False, "Distance unknown (no site or technician position)"))
    else:
        suggestion.score -= min(DISTANCE_CAP, km / KM_PER_POINT)
        add(Reason("distance", km <= 50, f"{km:.1f} km away ({where.text})"))

    suggestion.score += PER_OPEN_JOB * load.open_jobs
    jobs = "job" if load.open_jobs == 1 else "jobs"
    add(Reason("load", load.open_jobs < 5, f"{load.open_jobs} open {jobs}"))
    suggestion.score = round(suggestion.score, 1)
    return suggestion
