"""The JSON API: plans, forecast, compliance and rules; bad definitions refused naming the field
with nothing stored; another organisation's rows are 404; lists run a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.assets.factories import make_asset, make_meter, make_reading
from tests.maintenance.factories import finish, make_plan, make_rule
from workorders.maintenance.models import ConditionRule, MaintenancePlan, PlanTarget
from workorders.maintenance.services import plans_generate_due
from workorders.models import WorkOrder

PLANS = "/api/v1/maintenance-plans"
RULES = "/api/v1/condition-rules"


def _plan_body(asset, **overrides):
    body = {
        "name": "Pump quarterly service",
        "asset_id": str(asset.public_id),
        "start_date": "2025-01-31",
        "interval_count": 3,
        "interval_unit": "months",
        "lead_days": 7,
        "required_skill": "mechanical",
        "estimated_minutes": 120,
        "checklist": [{"label": "Check the seal"}],
    }
    body.update(overrides)
    return body


def test_supervisor_defines_a_plan_and_reads_it_back(supervisor, pump, with_token, at):
    client = with_token(supervisor)
    with at(2025, 1, 10, 9):
        response = client.post(PLANS, _plan_body(pump), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["next_due"] == "2025-01-31"
    assert body["targets"] == 1
    assert body["asset"]["code"] == "PMP-1"
    assert body["compliance"] == {"due": 0, "on_time": 0, "rate": None}
    assert body["checklist"][0]["label"] == "Check the seal"
    assert client.get(f"{PLANS}/{body['id']}").json()["name"] == "Pump quarterly service"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"interval_count": 0}, "interval_count", "at least 1"),
        ({"interval_count": None}, "interval_count", "at least 1"),
        ({"lead_days": 95}, "lead_days", "shorter than the interval"),
        ({"interval_unit": "weeks", "interval_count": 1, "lead_days": 7}, "lead_days", "shorter"),
        (
            {"trigger": "meter", "meter_name": "Bearing temperature", "meter_interval": 100},
            "meter_name",
            "gauge",
        ),
        (
            {"trigger": "meter", "meter_name": "Run hours", "meter_interval": 0},
            "meter_interval",
            "more than 0",
        ),
        (
            {
                "trigger": "meter",
                "meter_name": "Run hours",
                "meter_interval": 100,
                "meter_lead": 100,
            },
            "meter_lead",
            "less than the meter interval",
        ),
        (
            {"trigger": "meter", "meter_name": "Odometer", "meter_interval": 100},
            "meter_name",
            "No covered asset",
        ),
        ({"active_from": "2025-06-01", "active_until": "2025-05-01"}, "active_until", "before"),
        ({"name": "  "}, "name", "required"),
        ({"tolerance_percent": 80}, "tolerance_percent", "50"),
        ({"checklist": [{"label": ""}]}, "checklist.0.label", "required"),
        ({"scope": "asset_type", "asset_id": None}, "asset_type", "required"),
    ],
)
def test_bad_plan_definitions_are_refused_naming_the_field(
    supervisor, pump, with_token, overrides, field, words
):
    make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")
    make_meter(supervisor, pump, name="Bearing temperature", kind="gauge", unit="°C")
    response = with_token(supervisor).post(
        PLANS, _plan_body(pump, **overrides), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert words in error["details"]["fields"][field]
    assert not MaintenancePlan.objects.exists()
    assert not PlanTarget.objects.exists()


def test_another_organisations_rows_are_404(supervisor, other_org_user, pump, with_token, at):
    gauge = make_meter(supervisor, pump, name="Temp", kind="gauge", unit="°C")
    with at(2025, 1, 10, 9):
        plan = make_plan(supervisor, pump)
    rule = make_rule(supervisor, gauge)
    client = with_token(other_org_user)
    assert client.get(f"{PLANS}/{plan.public_id}").status_code == 404
    assert client.get(f"{PLANS}/{plan.public_id}/occurrences").status_code == 404
    assert client.get(f"{RULES}/{rule.public_id}").status_code == 404
    assert client.get(PLANS).json()["items"] == []
    assert client.get(RULES).json()["items"] == []
    response = client.patch(
        f"{PLANS}/{plan.public_id}", {"version": 1, "name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_a_plan_on_another_organisations_asset_is_refused(supervisor, other_org_user, with_token):
    from tests.factories import MembershipFactory

    rival_manager = MembershipFactory(organization=other_org_user.organization, role="admin")
    rival_asset = make_asset(rival_manager, "RIVAL-1")
    response = with_token(supervisor).post(
        PLANS, _plan_body(rival_asset), content_type="application/json"
    )
    assert response.status_code == 422
    assert "asset_id" in response.json()["error"]["details"]["fields"]


def test_roles(technician, dispatcher, pump, with_token):
    assert with_token(technician).get(PLANS).status_code == 403
    assert with_token(dispatcher).get(PLANS).status_code == 200
    response = with_token(dispatcher).post(PLANS, _plan_body(pump), content_type="application/json")
    assert response.status_code == 403


def test_patch_checks_the_version_and_recomputes_the_schedule(supervisor, pump, with_token, at):
    client = with_token(supervisor)
    with at(2025, 1, 10, 9):
        plan = make_plan(supervisor, pump, start_date=date(2025, 1, 31))
        stale = client.patch(
            f"{PLANS}/{plan.public_id}",
            {"version": 9, "name": "x"},
            content_type="application/json",
        )
        assert stale.status_code == 409
        response = client.patch(
            f"{PLANS}/{plan.public_id}",
            {"version": 1, "start_date": "2025-02-15", "interval_count": 2},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["next_due"] == "2025-02-15"
    assert response.json()["version"] == 2
    bad = client.patch(
        f"{PLANS}/{plan.public_id}",
        {"version": 2, "interval_count": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422
    plan.refresh_from_db()
    assert (plan.interval_count, plan.version) == (2, 2)


def test_plan_list_runs_a_fixed_number_of_queries(
    supervisor, site, with_token, at, django_assert_max_num_queries
):
    client = with_token(supervisor)
    with at(2025, 1, 10, 9):
        for index in range(3):
            make_plan(supervisor, make_asset(supervisor, f"A-{index}", location=site))
        with django_assert_max_num_queries(8):
            few = client.get(PLANS).json()["items"]
        for index in range(3, 15):
            make_plan(supervisor, make_asset(supervisor, f"A-{index}", location=site))
        with django_assert_max_num_queries(8):
            many = client.get(PLANS).json()["items"]
    assert (len(few), len(many)) == (3, 15)


def test_forecast_lists_next_dues_and_weekly_load_by_skill(supervisor, pump, site, with_token, at):
    meter = make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")
    with at(2025, 3, 3, 9):
        for day in range(0, 21, 2):  # 10 hours a day
            moment = datetime(2025, 2, 10, 8, tzinfo=UTC) + timedelta(days=day)
            make_reading(supervisor, meter, 100 + 10 * day, moment)
        make_plan(
            supervisor,
            pump,
            name="Weekly check",
            start_date=date(2025, 3, 5),
            interval_count=1,
            interval_unit="weeks",
            required_skill="electrical",
            estimated_minutes=30,
        )
        make_plan(
            supervisor,
            pump,
            name="Oil change",
            trigger="meter",
            meter_name="Run hours",
            meter_interval=100,
            meter_start=250,
            interval_count=None,
            required_skill="mechanical",
            estimated_minutes=60,
        )
        response = with_token(supervisor).get(f"{PLANS}/forecast?count=3&weeks=4")
    assert response.status_code == 200, response.content
    body = response.json()
    by_name = {p["name"]: p for p in body["plans"]}
    assert [d["date"] for d in by_name["Weekly check"]["dues"]] == [
        "2025-03-05",
        "2025-03-12",
        "2025-03-19",
    ]
    # 300 h now, next mark 350 at 10 h/day: 5 days out, then every 10 days
    assert [d["date"] for d in by_name["Oil change"]["dues"]] == [
        "2025-03-08",
        "2025-03-18",
        "2025-03-28",
    ]
    load = {(w["week"], w["skill"]): (w["work_orders"], w["minutes"]) for w in body["workload"]}
    assert load[("2025-03-03", "electrical")] == (1, 30)
    assert load[("2025-03-03", "mechanical")] == (1, 60)


def test_compliance_counts_work_done_within_the_tolerance_window(
    supervisor, dispatcher, technician, pump, with_token, at, django_capture_on_commit_callbacks
):
    with at(2025, 1, 1, 9):
        make_plan(
            supervisor,
            pump,
            start_date=date(2025, 1, 1),
            interval_count=1,
            interval_unit="months",
            skip_if_open=False,
        )  # ±3 days
        plans_generate_due()
    with at(2025, 1, 3, 9), django_capture_on_commit_callbacks(execute=True):
        finish(WorkOrder.objects.get(), technician, dispatcher)  # on time
    with at(2025, 2, 1, 9):
        plans_generate_due()
    with at(2025, 2, 10, 9), django_capture_on_commit_callbacks(execute=True):
        finish(WorkOrder.objects.latest("number"), technician, dispatcher)  # late
    with at(2025, 3, 1, 9):
        plans_generate_due()  # March: open, window still running
    with at(2025, 3, 2, 9):
        body = (
            with_token(supervisor)
            .get("/api/v1/maintenance/compliance?start=2025-01-01&end=2025-03-31")
            .json()
        )
        assert body == {"due": 2, "on_time": 1, "rate": 50.0}
    with at(2025, 3, 10, 9):  # March is now past its window, still not done
        body = (
            with_token(supervisor)
            .get("/api/v1/maintenance/compliance?start=2025-01-01&end=2025-03-31")
            .json()
        )
        assert body == {"due": 3, "on_time": 1, "rate": 33.3}
        plan = with_token(supervisor).get(PLANS).json()["items"][0]
        assert plan["compliance"] == {"due": 3, "on_time": 1, "rate": 33.3}


def test_rules_api(supervisor, pump, with_token):
    gauge = make_meter(supervisor, pump, name="Temp", kind="gauge", unit="°C")
    hours = make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")
    client = with_token(supervisor)
    body = {"name": "Hot", "meter_id": str(gauge.public_id), "limit": 80, "clear_value": 75}
    response = client.post(RULES, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "ok"
    assert response.json()["meter"]["unit"] == "°C"
    refused = [
        ({**body, "meter_id": str(hours.public_id)}, "meter_id"),
        ({**body, "clear_value": 85}, "clear_value"),
        ({**body, "kind": "rate"}, "rate_per_hour"),
        ({**body, "kind": "projection", "sample_size": 2}, "sample_size"),
    ]
    for bad, field in refused:
        response = client.post(RULES, bad, content_type="application/json")
        assert response.status_code == 422
        assert field in response.json()["error"]["details"]["fields"]
    assert ConditionRule.objects.count() == 1
    rule_id = ConditionRule.objects.get().public_id
    patched = client.patch(
        f"{RULES}/{rule_id}", {"version": 1, "limit": 90}, content_type="application/json"
    )
    assert patched.json()["limit"] == 90
    assert len(client.get(RULES).json()["items"]) == 1
