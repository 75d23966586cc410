"""Condition rules: each kind firing, not firing and not firing twice; hysteresis and the minimum
duration; evaluated through the reading event and by the beat backstop."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.assets.factories import make_meter, make_reading
from tests.maintenance.factories import finish, make_rule
from workorders.maintenance.models import RuleFiring
from workorders.maintenance.services import rules_evaluate_stale
from workorders.models import WorkOrder

T0 = datetime(2025, 4, 1, 6, tzinfo=UTC)


@pytest.fixture
def gauge(supervisor, pump):
    return make_meter(
        supervisor,
        pump,
        name="Bearing temperature",
        kind="gauge",
        unit="°C",
        min_value=-40,
        max_value=200,
    )


@pytest.fixture
def feed(supervisor, gauge, at, django_capture_on_commit_callbacks):
    """Record readings one by one through the assets service; the event runs the rules."""

    def record(values, *, start=T0, every=timedelta(minutes=10)):
        for index, value in enumerate(values):
            moment = start + every * index
            with at(*moment.timetuple()[:6]), django_capture_on_commit_callbacks(execute=True):
                make_reading(supervisor, gauge, value, moment)

    return record


def predictive():
    return WorkOrder.objects.filter(work_type="predictive")


def test_threshold_fires_once_with_its_evidence(supervisor, gauge, feed):
    rule = make_rule(supervisor, gauge, limit=80, clear_value=75)
    feed([70, 72, 79.9])
    assert not predictive().exists()
    feed([81, 83, 85], start=T0 + timedelta(hours=1))
    work_order = predictive().get()
    assert work_order.asset_id == gauge.asset_id
    assert "81" in work_order.description
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.work_order == work_order
    assert firing.is_open
    assert [r["value"] for r in firing.evidence["readings"]] == [70, 72, 79.9, 81]
    assert firing.evidence["value"] == 81
    assert firing.evidence["limit"] == 80
    rule.refresh_from_db()
    assert rule.state == "firing"


def test_a_value_hovering_at_the_limit_does_not_flap(supervisor, gauge, feed):
    make_rule(supervisor, gauge, limit=80, clear_value=75)
    feed([81, 79, 81, 79.5, 80.5, 78, 82])  # never back below 75: one firing, one work order
    assert predictive().count() == 1
    feed([74, 81], start=T0 + timedelta(hours=3))  # cleared, then crossed again
    # a second firing is due, but the first work order is still open: none opened
    assert predictive().count() == 1
    assert RuleFiring.objects.count() == 1


def test_minimum_duration_ignores_a_short_spike(supervisor, gauge, feed):
    make_rule(supervisor, gauge, limit=80, clear_value=75, min_duration_minutes=30)
    feed([85, 86, 70])  # 20 minutes above, then down: a spike
    assert not predictive().exists()
    feed([85, 86, 87, 88], start=T0 + timedelta(hours=2))  # 30 minutes above
    assert predictive().count() == 1


def test_below_direction_threshold(supervisor, gauge, feed):
    make_rule(
        supervisor, gauge, name="Suction pressure low", direction="below", limit=10, clear_value=12
    )
    feed([14, 12, 10.5])
    assert not predictive().exists()
    feed([9.5], start=T0 + timedelta(hours=1))
    assert predictive().count() == 1


def test_rate_of_change_fires_on_a_fast_rise_not_a_slow_one(supervisor, gauge, feed):
    make_rule(
        supervisor, gauge, kind="rate", limit=150, rate_per_hour=6, clear_value=2, window_hours=1
    )
    feed([40, 40.5, 41, 41.5, 42, 42.5, 43])  # 3 °C per hour
    assert not predictive().exists()
    feed([44, 46, 48, 50], start=T0 + timedelta(hours=2))  # 12 °C per hour
    work_order = predictive().get()
    assert "rate of change" in work_order.description


def test_projected_crossing_fires_when_the_trend_reaches_the_limit_within_the_horizon(
    supervisor, gauge, feed
):
    rule = make_rule(supervisor, gauge, kind="projection", limit=90, sample_size=5, horizon_days=3)
    day = timedelta(days=1)
    feed([50, 51, 52, 53, 54], every=day)  # +1 °C a day: 36 days away
    assert not predictive().exists()
    feed([60, 66, 72, 78], start=T0 + 5 * day, every=day)  # +6 a day: reaches 90 in ~2 days
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.evidence["trend"]["slope_per_day"] > 5
    projected = datetime.fromisoformat(firing.evidence["projected_date"])
    assert T0 + 8 * day < projected < T0 + 11 * day
    assert "Projected to reach the limit" in firing.work_order.description


def test_projection_does_not_fire_on_a_falling_trend(supervisor, gauge, feed):
    make_rule(supervisor, gauge, kind="projection", limit=90, sample_size=4, horizon_days=30)
    feed([80, 78, 76, 74, 72], every=timedelta(days=1))
    assert not predictive().exists()


def test_a_rule_fires_again_only_after_its_work_order_finished_and_it_cleared(
    supervisor, dispatcher, technician, gauge, feed, django_capture_on_commit_callbacks
):
    rule = make_rule(supervisor, gauge, limit=80, clear_value=75)
    feed([85])
    with django_capture_on_commit_callbacks(execute=True):
        finish(predictive().get(), technician, dispatcher)
    assert not RuleFiring.objects.get(rule=rule).is_open
    feed([86], start=T0 + timedelta(hours=1))  # still firing: no new edge
    assert predictive().count() == 1
    feed([70, 90], start=T0 + timedelta(hours=2))
    assert predictive().count() == 2


def test_the_database_allows_one_open_firing_per_rule(supervisor, gauge, feed):
    from django.db import IntegrityError, transaction

    rule = make_rule(supervisor, gauge, limit=80)
    feed([85])
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleFiring.objects.create(
            organization_id=rule.organization_id, rule=rule, fired_at=T0, evidence={}
        )


def test_the_beat_backstop_evaluates_readings_whose_event_was_lost(supervisor, gauge, at):
    make_rule(supervisor, gauge, limit=80)
    with at(2025, 4, 1, 7):
        make_reading(supervisor, gauge, 90, T0)  # no on-commit: the event never ran
    assert not predictive().exists()
    rules_evaluate_stale()
    rules_evaluate_stale()
    assert predictive().count() == 1


def test_readings_on_cumulative_meters_do_not_run_rules(supervisor, pump, at):
    hours = make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")
    with at(2025, 4, 1, 7):
        make_reading(supervisor, hours, 100, T0)
    assert not predictive().exists()
