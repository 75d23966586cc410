"""A technician's lane as a timeline: where each job sits among the day's hours, and what the
technician is doing, both derived from the work (nothing stored is trusted to be current).

The lane is a grid of quarter-hour columns from FIRST_HOUR to LAST_HOUR in the organisation's
zone; row 1 holds the hours, jobs take the rows below, a job overlapping another one row lower."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from workorders.dispatch.models import TechnicianProfile
from workorders.dispatch.selectors import DEFAULT_JOB_MINUTES
from workorders.lifecycle import ON_THE_JOB_STATUSES, OPEN_STATUSES
from workorders.models import WorkOrder

FIRST_HOUR, LAST_HOUR = 6, 20
COLUMNS_PER_HOUR = 4  # quarter hours
COLUMNS = (LAST_HOUR - FIRST_HOUR) * COLUMNS_PER_HOUR
# The technician is doing one of these now, whatever the plan says.
WORKING_NOW = ON_THE_JOB_STATUSES


@dataclass(frozen=True)
class Place:
    """Grid lines (1-based, end exclusive) of a job on the lane, and its row."""

    start: int
    end: int
    row: int = 2
    # The job runs on before the first / past the last hour shown.
    earlier: bool = False
    later: bool = False


def hour_column(hour: int) -> int:
    return (hour - FIRST_HOUR) * COLUMNS_PER_HOUR + 1


def place_on_day(
    start: datetime | None, end: datetime | None, *, day: date, zone, minutes: int | None = None
) -> Place | None:
    """The columns a job planned ``start`` to ``end`` takes on ``day`` (hours in ``zone``); None
    for a job not planned on that day's shown hours (unplanned, carried over, at night)."""
    if start is None:
        return None
    end = end or start + timedelta(minutes=minutes or DEFAULT_JOB_MINUTES)
    # Wall-clock arithmetic: both sides in the same zone, so a DST day keeps its hour labels.
    first = datetime.combine(day, time(FIRST_HOUR), tzinfo=zone)
    last = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=LAST_HOUR)
    local_start, local_end = start.astimezone(zone), max(start, end).astimezone(zone)
    if local_start.date() != day or local_start >= last or local_end <= first:
        return None
    quarter = timedelta(minutes=60 // COLUMNS_PER_HOUR)
    from_column = max(0, (local_start.replace(tzinfo=None) - first.replace(tzinfo=None)) // quarter)
    to_offset = local_end.replace(tzinfo=None) - first.replace(tzinfo=None)
    to_column = min(COLUMNS, -(-to_offset // quarter))  # rounded up to the next quarter
    return Place(
        start=from_column + 1,
        end=max(to_column, from_column + 1) + 1,
        earlier=local_start < first,
        later=local_end > last,
    )


def stack(places: list[Place]) -> list[Place]:
    """The same places with rows: each takes the first row (from 2) free over its columns."""
    rows_end: list[int] = []  # per row, the first free column
    stacked = []
    for place in places:
        row = next((i for i, free in enumerate(rows_end) if free <= place.start), None)
        if row is None:
            rows_end.append(place.end)
            row = len(rows_end) - 1
        else:
            rows_end[row] = place.end
        stacked.append(
            Place(place.start, place.end, row=row + 2, earlier=place.earlier, later=place.later)
        )
    return stacked


def lane_layout(jobs: list[WorkOrder], *, day: date, zone) -> dict:
    """The lane's jobs split into those on the timeline (with their places, in start order) and
    the rest (unplanned, carried over, outside the shown hours)."""
    placed, others = [], []
    for wo in jobs:
        place = place_on_day(
            wo.scheduled_start, wo.scheduled_end, day=day, zone=zone, minutes=wo.estimated_minutes
        )
        if place is None:
            others.append(wo)
        else:
            placed.append((wo, place))
    placed.sort(key=lambda item: (item[1].start, item[1].end))
    stacked = stack([place for _, place in placed])
    items = [{"wo": wo, "place": place} for (wo, _), place in zip(placed, stacked, strict=True)]
    return {
        "placed": items,
        "others": others,
        # The last row a job takes; at least one row of hours to drop onto.
        "rows": max((item["place"].row for item in items), default=2),
    }


# --- what the technician is doing ---------------------------------------------------------------


@dataclass(frozen=True)
class LaneStatus:
    code: str  # on_job / on_leave / off_shift / busy / available
    label: str


def technician_status(
    profile: TechnicianProfile | None,
    jobs: list[WorkOrder],
    *,
    day: date,
    now: datetime,
    zone,
) -> LaneStatus:
    """What the technician is doing, from their work, time off and shifts: now when ``day`` is
    today, else over that day. A job under way wins (it is a fact, the plan is not), then leave,
    then being off shift, then the open jobs they hold."""
    local_now = now.astimezone(zone)
    today = local_now.date() == day
    open_jobs = [wo for wo in jobs if wo.status in OPEN_STATUSES]
    if today:
        under_way = next((wo for wo in open_jobs if wo.status in WORKING_NOW), None)
        if under_way is not None:
            return LaneStatus("on_job", f"On a job now · {under_way.reference}")
    span_start, span_end = (
        (now, now)
        if today
        else (
            datetime.combine(day, time(0), tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
        )
    )
    if profile is not None:
        for off in profile.time_off.all():
            if off.starts_at <= span_end and off.ends_at > span_start:
                return LaneStatus("on_leave", "On leave")
        shifts = list(profile.shifts.all())
        if shifts:  # no pattern recorded: nothing says they are off
            that_day = [s for s in shifts if s.weekday == day.weekday()]
            on_shift = (
                any(s.starts <= local_now.time() < s.ends for s in that_day)
                if today
                else bool(that_day)
            )
            if not on_shift:
                return LaneStatus("off_shift", "Off shift")
    if open_jobs:
        count = len(open_jobs)
        return LaneStatus("busy", f"Busy · {count} job{'s' if count != 1 else ''}")
    return LaneStatus("available", "Available")
