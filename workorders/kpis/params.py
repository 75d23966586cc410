"""The dashboard's scope from request parameters, shared by the page, the exports and the API."""

from datetime import timedelta

from assets.models import Location
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed
from fieldops.tenancy import get_for_organization
from fieldops.time import parse_day, today_in, zone_of
from workorders.dispatch.models import Crew
from workorders.kpis.selectors import DEFAULT_FTF_DAYS, Scope

DEFAULT_DAYS = 30
MAX_DAYS = 366


def scope_for(
    membership: Membership,
    *,
    start: str | None = None,
    end: str | None = None,
    site: str | None = None,
    team: str | None = None,
    ftf_days: int | None = None,
) -> Scope:
    """The scope a member asked for: a period of local dates (default the last 30 days to
    today), a site subtree and a team of their own organisation (another's is a 404)."""
    require(membership, "dashboard.read")
    organization = membership.organization
    today = today_in(zone_of(organization))
    end_date = parse_day(end, field="end") or today
    start_date = parse_day(start, field="start") or end_date - timedelta(days=DEFAULT_DAYS - 1)
    if start_date > end_date:
        raise ValidationFailed(details={"start": "The start is after the end."})
    if (end_date - start_date).days >= MAX_DAYS:
        raise ValidationFailed(details={"start": f"At most {MAX_DAYS} days."})
    org_id = membership.organization_id
    site_row = (
        get_for_organization(Location.objects.all(), organization_id=org_id, public_id=site)
        if site
        else None
    )
    team_row = (
        get_for_organization(Crew.objects.all(), organization_id=org_id, public_id=team)
        if team
        else None
    )
    days = DEFAULT_FTF_DAYS if ftf_days is None else ftf_days
    if not 1 <= days <= 365:
        raise ValidationFailed(details={"ftf_days": "Between 1 and 365."})
    return Scope(
        organization_id=org_id,
        time_zone=organization.time_zone,
        start=start_date,
        end=end_date,
        site=site_row,
        team=team_row,
        ftf_days=days,
    )
