"""Reads of the workforce: who can do what, when and where — used by suggestions, the assignment
rules and the board, each in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from assets.models import Location
from fieldops.accounts.models import Membership, Role
from fieldops.errors import NotFound
from workorders.dispatch.geo import Point, haversine_km, point
from workorders.dispatch.models import (
    Certification,
    DeviceState,
    OverrideReason,
    Shift,
    TechnicianProfile,
    TechnicianSkill,
    TimeOff,
)
from workorders.models import OPEN_STATUSES, WorkOrder, WorkOrderAssignment

# A phone's reported position is trusted this long; after that the home base stands in.
POSITION_FRESH = timedelta(hours=4)
DEFAULT_JOB_MINUTES = 60


def technicians_for(organization_id: int) -> QuerySet[Membership]:
    """Active technicians with everything dispatch needs: six queries, whatever the headcount."""
    recent = timezone.now() - timedelta(days=1)
    return (
        Membership.objects.filter(
            organization_id=organization_id, role=Role.TECHNICIAN, is_active=True
        )
        .select_related("user", "technician_profile__crew")
        .prefetch_related(
            Prefetch(
                "technician_profile__skills",
                queryset=TechnicianSkill.objects.select_related("skill").order_by(
                    "-level", "skill__name"
                ),
            ),
            Prefetch("technician_profile__certifications", queryset=Certification.objects.all()),
            Prefetch("technician_profile__shifts", queryset=Shift.objects.all()),
            Prefetch(
                "technician_profile__time_off",
                queryset=TimeOff.objects.filter(ends_at__gte=recent).order_by("starts_at"),
            ),
            Prefetch("device_states", queryset=DeviceState.objects.order_by("-last_synced_at")),
        )
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def technician_get_for_member(membership: Membership, public_id) -> Membership:
    found = technicians_for(membership.organization_id).filter(public_id=public_id).first()
    if found is None:
        raise NotFound()
    return found


def profile_of(technician: Membership) -> TechnicianProfile | None:
    try:
        return technician.technician_profile
    except TechnicianProfile.DoesNotExist:
        return None


def display_name(technician: Membership) -> str:
    return technician.user.get_full_name() or technician.user.get_username()


# --- skills -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillCheck:
    ok: bool
    level: int = 0
    problem: str = ""  # an OverrideReason when not ok
    text: str = ""


def skill_check(technician: Membership, required: str, on: date) -> SkillCheck:
    """Does the technician hold ``required`` (a skill code or name) on day ``on``?"""
    wanted = (required or "").strip().lower()
    if not wanted:
        return SkillCheck(ok=True, text="No skill required")
    profile = profile_of(technician)
    held = None
    if profile is not None:
        for entry in profile.skills.all():
            if wanted in (entry.skill.code.lower(), entry.skill.name.lower()):
                held = entry
                break
    if held is None:
        return SkillCheck(
            ok=False, problem=OverrideReason.MISSING_SKILL, text=f"Lacks skill “{required}”"
        )
    skill = held.skill
    if skill.requires_certification:
        certificates = [c for c in profile.certifications.all() if c.skill_id == skill.pk]
        valid = [c for c in certificates if c.expires_on is None or c.expires_on >= on]
        if not valid:
            if certificates:
                latest = max(c.expires_on for c in certificates if c.expires_on)
                return SkillCheck(
                    ok=False,
                    problem=OverrideReason.EXPIRED_CERTIFICATION,
                    text=f"{skill.name} certification expired {latest:%d %b %Y}",
                )
            return SkillCheck(
                ok=False,
                problem=OverrideReason.MISSING_SKILL,
                text=f"{skill.name} needs a certification; none on record",
            )
    return SkillCheck(ok=True, level=held.level, text=f"{skill.name} level {held.level}/5")


# --- availability -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    planned: bool  # False: the work has no schedule, "now" stands in


def window_for(work_order: WorkOrder, *, now: datetime, start: datetime | None = None) -> Window:
    minutes = work_order.estimated_minutes or DEFAULT_JOB_MINUTES
    if start is not None:
        return Window(start, start + timedelta(minutes=minutes), True)
    if work_order.scheduled_start:
        end = work_order.scheduled_end or work_order.scheduled_start + timedelta(minutes=minutes)
        return Window(work_order.scheduled_start, end, True)
    return Window(now, now + timedelta(minutes=minutes), False)


@dataclass(frozen=True)
class ShiftCheck:
    ok: bool
    problem: str = ""
    text: str = ""
    recorded: bool = True  # False: no shift pattern kept for this technician


def shift_check(technician: Membership, window: Window, zone) -> ShiftCheck:
    profile = profile_of(technician)
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    if profile is not None:
        for off in profile.time_off.all():
            if off.starts_at < window.end and off.ends_at > window.start:
                until = timezone.localtime(off.ends_at, zone)
                return ShiftCheck(
                    ok=False,
                    problem=OverrideReason.TIME_OFF,
                    text=f"Time off until {until:%a %d %b %H:%M}"
                    + (f" ({off.reason})" if off.reason else ""),
                )
    shifts = list(profile.shifts.all()) if profile is not None else []
    if not shifts:
        return ShiftCheck(ok=True, text="No shift pattern recorded", recorded=False)
    for shift in shifts:
        if (
            shift.weekday == start.weekday()
            and start.date() == end.date()
            and shift.starts <= start.time()
            and end.time() <= shift.ends
        ):
            return ShiftCheck(
                ok=True, text=f"On shift {shift.starts:%H:%M}-{shift.ends:%H:%M} {start:%a}"
            )
    today = [s for s in shifts if s.weekday == start.weekday()]
    if today:
        hours = ", ".join(f"{s.starts:%H:%M}-{s.ends:%H:%M}" for s in today)
        text = f"Off shift at {start:%a %H:%M} (works {hours})"
    else:
        text = f"No shift on {start:%A}"
    return ShiftCheck(ok=False, problem=OverrideReason.OFF_SHIFT, text=text)


def assignment_problems(
    technician: Membership, work_order: WorkOrder, *, window: Window, zone
) -> list[tuple[str, str]]:
    """(OverrideReason, text) for every rule the assignment would break; empty when none."""
    problems = []
    skill = skill_check(technician, work_order.required_skill, window.start.astimezone(zone).date())
    if not skill.ok:
        problems.append((skill.problem, skill.text))
    # Unscheduled work is not done "now" by definition: only a planned window can be off shift.
    if window.planned:
        shift = shift_check(technician, window, zone)
        if not shift.ok:
            problems.append((shift.problem, shift.text))
    return problems


# --- where work and people are ------------------------------------------------------------------


def work_order_points(work_orders: list[WorkOrder]) -> dict[int, Point]:
    """Where each work order is: its asset's position, else its location's, else its site's.
    Two queries for any number of work orders (expects ``asset`` and ``location`` joined)."""
    result: dict[int, Point] = {}
    needs_location: dict[int, int] = {}
    for wo in work_orders:
        own = point(wo.asset.latitude, wo.asset.longitude) if wo.asset else None
        if own:
            result[wo.pk] = own
        elif wo.location_id:
            needs_location[wo.pk] = wo.location_id
    if not needs_location:
        return result
    locations = {
        loc.pk: loc
        for loc in Location.objects.filter(pk__in=set(needs_location.values())).only(
            "path", "latitude", "longitude"
        )
    }
    roots = {
        int(loc.path.strip("/").split("/")[0])
        for loc in locations.values()
        if loc.path.strip("/") and point(loc.latitude, loc.longitude) is None
    }
    sites = {
        loc.pk: point(loc.latitude, loc.longitude)
        for loc in Location.objects.filter(pk__in=roots).only("latitude", "longitude")
    }
    for wo_id, location_id in needs_location.items():
        loc = locations.get(location_id)
        if loc is None:
            continue
        found = point(loc.latitude, loc.longitude)
        if found is None and loc.path.strip("/"):
            found = sites.get(int(loc.path.strip("/").split("/")[0]))
        if found:
            result[wo_id] = found
    return result


@dataclass(frozen=True)
class Whereabouts:
    point: Point | None
    text: str
    live: bool = False


def technician_point(technician: Membership, *, now: datetime) -> Whereabouts:
    profile = profile_of(technician)
    if profile is None:
        return Whereabouts(None, "no position or home base known")
    live = point(profile.last_latitude, profile.last_longitude)
    if (
        live
        and profile.location_consent
        and profile.last_position_at
        and now - profile.last_position_at <= POSITION_FRESH
    ):
        minutes = int((now - profile.last_position_at).total_seconds() // 60)
        return Whereabouts(live, f"last position {minutes} min ago", live=True)
    home = point(profile.home_latitude, profile.home_longitude)
    if home:
        return Whereabouts(home, "home base")
    return Whereabouts(None, "no position or home base known")


# --- load ---------------------------------------------------------------------------------------


@dataclass
class Load:
    open_jobs: int = 0
    clashes: list[str] = field(default_factory=list)


def loads_for(
    technicians: list[Membership], *, window: Window | None, exclude: int | None = None
) -> dict[int, Load]:
    """Open jobs per technician, and those planned across ``window``: one query."""
    loads: dict[int, Load] = defaultdict(Load)
    open_assignments = WorkOrderAssignment.objects.filter(
        membership__in=[t.pk for t in technicians],
        # Redundant with the memberships, but it lets PostgreSQL read one organisation's open
        # work (wo_org_open) instead of every organisation's.
        work_order__organization_id__in={t.organization_id for t in technicians},
        work_order__status__in=OPEN_STATUSES,
    ).exclude(work_order_id=exclude)
    if not (window and window.planned):
        # Only the counts: the database counts them rather than sending every job's row.
        for membership_id, count in (
            open_assignments.order_by()
            .values("membership_id")
            .annotate(n=Count("id"))
            .values_list("membership_id", "n")
        ):
            loads[membership_id].open_jobs = count
        return loads
    rows = open_assignments.values_list(
        "membership_id",
        "work_order__number",
        "work_order__scheduled_start",
        "work_order__scheduled_end",
    )
    for membership_id, number, start, end in rows:
        load = loads[membership_id]
        load.open_jobs += 1
        if start and start < window.end:
            finish = end or start + timedelta(minutes=DEFAULT_JOB_MINUTES)
            if finish > window.start:
                load.clashes.append(f"WO-{number:06d}")
    return loads


def device_summary(technician: Membership, *, now: datetime) -> dict:
    """The newest sync over the technician's devices and what they all still hold."""
    states = list(technician.device_states.all())
    synced = [s.last_synced_at for s in states if s.last_synced_at]
    last = max(synced) if synced else None
    pending = sum(s.pending_changes for s in states)
    stale = last is None or now - last > timedelta(minutes=30)
    return {
        "known": bool(states),
        "last_synced_at": last,
        "pending": pending,
        "stale": stale,
        "warn": bool(states) and (stale or pending > 0),
    }


def work_orders_unassigned(organization_id: int) -> Q:
    return Q(organization_id=organization_id, status__in=OPEN_STATUSES, assignments__isnull=True)


# What a board card, a lane's load and the map read of a work order (and of its asset and
# location): loading the descriptions and the rest was a third of the board's query time.
BOARD_FIELDS = (
    "organization_id",
    "public_id",
    "number",
    "title",
    "priority",
    "status",
    "version",
    "required_skill",
    "estimated_minutes",
    "scheduled_start",
    "scheduled_end",
    "due_at",
    "completed_at",
    "created_at",
    "updated_at",
    "asset",
    "asset__code",
    "asset__latitude",
    "asset__longitude",
    "location",
    "location__name",
)


def base_work_queryset(organization_id: int) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(organization_id=organization_id)
        .select_related("asset", "location")
        .only(*BOARD_FIELDS)
    )


def assignees_of(work_order_ids: list[int]) -> dict[int, list[int]]:
    """Each work order's assigned memberships, in one query (a prefetch builds a queryset per
    work order: most of the board's time in Django's prefetching)."""
    found: dict[int, list[int]] = defaultdict(list)
    for work_order_id, membership_id in WorkOrderAssignment.objects.filter(
        work_order_id__in=work_order_ids
    ).values_list("work_order_id", "membership_id"):
        found[work_order_id].append(membership_id)
    return found


def distance_between(a: Point | None, b: Point | None) -> float | None:
    if a is None or b is None:
        return None
    return haversine_km(a, b)
