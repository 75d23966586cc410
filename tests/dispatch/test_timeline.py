"""Where a job sits on a lane and what a technician is shown doing: literal tables."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest

from fieldops.accounts.models import Role
from tests.dispatch.factories import make_profile
from tests.factories import MembershipFactory
from workorders.dispatch.models import TimeOff
from workorders.dispatch.timeline import Place, lane_layout, place_on_day, technician_status
from workorders.models import WorkOrder

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = zoneinfo.ZoneInfo("UTC")
DAY = date(2026, 5, 6)  # a Wednesday; the lane shows 06:00-20:00 in 56 quarter-hour columns


def at(hour: int, minute: int = 0, *, day: date = DAY, zone=BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


# (start, end, estimated minutes) -> (first grid line, last grid line, earlier, later) or None
PLACEMENTS = [
    (at(12), at(14), None, (25, 33, False, False)),  # the job that sat under 14-19
    (at(6), at(7), None, (1, 5, False, False)),
    (at(8, 15), at(9), None, (10, 13, False, False)),
    (at(8, 10), at(8, 20), None, (9, 11, False, False)),  # rounded out to whole quarters
    (at(12), None, 90, (25, 31, False, False)),  # no end: its estimate
    (at(12), None, None, (25, 29, False, False)),  # no estimate either: an hour
    (at(10, zone=UTC), at(12, zone=UTC), None, (25, 33, False, False)),  # 12:00 in Berlin
    (at(5), at(7), None, (1, 5, True, False)),  # starts before the first hour shown
    (at(19, 30), at(21), None, (55, 57, False, True)),  # runs past the last
    (at(4), at(5), None, None),  # at night, before the hours shown
    (at(20), at(21), None, None),  # after them
    (at(10, day=DAY - timedelta(days=1)), at(11, day=DAY - timedelta(days=1)), None, None),
    (at(10, day=DAY + timedelta(days=1)), None, None, None),
    (None, None, None, None),  # unplanned
]


@pytest.mark.parametrize(("start", "end", "minutes", "expected"), PLACEMENTS)
def test_a_job_is_placed_at_its_hours_in_the_organisations_zone(start, end, minutes, expected):
    place = place_on_day(start, end, day=DAY, zone=BERLIN, minutes=minutes)
    found = None if place is None else (place.start, place.end, place.earlier, place.later)
    assert found == expected


def test_a_daylight_saving_day_keeps_its_hours_where_the_labels_are():
    spring = date(2026, 3, 29)  # Berlin skips 02:00-03:00
    place = place_on_day(at(12, day=spring), at(14, day=spring), day=spring, zone=BERLIN)
    assert (place.start, place.end) == (25, 33)


def _job(
    number: int, start: datetime | None, end: datetime | None = None, status: str = "assigned"
):
    return WorkOrder(number=number, scheduled_start=start, scheduled_end=end, status=status)


def test_overlapping_jobs_take_rows_and_the_rest_wait_beside_the_timeline():
    jobs = [
        _job(1, at(9), at(11)),
        _job(2, at(10), at(12)),  # overlaps 1
        _job(3, at(11), at(12)),  # starts where 1 ends: 1's row
        _job(4, at(10, 30), at(11)),  # overlaps 1 and 2
        _job(5, None),  # unplanned
        _job(6, at(9, day=DAY - timedelta(days=1))),  # carried over
    ]
    layout = lane_layout(jobs, day=DAY, zone=BERLIN)
    assert [(item["wo"].number, item["place"]) for item in layout["placed"]] == [
        (1, Place(13, 21, row=2)),
        (2, Place(17, 25, row=3)),
        (4, Place(19, 21, row=4)),
        (3, Place(21, 25, row=2)),
    ]
    assert [wo.number for wo in layout["others"]] == [5, 6]
    assert layout["rows"] == 4


# --- status -------------------------------------------------------------------------------------

NOW = at(10)  # Wednesday 10:00 in Berlin
DAY_SHIFT = (time(7, 0), time(16, 0))
LEAVE = (at(0), at(0, day=DAY + timedelta(days=1)))

# (shift pattern, time off, the lane's jobs as (status,), the day looked at) -> (code, label)
STATUSES = [
    ("all week", None, [], DAY, ("available", "Available")),
    (None, None, [], DAY, ("available", "Available")),  # no pattern: nothing says off
    ("all week", None, ["assigned"], DAY, ("busy", "Busy · 1 job")),
    ("all week", None, ["assigned", "dispatched"], DAY, ("busy", "Busy · 2 jobs")),
    ("all week", None, ["assigned", "completed"], DAY, ("busy", "Busy · 1 job")),
    ("all week", None, ["completed"], DAY, ("available", "Available")),
    ("all week", None, ["assigned", "in_progress"], DAY, ("on_job", "On a job now · WO-000002")),
    ("all week", None, ["en_route"], DAY, ("on_job", "On a job now · WO-000001")),
    ("all week", None, ["on_hold"], DAY, ("busy", "Busy · 1 job")),  # paused: not on it now
    ("all week", LEAVE, ["assigned"], DAY, ("on_leave", "On leave")),
    ("all week", LEAVE, ["in_progress"], DAY, ("on_job", "On a job now · WO-000001")),
    ("weekends", None, ["assigned"], DAY, ("off_shift", "Off shift")),
    ("evenings", None, [], DAY, ("off_shift", "Off shift")),  # works today, not at 10:00
    # Another day: over that day, not at this moment.
    ("evenings", None, ["assigned"], DAY + timedelta(days=1), ("busy", "Busy · 1 job")),
    ("weekends", None, [], date(2026, 5, 9), ("available", "Available")),  # a Saturday
    ("weekends", None, [], DAY + timedelta(days=1), ("off_shift", "Off shift")),
    ("all week", None, ["in_progress"], DAY + timedelta(days=1), ("busy", "Busy · 1 job")),
    ("all week", LEAVE, [], DAY + timedelta(days=1), ("available", "Available")),
]
PATTERNS = {
    "all week": [(d, *DAY_SHIFT) for d in range(7)],
    "weekends": [(5, *DAY_SHIFT), (6, *DAY_SHIFT)],
    "evenings": [(d, time(16), time(22)) for d in range(7)],
}


@pytest.mark.django_db
@pytest.mark.parametrize(("pattern", "leave", "statuses", "day", "expected"), STATUSES)
def test_a_technicians_status_comes_from_their_work_leave_and_shifts(
    organization, pattern, leave, statuses, day, expected
):
    member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    profile = make_profile(member, shifts=PATTERNS.get(pattern), status="available")
    if leave:
        TimeOff.objects.create(profile=profile, starts_at=leave[0], ends_at=leave[1])
    jobs = [_job(i, None, status=s) for i, s in enumerate(statuses, start=1)]
    status = technician_status(profile, jobs, day=day, now=NOW, zone=BERLIN)
    assert (status.code, status.label) == expected


@pytest.mark.django_db
def test_the_stored_status_is_not_what_the_lane_shows(organization):
    member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    profile = make_profile(member, status="available")
    jobs = [_job(1, at(8)), _job(2, at(13))]
    assert technician_status(profile, jobs, day=DAY, now=NOW, zone=BERLIN).code == "busy"
    assert technician_status(None, [], day=DAY, now=NOW, zone=BERLIN).code == "available"
