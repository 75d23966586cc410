"""What the dispatch board shows, read in a fixed number of queries: the unassigned queue, each
technician's day, the map, and whether anything changed since a given moment."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID

from django.db.models import F, Q
from django.utils import timezone

from assets.models import Location, LocationKind
from fieldops.accounts.models import Membership
from fieldops.time import zone_of
from workorders.dispatch.geo import Projection, haversine_km, point, spread
from workorders.dispatch.models import DeviceState, Skill, TechnicianProfile
from workorders.dispatch.selectors import (
    assignees_of,
    base_work_queryset,
    device_summary,
    display_name,
    profile_of,
    skill_check,
    technician_point,
    technicians_for,
    work_order_points,
)
from workorders.dispatch.timeline import (
    FIRST_HOUR,
    LAST_HOUR,
    hour_column,
    lane_layout,
    technician_status,
)
from workorders.models import (
    OPEN_STATUSES,
    UNDER_WAY_STATUSES,
    Priority,
    Request,
    Status,
    WorkOrder,
)
from workorders.selectors import requests_waiting_count
from workorders.services.sla import sla_state

QUEUE_LIMIT = 200
LANE_LIMIT = 600
# Technicians' lanes a page shows: a hundred lanes is more than a dispatcher can read at once
# (and was most of the board's rendering time); filters or the lane pages reach the rest.
LANES_PER_PAGE = 25
# A write stamps updated_at before it commits; look this far back so a change committed just
# after a render is never mistaken for "already seen".
SINCE_SLACK = timedelta(seconds=30)


@dataclass(frozen=True)
class BoardFilters:
    site: UUID | None = None
    skill: str = ""
    priority: str = ""
    lanes_page: int = 1

    @classmethod
    def from_query(cls, params) -> "BoardFilters":
        try:
            site = UUID(params.get("site")) if params.get("site") else None
        except ValueError:
            site = None
        priority = params.get("priority", "")
        lanes = params.get("lanes", "")
        return cls(
            site=site,
            skill=(params.get("skill") or "").strip()[:60],
            priority=priority if priority in Priority.values else "",
            lanes_page=min(int(lanes), 10_000) if lanes.isdigit() and int(lanes) > 0 else 1,
        )

    def query(self, day: date, **changes: object) -> str:
        """The board's query string for these filters on ``day`` (with ``changes``)."""
        params = {
            "day": day.isoformat(),
            "site": str(self.site or ""),
            "skill": self.skill,
            "priority": self.priority,
            "lanes": self.lanes_page,
        }
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v not in ("", None, 1)})


def board_day(params, zone) -> date:
    try:
        return date.fromisoformat(params.get("day", ""))
    except ValueError:
        return timezone.localtime(timezone.now(), zone).date()


def board_options(organization_id: int) -> dict:
    """What the filter bar offers: the sites, the skills and the priorities."""
    return {
        "sites": list(
            Location.objects.filter(
                organization_id=organization_id, kind=LocationKind.SITE
            ).order_by("name")
        ),
        "skills": list(Skill.objects.filter(organization_id=organization_id).order_by("name")),
        "priorities": Priority.choices,
    }


def board_for(
    *, membership: Membership, filters: BoardFilters, day: date, now: datetime | None = None
) -> dict:
    now = now or timezone.now()
    zone = zone_of(membership)
    organization_id = membership.organization_id
    day_start = datetime.combine(day, time.min, tzinfo=zone)
    day_end = day_start + timedelta(days=1)

    options = board_options(organization_id)
    sites, skills = options["sites"], options["skills"]
    technicians = list(technicians_for(organization_id))
    if filters.skill:
        technicians = [t for t in technicians if skill_check(t, filters.skill, day).ok]
    technician_count = len(technicians)
    pages = max(1, -(-technician_count // LANES_PER_PAGE))
    page = min(filters.lanes_page, pages)
    first = (page - 1) * LANES_PER_PAGE
    technicians = technicians[first : first + LANES_PER_PAGE]

    work = base_work_queryset(organization_id)
    queue_work = work.filter(status__in=OPEN_STATUSES, assignments__isnull=True)
    site = next((s for s in sites if s.public_id == filters.site), None)
    if site is not None:
        queue_work = queue_work.filter(location__path__startswith=site.path)
    if filters.skill:
        queue_work = queue_work.filter(required_skill__iexact=filters.skill)
    if filters.priority:
        queue_work = queue_work.filter(priority=filters.priority)
    queue = list(
        queue_work.order_by("priority", F("due_at").asc(nulls_last=True), "number")[:QUEUE_LIMIT]
    )
    # A lane is the technician's whole day, unfiltered: a dispatcher judging who is free must
    # see everything they already hold (carried-over and unplanned work included).
    lane_work = list(
        work.filter(assignments__membership__in=[t.pk for t in technicians])
        .filter(
            Q(status__in=OPEN_STATUSES)
            & (Q(scheduled_start__lt=day_end) | Q(scheduled_start__isnull=True))
            | Q(status=Status.COMPLETED, completed_at__gte=day_start, completed_at__lt=day_end)
        )
        .distinct()
        .order_by(F("scheduled_start").asc(nulls_last=True), "number")[:LANE_LIMIT]
    )
    for wo in (*queue, *lane_work):
        wo.sla = sla_state(wo, now=now)
        wo.carried_over = bool(wo.scheduled_start and wo.scheduled_start < day_start)
        wo.active = wo.status in UNDER_WAY_STATUSES
    lanes = _lanes(
        technicians,
        lane_work,
        assignees_of([wo.pk for wo in lane_work]),
        day=day,
        now=now,
        zone=zone,
    )
    return {
        "day": day,
        "today": timezone.localtime(now, zone).date(),
        "sites": sites,
        "skills": skills,
        "priorities": Priority.choices,
        "filters": filters,
        "queue": queue,
        "queue_more": len(queue) == QUEUE_LIMIT,
        "lanes": lanes,
        "lane_pages": {
            "count": technician_count,
            "first": first + 1 if technicians else 0,
            "last": first + len(technicians),
            "previous": filters.query(day, lanes=page - 1) if page > 1 else None,
            "next": filters.query(day, lanes=page + 1) if page < pages else None,
        },
        "hours": [
            {
                "hour": h,
                "start": datetime.combine(day, time(h), tzinfo=zone),
                "column": hour_column(h),
            }
            for h in range(FIRST_HOUR, LAST_HOUR)
        ],
        "map": _map(sites, queue, lane_work, technicians, now=now),
        "new_requests": requests_waiting_count(organization_id),
        "as_of": now,
    }


def _lanes(
    technicians: list[Membership],
    lane_work: list[WorkOrder],
    assignees: dict[int, list[int]],
    *,
    day: date,
    now: datetime,
    zone,
) -> list[dict]:
    by_member: dict[int, list[WorkOrder]] = {t.pk: [] for t in technicians}
    for wo in lane_work:
        for membership_id in assignees.get(wo.pk, ()):
            if membership_id in by_member:
                by_member[membership_id].append(wo)
    lanes = []
    for technician in technicians:
        profile = profile_of(technician)
        jobs = by_member[technician.pk]
        status = technician_status(profile, jobs, day=day, now=now, zone=zone)
        lanes.append(
            {
                "technician": technician,
                "name": display_name(technician),
                "profile": profile,
                "status": status.code,
                "status_label": status.label,
                "crew": profile.crew if profile else None,
                "skills": list(profile.skills.all()) if profile else [],
                "device": device_summary(technician, now=now),
                "jobs": jobs,
                **lane_layout(jobs, day=day, zone=zone),
                "open_count": sum(1 for wo in jobs if wo.status != Status.COMPLETED),
                "planned_minutes": sum(
                    wo.estimated_minutes or 60 for wo in jobs if wo.status != Status.COMPLETED
                ),
            }
        )
    return lanes


PRIORITY_COLOURS = {"p1": "#c62828", "p2": "#ef6c00", "p3": "#1565c0", "p4": "#607d8b"}


NEAR_SITE_KM = 80


def _map(sites, queue, lane_work, technicians, *, now) -> dict:
    """One small plain-SVG plan per site (work and people within reach of it), plus "elsewhere"
    for the rest: sites hundreds of kilometres apart would otherwise shrink to two dots."""
    open_work = [wo for wo in (*queue, *lane_work) if wo.status in OPEN_STATUSES]
    where = work_order_points(open_work)
    located_sites = [(s, p) for s in sites if (p := point(s.latitude, s.longitude))]
    groups: dict[int | None, dict] = {
        s.pk: {"site": s, "centre": p, "work": [], "people": []} for s, p in located_sites
    }
    groups[None] = {"site": None, "centre": None, "work": [], "people": []}

    def nearest(p) -> int | None:
        best = min(located_sites, key=lambda sp: haversine_km(p, sp[1]), default=None)
        return best[0].pk if best and haversine_km(p, best[1]) <= NEAR_SITE_KM else None

    for wo in open_work:
        if wo.pk in where:
            groups[nearest(where[wo.pk])]["work"].append(wo)
    for technician in technicians:
        whereabouts = technician_point(technician, now=now)
        if whereabouts.point:
            groups[nearest(whereabouts.point)]["people"].append((technician, whereabouts))
    plans = []
    for group in groups.values():
        if not group["work"] and not group["people"] and group["site"] is None:
            continue
        plans.append(_plan(group, where, queue))
    unlocated = len(open_work) - len(where)
    return {"plans": plans, "unlocated": unlocated, "work": len(where)}


def _plan(group: dict, where: dict, queue: list) -> dict:
    points = [where[wo.pk] for wo in group["work"]]
    points += [w.point for _, w in group["people"]]
    if group["centre"]:
        points.append(group["centre"])
    projection = Projection.around(points, width=480, height=260)
    stacks: dict[tuple, list] = {}
    for wo in group["work"]:
        stacks.setdefault(projection.xy(where[wo.pk]), []).append(wo)
    work = []
    for centre, items in stacks.items():
        for index, wo in enumerate(items):
            x, y = spread(centre, index, len(items), radius=14)
            work.append(
                {
                    "x": x,
                    "y": y,
                    "wo": wo,
                    "colour": PRIORITY_COLOURS.get(wo.priority, "#555"),
                    "unassigned": wo in queue,
                }
            )
    people = []
    for technician, whereabouts in group["people"]:
        x, y = projection.xy(whereabouts.point)
        name = display_name(technician)
        people.append(
            {
                "x": x,
                "y": y,
                "name": name,
                "initials": "".join(part[0] for part in name.split()[:2]).upper(),
                "live": whereabouts.live,
                "text": whereabouts.text,
            }
        )
    centre = projection.xy(group["centre"]) if group["centre"] else None
    return {
        "site": group["site"],
        "width": projection.width,
        "height": projection.height,
        "centre": centre,
        "work": work,
        "people": people,
        "km_across": round(
            haversine_km(
                (projection.min_lat, projection.min_lng), (projection.min_lat, projection.max_lng)
            )
        ),
    }


def board_changed_since(organization_id: int, since: datetime) -> list[str]:
    """References of work orders changed since ``since`` (and "*" when people, devices or
    requests did): empty means the board a client rendered then is still current. Four indexed
    queries."""
    after = since - SINCE_SLACK
    changed = [
        f"WO-{number:06d}"
        for number in WorkOrder.objects.filter(
            organization_id=organization_id, updated_at__gt=after
        ).values_list("number", flat=True)[:200]
    ]
    if (
        Request.objects.filter(organization_id=organization_id, updated_at__gt=after).exists()
        or TechnicianProfile.objects.filter(
            organization_id=organization_id, updated_at__gt=after
        ).exists()
        or DeviceState.objects.filter(
            organization_id=organization_id, updated_at__gt=after
        ).exists()
    ):
        changed.append("*")
    return changed
