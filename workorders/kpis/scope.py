"""The dashboard's scope: an organisation, a period of local dates in its time zone, optionally
a site subtree and a team; and the work orders it covers."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.http import urlencode

from assets.models import Location
from fieldops.time import zone_named
from workorders.dispatch.models import Crew
from workorders.models import WorkOrder, WorkOrderAssignment

DEFAULT_FTF_DAYS = 30


@dataclass(frozen=True)
class Scope:
    organization_id: int
    time_zone: str
    start: date
    end: date  # inclusive
    site: Location | None = None
    team: Crew | None = None
    ftf_days: int = DEFAULT_FTF_DAYS

    @property
    def tz(self) -> ZoneInfo:
        return zone_named(self.time_zone)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    def filters(self) -> str:
        """The scope as the query string of the pages and the API (`ftf_days` aside)."""
        params = [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        if self.site is not None:
            params.append(("site", str(self.site.public_id)))
        if self.team is not None:
            params.append(("team", str(self.team.public_id)))
        return urlencode(params)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def work_orders_in_scope(scope: Scope) -> QuerySet[WorkOrder]:
    queryset = WorkOrder.objects.filter(organization_id=scope.organization_id)
    if scope.site is not None:
        queryset = queryset.filter(
            Q(location__path__startswith=scope.site.path)
            | Q(asset__location__path__startswith=scope.site.path)
        )
    if scope.team is not None:
        queryset = queryset.filter(
            Exists(
                WorkOrderAssignment.objects.filter(
                    work_order=OuterRef("pk"), membership__technician_profile__crew=scope.team
                )
            )
        )
    return queryset
