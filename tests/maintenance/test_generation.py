"""Generation: meter-based plans (irregular and replaced meters), whichever-first, asset-type
scope, the checklist template, and exactly-once under re-runs and concurrency."""

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, connections, transaction

from tests.assets.factories import make_asset, make_location, make_meter, make_reading
from tests.maintenance.factories import finish, make_plan
from workorders.maintenance.models import PlanOccurrence, PlanTarget
from workorders.maintenance.services import generation, plans_generate_due
from workorders.maintenance.services.targets import load_assets
from workorders.models import WorkOrder


def _occurrences(plan):
    return list(
        PlanOccurrence.objects.filter(plan=plan)
        .order_by("seq")
        .values_list("due_meter", "status", "triggered_by")
    )


def _hours(supervisor, pump):
    return make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")


def test_meter_plan_with_irregular_readings_opens_once_per_mark_and_records_jumps(
    supervisor, pump, at
):
    meter = _hours(supervisor, pump)
    with at(2025, 1, 1, 9):
        make_reading(supervisor, meter, 120, datetime(2025, 1, 1, 8, tzinfo=UTC))
        plan = make_plan(
            supervisor,
            pump,
            trigger="meter",
            meter_name="Run hours",
            meter_interval=500,
            meter_start=0,
            interval_count=None,
            skip_if_open=False,
        )
    assert PlanTarget.objects.get(plan=plan).next_due_meter == 500
    readings = [(2, 480), (3, 505), (4, 530), (20, 1720)]  # a quiet week, then a long gap
    for day, value in readings:
        with at(2025, 1, day, 9):
            make_reading(supervisor, meter, value, datetime(2025, 1, day, 8, tzinfo=UTC))
            plans_generate_due()
    assert _occurrences(plan) == [
        (500.0, "open", "meter"),
        (1000.0, "skipped", "meter"),  # 1,000 and 1,500 were both passed while nobody read
        (1500.0, "open", "meter"),
    ]
    assert PlanTarget.objects.get(plan=plan).next_due_meter == 2000


def test_meter_plan_counts_across_a_meter_replacement(supervisor, pump, at):
    meter = _hours(supervisor, pump)
    with at(2025, 2, 1, 9):
        make_reading(supervisor, meter, 900, datetime(2025, 2, 1, 8, tzinfo=UTC))
        plan = make_plan(
            supervisor,
            pump,
            trigger="meter",
            meter_name="run hours",
            meter_interval=500,
            meter_start=500,
            interval_count=None,
            meter_lead=20,
        )
        assert PlanTarget.objects.get(plan=plan).next_due_meter == 1000
    with at(2025, 2, 5, 9):
        # the hour meter is swapped at 950 h; the new one starts at 0
        make_reading(supervisor, meter, 950, datetime(2025, 2, 4, 8, tzinfo=UTC))
        make_reading(supervisor, meter, 0, datetime(2025, 2, 4, 9, tzinfo=UTC), is_replacement=True)
        make_reading(supervisor, meter, 30, datetime(2025, 2, 5, 8, tzinfo=UTC))
        plans_generate_due()  # effective 980 = 1000 - lead: due
    assert _occurrences(plan) == [(1000.0, "open", "meter")]
    with at(2025, 2, 6, 9):
        make_reading(supervisor, meter, 45, datetime(2025, 2, 6, 8, tzinfo=UTC))
        plans_generate_due()  # effective 995: nothing new (raw 45 would be nonsense anyway)
    assert len(_occurrences(plan)) == 1


def test_whichever_first_opens_on_the_meter_before_the_calendar(supervisor, pump, at):
    meter = _hours(supervisor, pump)
    with at(2025, 3, 1, 9):
        make_reading(supervisor, meter, 0, datetime(2025, 3, 1, 8, tzinfo=UTC))
        plan = make_plan(
            supervisor,
            pump,
            trigger="both",
            start_date=date(2025, 6, 1),
            interval_count=3,
            meter_name="Run hours",
            meter_interval=250,
            skip_if_open=False,
        )
    with at(2025, 3, 20, 9):
        make_reading(supervisor, meter, 260, datetime(2025, 3, 20, 8, tzinfo=UTC))
        plans_generate_due()
    occurrence = PlanOccurrence.objects.get(plan=plan)
    assert (occurrence.triggered_by, occurrence.due_date) == ("meter", date(2025, 3, 20))
    target = PlanTarget.objects.get(plan=plan)
    # both counts restart from this service
    assert (target.next_due_date, target.next_due_meter) == (date(2025, 6, 20), 500)
    with at(2025, 6, 20, 9):
        plans_generate_due()
    assert PlanOccurrence.objects.filter(plan=plan).latest("seq").triggered_by == "time"


def test_floating_meter_plan_restarts_from_the_reading_at_completion(
    supervisor, dispatcher, technician, pump, at, django_capture_on_commit_callbacks
):
    meter = _hours(supervisor, pump)
    with at(2025, 1, 1, 9):
        make_reading(supervisor, meter, 500, datetime(2025, 1, 1, 8, tzinfo=UTC))
        plan = make_plan(
            supervisor,
            pump,
            trigger="meter",
            mode="floating",
            meter_name="Run hours",
            meter_interval=500,
            meter_start=0,
            interval_count=None,
        )
        plans_generate_due()
    with at(2025, 1, 9, 9):
        make_reading(supervisor, meter, 640, datetime(2025, 1, 9, 8, tzinfo=UTC))
        with django_capture_on_commit_callbacks(execute=True):
            finish(WorkOrder.objects.get(), technician, dispatcher)
    target = PlanTarget.objects.get(plan=plan)
    assert (target.waiting, target.next_due_meter) == (False, 1140)
    occurrence = PlanOccurrence.objects.get(plan=plan)
    assert (occurrence.completed_meter, occurrence.status) == (640, "late")  # 500 ± 50


def test_asset_type_plan_covers_the_location_subtree_and_copies_the_checklist(supervisor, site, at):
    hall = make_location(supervisor, "HALL", kind="building", parent=site)
    other = make_location(supervisor, "ELSEWHERE")
    inside = make_asset(supervisor, "PMP-A", location=hall, asset_type="pump")
    make_asset(supervisor, "PMP-B", location=other, asset_type="pump")
    make_asset(supervisor, "FAN-A", location=hall, asset_type="fan")
    with at(2025, 5, 5, 9):
        plan = make_plan(
            supervisor,
            None,
            scope="asset_type",
            asset_type="Pump",
            location_id=site.public_id,
            start_date=date(2025, 5, 5),
            required_skill="mechanical",
            estimated_minutes=90,
            priority="p2",
            checklist=[
                {"label": "Check the seal"},
                {"label": "Vibration", "kind": "value", "unit": "mm/s", "max_value": 4.5},
            ],
        )
        plans_generate_due()
    work_order = WorkOrder.objects.get()
    assert work_order.asset_id == inside.pk
    assert (work_order.work_type, work_order.priority) == ("preventive", "p2")
    assert (work_order.required_skill, work_order.estimated_minutes) == ("mechanical", 90)
    assert list(work_order.checklist.values_list("label", "kind", "max_value")) == [
        ("Check the seal", "pass_fail", None),
        ("Vibration", "value", 4.5),
    ]
    # an asset of the type added later is picked up by the next pass
    late = make_asset(supervisor, "PMP-C", location=site, asset_type="pump")
    with at(2025, 5, 6, 9):
        plans_generate_due()
    assert PlanTarget.objects.filter(plan=plan).count() == 2
    assert PlanTarget.objects.get(plan=plan, asset=late).next_due_date == date(2025, 6, 5)


def test_generation_is_idempotent_when_run_again(supervisor, pump, at):
    with at(2025, 1, 31, 9):
        make_plan(supervisor, pump, start_date=date(2025, 1, 31))
        first = plans_generate_due()
        second = plans_generate_due()
        third = plans_generate_due()
    assert (first.opened, second.opened, third.opened) == (1, 0, 0)
    assert WorkOrder.objects.count() == PlanOccurrence.objects.count() == 1


def test_a_pass_working_from_a_stale_target_opens_nothing(supervisor, pump, at):
    """The loser of a race: it read the target before the winner moved it on."""
    with at(2025, 1, 31, 9):
        plan = make_plan(supervisor, pump, start_date=date(2025, 1, 31))
        stale = PlanTarget.objects.get(plan=plan)
        plans_generate_due()
        plan.refresh_from_db()
        step = generation.plan_step(
            plan, stale, today=date(2025, 1, 31), meter_value=None, previous_open=False
        )
        asset = load_assets(organization_ids=[plan.organization_id])[pump.pk]
        report = generation.GenerationReport()
        generation._apply(plan, asset, stale, None, step, report)
    assert (report.opened, report.conflicts) == (0, 1)
    assert WorkOrder.objects.count() == 1


def test_the_database_refuses_a_second_occurrence_of_a_due_point(supervisor, pump, at):
    with at(2025, 1, 31, 9):
        plan = make_plan(supervisor, pump, start_date=date(2025, 1, 31))
        plans_generate_due()
    first = PlanOccurrence.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanOccurrence.objects.create(
            organization_id=plan.organization_id,
            plan=plan,
            asset=pump,
            seq=first.seq,
            triggered_by="time",
            due_date=first.due_date,
        )


@pytest.mark.django_db(transaction=True)
def test_two_workers_generating_at_once_open_each_work_order_once(supervisor, site, at):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs real concurrent transactions: SQLite serialises every writer on one "
            "database lock, so two threads there prove nothing; CI runs this on PostgreSQL"
        )
    with at(2025, 1, 31, 9):
        for index in range(12):
            asset = make_asset(supervisor, f"CC-{index}", location=site, asset_type="pump")
            make_plan(supervisor, asset, name=f"Plan {index}", start_date=date(2025, 1, 31))
    barrier, reports, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with at(2025, 1, 31, 9):
                barrier.wait()
                reports.append(plans_generate_due())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.opened for r in reports) == 12
    assert WorkOrder.objects.count() == PlanOccurrence.objects.count() == 12
    assert set(PlanTarget.objects.values_list("seq", flat=True)) == {2}


def test_a_pass_costs_the_same_queries_at_any_number_of_plans(supervisor, site, at):
    from django.test.utils import CaptureQueriesContext

    def pass_queries():
        with at(2025, 1, 10, 9), CaptureQueriesContext(connection) as queries:
            assert plans_generate_due().opened == 0
        return len(queries)

    def add_plans(first, last):
        with at(2025, 1, 10, 9):
            for index in range(first, last):
                asset = make_asset(supervisor, f"Q-{index}", location=site, asset_type="pump")
                meter = _hours(supervisor, asset)
                make_reading(supervisor, meter, 10, datetime(2025, 1, 10, 8, tzinfo=UTC))
                make_plan(supervisor, asset, name=f"P{index}", start_date=date(2025, 3, 1))
                make_plan(
                    supervisor,
                    asset,
                    name=f"M{index}",
                    trigger="meter",
                    meter_name="Run hours",
                    meter_interval=500,
                    interval_count=None,
                )
        make_plan(
            supervisor,
            None,
            name=f"T{first}",
            scope="asset_type",
            asset_type="pump",
            start_date=date(2025, 3, 1),
        )

    add_plans(0, 2)
    pass_queries()  # the type plan picks up the new pumps once
    few = pass_queries()
    add_plans(2, 14)
    pass_queries()
    assert pass_queries() == few
