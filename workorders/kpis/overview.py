"""Supervisors' asset health and workforce views: reads with a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from assets.models import Asset, Location
from fieldops.accounts.models import Membership, Role
from workorders.dispatch.models import Crew
from workorders.kpis.selectors import Scope, asset_reliability
from workorders.maintenance.models import ConditionRule, Direction, RuleState
from workorders.models import OPEN_STATUSES, Status, TimeEntry, WorkOrder, WorkType
from workorders.models.children import TimeKind

ASSET_LIMIT = 200
ON_THE_JOB = (Status.EN_ROUTE, Status.IN_PROGRESS)


@dataclass
class AssetHealth:
    asset: Asset
    open_work: int
    overdue: int
    last_pm: datetime | None
    failures: int
    mtbf_hours: float | None
    rules_near: list[str]


def asset_health(
    *, organization_id: int, time_zone: str, today: date, now: datetime, site: Location | None
) -> list[AssetHealth]:
    """Assets of the organisation (or one site's subtree), the ones with the most open work
    first: open and overdue work, the last completed preventive work, failures and MTBF over the
    last 365 days; condition rules near their limits. Four queries."""
    work = WorkOrder.objects.filter(organization_id=organization_id, asset=OuterRef("pk"))
    open_work = work.filter(status__in=OPEN_STATUSES).values("asset")
    assets = Asset.objects.filter(organization_id=organization_id).select_related("location")
    if site is not None:
        assets = assets.filter(location__path__startswith=site.path)
    assets = assets.annotate(
        open_work=Coalesce(
            Subquery(open_work.annotate(n=Count("id")).values("n")[:1]),
            0,
            output_field=IntegerField(),
        ),
        overdue=Coalesce(
            Subquery(open_work.filter(due_at__lt=now).annotate(n=Count("id")).values("n")[:1]),
            0,
            output_field=IntegerField(),
        ),
        last_pm=Subquery(
            work.filter(work_type=WorkType.PREVENTIVE, completed_at__isnull=False)
            .values("asset")
            .annotate(last=Max("completed_at"))
            .values("last")[:1]
        ),
    ).order_by("-open_work", "-overdue", "code")[:ASSET_LIMIT]
    year = Scope(organization_id, time_zone, today - timedelta(days=364), today, site=site)
    reliability = {r.asset_id: r for r in asset_reliability(year, now=now)}
    near = rules_near_limit(organization_id)
    rows = []
    for asset in assets:
        found = reliability.get(asset.pk)
        rows.append(
            AssetHealth(
                asset,
                asset.open_work,
                asset.overdue,
                asset.last_pm,
                found.failures if found else 0,
                found.mtbf_hours if found else None,
                near.get(asset.pk, []),
            )
        )
    return rows


NEAR_FRACTION = 0.1


def rules_near_limit(organization_id: int) -> dict[int, list[str]]:
    """Asset id -> active condition rules that are firing, pending, or whose meter's last value
    is within 10 % of the limit on the safe side. One query."""
    rules = ConditionRule.objects.filter(
        organization_id=organization_id, is_active=True, meter__last_value__isnull=False
    ).select_related("meter")
    found: dict[int, list[str]] = {}
    for rule in rules:
        value, limit = rule.meter.last_value, rule.limit
        headroom = limit - value if rule.direction == Direction.ABOVE else value - limit
        close = headroom <= abs(limit) * NEAR_FRACTION
        if rule.state == RuleState.OK and not close:
            continue
        state = "" if rule.state == RuleState.OK else f" ({rule.get_state_display().lower()})"
        found.setdefault(rule.meter.asset_id, []).append(
            f"{rule.name}: {value:g} / {limit:g} {rule.meter.unit}{state}"
        )
    return found


@dataclass
class TechnicianLoad:
    membership: Membership
    status: str
    crew: str
    current: str
    open_assigned: int
    open_hours: float
    worked_today: float


def workforce(
    *, organization_id: int, time_zone, today: date, team: Crew | None
) -> list[TechnicianLoad]:
    """Each active technician: dispatch status, the job they are on (en route or in progress),
    open work assigned and its estimated hours, and work time logged today. Three queries."""
    since = datetime.combine(today, time.min, tzinfo=time_zone)
    until = since + timedelta(days=1)
    members = Membership.objects.filter(
        organization_id=organization_id, role=Role.TECHNICIAN, is_active=True
    ).select_related("user", "technician_profile__crew")
    if team is not None:
        members = members.filter(technician_profile__crew=team)
    open_q = Q(work_assignments__work_order__status__in=OPEN_STATUSES)
    members = members.annotate(
        open_assigned=Count("work_assignments", filter=open_q, distinct=True),
        open_minutes=Sum("work_assignments__work_order__estimated_minutes", filter=open_q),
    ).order_by("user__last_name", "user__first_name", "id")
    members = list(members)
    worked = dict(
        TimeEntry.objects.filter(
            organization_id=organization_id,
            kind=TimeKind.WORK,
            started_at__lt=until,
            ended_at__gt=since,
            technician__in=[m.pk for m in members],
        )
        .values("technician")
        .annotate(minutes=Sum("minutes"))
        .values_list("technician", "minutes")
    )
    jobs = dict(
        WorkOrder.objects.filter(
            organization_id=organization_id,
            status__in=ON_THE_JOB,
            assignments__membership__in=[m.pk for m in members],
        ).values_list("assignments__membership", "title")
    )
    rows = []
    for member in members:
        profile = getattr(member, "technician_profile", None)
        rows.append(
            TechnicianLoad(
                member,
                profile.get_status_display() if profile else "—",
                profile.crew.name if profile and profile.crew else "",
                jobs.get(member.pk, ""),
                member.open_assigned,
                round((member.open_minutes or 0) / 60, 1),
                round((worked.get(member.pk) or 0) / 60, 1),
            )
        )
    return rows
