"""Every schedule kind across month ends, leap years and DST changes (due dates are local dates)."""

from datetime import UTC, date, datetime

import pytest

from tests.maintenance.factories import finish, make_plan
from workorders.maintenance.models import PlanOccurrence, PlanTarget
from workorders.maintenance.schedule import (
    add_interval,
    first_step_on_or_after,
    least_squares,
    local_start,
    local_today,
    replacement_offset,
    tolerance_days,
)
from workorders.maintenance.services import plans_generate_due
from workorders.models import WorkOrder


@pytest.mark.parametrize(
    ("start", "count", "unit", "expected"),
    [
        # 31 Jan + 1 month, counted from the origin each time: no drift to the 28th
        (
            date(2025, 1, 31),
            1,
            "months",
            [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)],
        ),
        # the same in a leap year
        (date(2024, 1, 31), 1, "months", [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]),
        # yearly from 29 Feb: the 28th in common years, the 29th again in the next leap year
        (
            date(2024, 2, 29),
            12,
            "months",
            [
                date(2024, 2, 29),
                date(2025, 2, 28),
                date(2026, 2, 28),
                date(2027, 2, 28),
                date(2028, 2, 29),
            ],
        ),
        # quarterly from 30 Nov crosses the year end
        (
            date(2024, 11, 30),
            3,
            "months",
            [date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 30)],
        ),
        (
            date(2024, 2, 27),
            1,
            "days",
            [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)],
        ),
        (date(2024, 2, 22), 1, "weeks", [date(2024, 2, 22), date(2024, 2, 29), date(2024, 3, 7)]),
    ],
)
def test_grid_dates_across_month_ends_and_leap_years(start, count, unit, expected):
    assert [add_interval(start, count, unit, k) for k in range(len(expected))] == expected


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_first_step_on_or_after_is_the_smallest_step(unit):
    origin = date(2024, 1, 31)
    for day in [date(2024, 1, 1), origin, date(2024, 2, 29), date(2024, 3, 1), date(2026, 7, 15)]:
        k = first_step_on_or_after(origin, 2, unit, day)
        assert add_interval(origin, 2, unit, k) >= day
        assert k == 0 or add_interval(origin, 2, unit, k - 1) < day


def test_local_dates_follow_the_organisation_time_zone_across_dst():
    # 22:30 UTC on Sunday 30 March 2025 is already Monday 00:30 in Berlin (summer time began)
    assert local_today(datetime(2025, 3, 30, 22, 30, tzinfo=UTC), "Europe/Berlin") == date(
        2025, 3, 31
    )
    assert local_today(datetime(2025, 3, 30, 22, 30, tzinfo=UTC), "UTC") == date(2025, 3, 30)
    # the working day starts at 08:00 local: 07:00 UTC in winter, 06:00 UTC in summer
    assert local_start(date(2025, 3, 24), "Europe/Berlin").astimezone(UTC).hour == 7
    assert local_start(date(2025, 3, 31), "Europe/Berlin").astimezone(UTC).hour == 6
    assert local_start(date(2025, 10, 27), "Europe/Berlin").astimezone(UTC).hour == 7


def test_tolerance_and_helpers():
    assert tolerance_days(1, "months", 10) == 3
    assert tolerance_days(90, "days", 10) == 9
    assert tolerance_days(2, "weeks", 0) == 0
    assert replacement_offset([(1730.0, 0.0), (200.0, 5.0)]) == 1730.0 + 195.0
    intercept, slope = least_squares([(0, 1), (1, 3), (2, 5)])
    assert (round(intercept, 6), round(slope, 6)) == (1, 2)
    assert least_squares([(1, 1)]) is None


def _due_dates(plan):
    return list(
        PlanOccurrence.objects.filter(plan=plan).order_by("seq").values_list("due_date", "status")
    )


def test_fixed_monthly_plan_from_31_january_generates_on_month_ends(supervisor, pump, at):
    with at(2025, 1, 30, 12):
        plan = make_plan(
            supervisor, pump, start_date=date(2025, 1, 31), lead_days=2, skip_if_open=False
        )
    days = [(2025, 1, 30), (2025, 2, 27), (2025, 3, 30), (2025, 4, 29), (2025, 4, 29)]
    for day in days:
        with at(*day, 12):
            plans_generate_due()
    assert [d for d, _ in _due_dates(plan)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]
    assert WorkOrder.objects.filter(work_type="preventive").count() == 4


def test_fixed_plan_in_a_leap_year_lands_on_29_february(supervisor, pump, at):
    with at(2024, 2, 1, 12):
        plan = make_plan(supervisor, pump, start_date=date(2024, 1, 31), skip_if_open=False)
    with at(2024, 2, 29, 12):
        plans_generate_due()
    assert _due_dates(plan) == [(date(2024, 2, 29), "open")]


def test_weekly_plan_across_the_spring_dst_change_keeps_local_mondays(
    organization, supervisor, pump, at
):
    organization.time_zone = "Europe/Berlin"
    organization.save()
    with at(2025, 3, 20, 12):
        plan = make_plan(
            supervisor,
            pump,
            start_date=date(2025, 3, 24),
            interval_count=1,
            interval_unit="weeks",
            skip_if_open=False,
        )
    with at(2025, 3, 24, 5):  # 06:00 local Monday
        plans_generate_due()
    with at(2025, 3, 30, 21, 30):  # 23:30 local Sunday: still not Monday in Berlin
        plans_generate_due()
    assert len(_due_dates(plan)) == 1
    with at(2025, 3, 30, 22, 30):  # 00:30 local Monday (CEST), still Sunday in UTC
        plans_generate_due()
    assert [d for d, _ in _due_dates(plan)] == [date(2025, 3, 24), date(2025, 3, 31)]
    starts = list(WorkOrder.objects.order_by("number").values_list("scheduled_start", flat=True))
    # 08:00 local both weeks: 07:00 UTC before the change, 06:00 UTC after it
    assert [s.astimezone(UTC).hour for s in starts] == [7, 6]


def test_daily_plan_across_the_autumn_dst_change(organization, supervisor, pump, at):
    organization.time_zone = "Europe/Berlin"
    organization.save()
    with at(2025, 10, 25, 12):
        plan = make_plan(
            supervisor,
            pump,
            start_date=date(2025, 10, 25),
            interval_count=1,
            interval_unit="days",
            skip_if_open=False,
        )
    for moment in [(2025, 10, 25, 12), (2025, 10, 25, 23, 30), (2025, 10, 26, 23, 30)]:
        with at(*moment):  # 00:30 local on the 26th (CEST) and on the 27th (CET)
            plans_generate_due()
    assert [d for d, _ in _due_dates(plan)] == [
        date(2025, 10, 25),
        date(2025, 10, 26),
        date(2025, 10, 27),
    ]


def test_floating_monthly_plan_moves_from_the_completion_date(
    supervisor, dispatcher, technician, pump, at, django_capture_on_commit_callbacks
):
    with at(2024, 1, 1, 9):
        plan = make_plan(
            supervisor, pump, start_date=date(2024, 1, 1), mode="floating", interval_count=1
        )
        plans_generate_due()
    work_order = WorkOrder.objects.get()
    target = PlanTarget.objects.get(plan=plan)
    assert target.waiting
    with at(2024, 1, 31, 10):
        plans_generate_due()  # waiting for completion: nothing new
        assert WorkOrder.objects.count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            finish(work_order, technician, dispatcher)
    target.refresh_from_db()
    # completed 31 Jan 2024 (leap year) + 1 month = 29 Feb
    assert (target.waiting, target.next_due_date) == (False, date(2024, 2, 29))
    occurrence = PlanOccurrence.objects.get(work_order=work_order)
    assert occurrence.status == "late"  # due 1 Jan, ±3 days tolerance
    with at(2024, 2, 29, 9):
        plans_generate_due()
    assert [d for d, _ in _due_dates(plan)] == [date(2024, 1, 1), date(2024, 2, 29)]


def test_fixed_plan_ignores_when_the_work_was_done(
    supervisor, dispatcher, technician, pump, at, django_capture_on_commit_callbacks
):
    with at(2025, 1, 10, 9):
        plan = make_plan(supervisor, pump, start_date=date(2025, 1, 10), interval_count=1)
        plans_generate_due()
    with at(2025, 1, 25, 9), django_capture_on_commit_callbacks(execute=True):
        finish(WorkOrder.objects.get(), technician, dispatcher)
    target = PlanTarget.objects.get(plan=plan)
    assert target.next_due_date == date(2025, 2, 10)  # the calendar, not completion + 1 month
    assert PlanOccurrence.objects.get().status == "late"


def test_a_fixed_plan_that_missed_due_points_records_them_as_skipped(supervisor, pump, at):
    with at(2025, 1, 1, 9):
        plan = make_plan(
            supervisor, pump, start_date=date(2025, 1, 1), interval_count=1, interval_unit="weeks"
        )
    with at(2025, 1, 23, 9):  # the pass did not run for three weeks
        plans_generate_due()
    assert _due_dates(plan) == [
        (date(2025, 1, 1), "skipped"),
        (date(2025, 1, 8), "skipped"),
        (date(2025, 1, 15), "skipped"),
        (date(2025, 1, 22), "open"),
    ]
    assert set(
        PlanOccurrence.objects.filter(status="skipped").values_list("skip_reason", flat=True)
    ) == {"missed"}
    assert WorkOrder.objects.count() == 1


def test_skip_while_open_records_the_skip_and_opens_nothing(supervisor, pump, at):
    with at(2025, 1, 1, 9):
        plan = make_plan(
            supervisor,
            pump,
            start_date=date(2025, 1, 1),
            interval_count=1,
            interval_unit="weeks",
            skip_if_open=True,
        )
        plans_generate_due()
    with at(2025, 1, 8, 9):
        plans_generate_due()
    assert _due_dates(plan) == [(date(2025, 1, 1), "open"), (date(2025, 1, 8), "skipped")]
    assert PlanOccurrence.objects.get(seq=2).skip_reason == "previous_open"
    assert WorkOrder.objects.count() == 1


def test_active_window_limits_generation(supervisor, pump, at):
    with at(2025, 1, 1, 9):
        plan = make_plan(
            supervisor,
            pump,
            start_date=date(2025, 1, 1),
            interval_count=1,
            interval_unit="weeks",
            skip_if_open=False,
            active_from=date(2025, 1, 8),
            active_until=date(2025, 1, 20),
        )
    for day in (1, 8, 15, 22, 29):
        with at(2025, 1, day, 9):
            plans_generate_due()
    assert [d for d, _ in _due_dates(plan)] == [date(2025, 1, 8), date(2025, 1, 15)]
