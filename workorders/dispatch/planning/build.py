"""The planning problem for one day, read from the database: the open work that is not yet
under way (unscheduled or scheduled that day), the technicians with their shifts, time off,
skills and certificates, and where each starts and ends the day.

Durations: the estimate, else the median of the work type's completed jobs (last 180 days),
else an hour. SLA: the resolution due time, as a soft finish-by. Work already under way today
is pinned to its technician from now on, for its remaining estimate."""

import itertools
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q

from assets.models import Location
from fieldops.accounts.models import Membership
from workorders.dispatch.models import Crew, Skill
from workorders.dispatch.planning.problem import (
    DAY_MINUTES,
    Break,
    Job,
    Problem,
    Technician,
)
from workorders.dispatch.selectors import (
    DEFAULT_JOB_MINUTES,
    assignees_of,
    display_name,
    profile_of,
    technician_point,
    technicians_for,
    work_order_points,
)
from workorders.lifecycle import READY_STATUSES, UNDER_WAY_STATUSES
from workorders.models import WorkOrder

HISTORY_DAYS = 180
# A technician with no shift pattern on record is taken to work a usual day.
USUAL_DAY = (time(8, 0), time(17, 0))


@dataclass
class Built:
    problem: Problem
    day: date
    zone: zoneinfo.ZoneInfo
    work_orders: dict[str, WorkOrder]
    technicians: dict[str, Membership]
    current: dict[str, list[str]]  # work order id -> technician ids assigned now
    started: set[str] = field(default_factory=set)
    unlocated: list[WorkOrder] = field(default_factory=list)

    def at(self, minutes: int) -> datetime:
        midnight = datetime.combine(self.day, time(0), tzinfo=self.zone)
        return midnight + timedelta(minutes=minutes)

    def minutes(self, moment: datetime | None) -> int | None:
        if moment is None:
            return None
        midnight = datetime.combine(self.day, time(0), tzinfo=self.zone)
        return int((moment - midnight).total_seconds() // 60)


def _clip(value: int) -> int:
    return max(0, min(DAY_MINUTES, value))


def build_problem(
    *,
    organization_id: int,
    zone: zoneinfo.ZoneInfo,
    day: date,
    now: datetime,
    site: Location | None = None,
    crew: Crew | None = None,
) -> Built:
    people = list(technicians_for(organization_id))
    if crew is not None:
        people = [t for t in people if (p := profile_of(t)) and p.crew_id == crew.pk]
    start_of_day = datetime.combine(day, time(0), tzinfo=zone)
    end_of_day = start_of_day + timedelta(days=1)
    built = Built(Problem((), ()), day, zone, {}, {t.public_id.hex: t for t in people}, {})

    ready = Q(status__in=READY_STATUSES) & (
        Q(scheduled_start__isnull=True)
        | Q(scheduled_start__gte=start_of_day, scheduled_start__lt=end_of_day)
    )
    under_way = Q(status__in=UNDER_WAY_STATUSES, assignments__membership__in=people)
    query = WorkOrder.objects.filter(organization_id=organization_id).filter(
        ready | under_way if day == now.astimezone(zone).date() else ready
    )
    if site is not None:
        query = query.filter(
            Q(location__path__startswith=site.path) | Q(asset__location__path__startswith=site.path)
        )
    work = list(query.select_related("asset", "location").distinct().order_by("number"))
    assigned = assignees_of([wo.pk for wo in work])
    by_pk = {t.pk: t for t in people}
    if crew is not None:
        # A crew plans its own and unassigned work, not another crew's.
        work = [wo for wo in work if all(m in by_pk for m in assigned.get(wo.pk, []))]
    points = work_order_points(work)
    medians = _type_medians(organization_id, now)
    skills = {s.code.lower(): s for s in Skill.objects.filter(organization_id=organization_id)} | {
        s.name.lower(): s for s in Skill.objects.filter(organization_id=organization_id)
    }

    now_minute = _clip(built.minutes(now) or 0)
    jobs = []
    for wo in work:
        key = wo.public_id.hex
        built.current[key] = [by_pk[m].public_id.hex for m in assigned.get(wo.pk, []) if m in by_pk]
        if wo.pk not in points:
            built.unlocated.append(wo)
            continue
        built.work_orders[key] = wo
        minutes = wo.estimated_minutes or medians.get(wo.work_type) or DEFAULT_JOB_MINUTES
        skill = skills.get((wo.required_skill or "").strip().lower())
        due = built.minutes(wo.due_at) if wo.due_at and wo.due_at < end_of_day else None
        pinned_to = pinned_start = None
        if wo.status in UNDER_WAY_STATUSES and built.current[key]:
            built.started.add(key)
            pinned_to, pinned_start = built.current[key][0], now_minute
            spent = int((now - (wo.started_at or now)).total_seconds() // 60)
            minutes = max(15, minutes - spent)
        jobs.append(
            Job(
                key,
                points[wo.pk],
                int(minutes),
                priority=wo.priority,
                skill=skill.code.lower() if skill else (wo.required_skill or "").strip().lower(),
                needs_certification=bool(skill and skill.requires_certification),
                due=_clip(due) if due is not None else None,
                pinned_to=pinned_to,
                pinned_start=pinned_start,
                label=wo.reference,
            )
        )
    technicians = [_technician(t, day, zone, now, built) for t in people]
    built.problem = Problem(tuple(technicians), tuple(jobs))
    return built


def _type_medians(organization_id: int, now: datetime) -> dict[str, int]:
    spans: dict[str, list[float]] = defaultdict(list)
    rows = (
        WorkOrder.objects.filter(
            organization_id=organization_id,
            completed_at__gte=now - timedelta(days=HISTORY_DAYS),
            started_at__isnull=False,
        )
        .order_by("-completed_at")
        .values_list("work_type", "started_at", "completed_at")[:5000]
    )
    for work_type, started, completed in rows:
        if completed > started:
            spans[work_type].append((completed - started).total_seconds() / 60)
    return {kind: max(5, round(statistics.median(v))) for kind, v in spans.items()}


def _technician(member: Membership, day: date, zone, now: datetime, built: Built) -> Technician:
    profile = profile_of(member)
    name = display_name(member)
    key = member.public_id.hex
    where = technician_point(member, now=now)
    home = None
    if profile is not None and profile.home_latitude is not None:
        home = (float(profile.home_latitude), float(profile.home_longitude))
    start = where.point if day == now.astimezone(zone).date() and where.live else home
    shifts = [s for s in (profile.shifts.all() if profile else []) if s.weekday == day.weekday()]
    recorded = bool(profile and list(profile.shifts.all()))
    skills, certified = {}, set()
    if profile is not None:
        certificates = list(profile.certifications.all())
        for entry in profile.skills.all():
            code = entry.skill.code.lower()
            skills[code] = entry.level
            if any(
                c.skill_id == entry.skill_id and (c.expires_on is None or c.expires_on >= day)
                for c in certificates
            ):
                certified.add(code)
    if start is None or home is None:
        return Technician(
            key, name, (0.0, 0.0), (0.0, 0.0), 0, 0, unavailable=_nowhere(start, home)
        )
    if recorded and not shifts:
        return Technician(key, name, start, home, 0, 0, unavailable=f"no shift on {day:%A}")
    windows = [(s.starts, s.ends) for s in shifts] or [USUAL_DAY]
    windows.sort()
    first = windows[0][0].hour * 60 + windows[0][0].minute
    last = max(e.hour * 60 + e.minute for _, e in windows)
    breaks = [
        Break(a[1].hour * 60 + a[1].minute, b[0].hour * 60 + b[0].minute, "between shifts")
        for a, b in itertools.pairwise(windows)
        if b[0] > a[1]
    ]
    for off in profile.time_off.all() if profile else []:
        a, b = _clip(built.minutes(off.starts_at)), _clip(built.minutes(off.ends_at))
        if a <= first and b >= last:
            reason = "time off" + (f" ({off.reason})" if off.reason else "")
            return Technician(key, name, start, home, first, last, unavailable=reason)
        if b > a and b > first and a < last:
            breaks.append(Break(a, b, "time off"))
    if day == now.astimezone(zone).date():
        first = max(first, _clip(built.minutes(now)))
    if first >= last:
        return Technician(key, name, start, home, first, last, unavailable="the shift is over")
    return Technician(
        key,
        name,
        start,
        home,
        first,
        last,
        breaks=tuple(sorted(breaks, key=lambda b: b.start)),
        skills=skills,
        certified=frozenset(certified),
    )


def _nowhere(start, home) -> str:
    return "no home base recorded" if home is None else "no position known"
