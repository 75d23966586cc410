"""The htmx pages: lists with fixed queries, the editor keeping input on refusal, the live
preview, the forecast, the rule page's chart; tenancy and roles."""

from datetime import UTC, date, datetime, timedelta

from tests.assets.factories import make_asset, make_meter, make_reading
from tests.maintenance.factories import make_plan, make_rule
from workorders.maintenance.models import MaintenancePlan
from workorders.maintenance.services import plans_generate_due


def _form(asset, **overrides):
    data = {
        "name": "Monthly lubrication",
        "scope": "asset",
        "asset_id": str(asset.public_id),
        "trigger": "time",
        "mode": "fixed",
        "interval_count": "1",
        "interval_unit": "months",
        "start_date": "2025-01-31",
        "lead_days": "3",
        "tolerance_percent": "10",
        "priority": "p3",
        "is_active": "on",
        "checklist": "Grease bearings\nOil level | value | mm | 20 | 40",
    }
    data.update(overrides)
    return data


def test_plan_list_page_runs_fixed_queries(
    supervisor, site, as_member, at, django_assert_max_num_queries
):
    client = as_member(supervisor)
    with at(2025, 1, 10, 9):
        for index in range(2):
            make_plan(supervisor, make_asset(supervisor, f"L-{index}", location=site))
        with django_assert_max_num_queries(12):
            assert client.get("/plans/").status_code == 200
        for index in range(2, 12):
            make_plan(supervisor, make_asset(supervisor, f"L-{index}", location=site))
            plans_generate_due()
        with django_assert_max_num_queries(12):
            response = client.get("/plans/")
    assert response.content.decode().count("Quarterly service") == 12


def test_creating_a_plan_from_the_editor(supervisor, pump, as_member, at):
    client = as_member(supervisor)
    with at(2025, 1, 10, 9):
        assert client.get("/plans/new/").status_code == 200
        response = client.post("/plans/new/", _form(pump))
    assert response.status_code == 302
    plan = MaintenancePlan.objects.get()
    assert plan.checklist[1] == {
        "label": "Oil level",
        "kind": "value",
        "unit": "mm",
        "min_value": 20.0,
        "max_value": 40.0,
        "required": True,
        "requires_photo": False,
    }
    with at(2025, 1, 10, 9):
        page = client.get(response["Location"]).content.decode()
    assert "Every 1 month (fixed)" in page
    assert "Fri 31 Jan 2025" in page


def test_a_refused_plan_keeps_what_was_typed_and_stores_nothing(supervisor, pump, as_member):
    response = as_member(supervisor).post(
        "/plans/new/", _form(pump, interval_count="0", lead_days="x", name="Keep me")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The interval must be at least 1." in page or "whole number" in page
    assert 'value="Keep me"' in page
    assert "Grease bearings" in page
    assert not MaintenancePlan.objects.exists()


def test_live_preview_lists_the_next_due_dates_without_saving(supervisor, pump, as_member, at):
    client = as_member(supervisor)
    with at(2025, 1, 10, 9):
        response = client.post("/plans/preview/", _form(pump), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'id="preview"' in page
    for day in ("Fri 31 Jan 2025", "Fri 28 Feb 2025", "Mon 31 Mar 2025", "Wed 30 Apr 2025"):
        assert day in page
    bad = client.post("/plans/preview/", _form(pump, lead_days="40")).content.decode()
    assert "shorter than the interval" in bad
    assert not MaintenancePlan.objects.exists()


def test_forecast_page_shows_load_by_skill(supervisor, pump, as_member, at):
    with at(2025, 1, 6, 9):
        make_plan(
            supervisor,
            pump,
            start_date=date(2025, 1, 8),
            interval_count=1,
            interval_unit="weeks",
            required_skill="electrical",
            estimated_minutes=120,
        )
        page = as_member(supervisor).get("/plans/forecast/?weeks=4").content.decode()
    assert "electrical" in page
    assert "2 h" in page


def test_rule_page_draws_recent_readings_against_the_limit(supervisor, pump, as_member, at):
    gauge = make_meter(supervisor, pump, name="Temp", kind="gauge", unit="°C")
    rule = make_rule(supervisor, gauge, limit=80, clear_value=75)
    start = datetime(2025, 4, 1, 6, tzinfo=UTC)
    with at(2025, 4, 2, 6):
        for index, value in enumerate([70, 76, 82, 79]):
            make_reading(supervisor, gauge, value, start + timedelta(hours=index))
        page = as_member(supervisor).get(f"/rules/{rule.public_id}/").content.decode()
    assert "<svg" in page
    assert 'class="rule-limit"' in page
    assert page.count('class="rule-breach"') == 1
    assert "clears at 75" in page


def test_rule_editor_refuses_a_cumulative_meter(supervisor, pump, as_member):
    hours = make_meter(supervisor, pump, name="Run hours", kind="cumulative", unit="h")
    response = as_member(supervisor).post(
        "/rules/new/",
        {
            "name": "Hot",
            "meter_id": str(hours.public_id),
            "kind": "threshold",
            "direction": "above",
            "limit": "80",
            "priority": "p2",
        },
    )
    assert response.status_code == 422
    assert "condition rules watch gauge meters" in response.content.decode()


def test_pages_of_another_organisation_are_404_and_technicians_are_refused(
    supervisor, technician, other_org_user, pump, as_member, at
):
    gauge = make_meter(supervisor, pump, name="Temp", kind="gauge", unit="°C")
    rule = make_rule(supervisor, gauge)
    with at(2025, 1, 10, 9):
        plan = make_plan(supervisor, pump)
    outsider = as_member(other_org_user)
    for url in (
        f"/plans/{plan.public_id}/",
        f"/plans/{plan.public_id}/edit/",
        f"/rules/{rule.public_id}/",
    ):
        assert outsider.get(url).status_code == 404
    assert as_member(technician).get("/plans/").status_code == 403
    assert as_member(supervisor).get("/rules/").status_code == 200


def test_preview_shows_calendar_dates_before_the_name_and_asset_are_chosen(
    supervisor, pump, as_member, at
):
    with at(2025, 1, 10, 9):
        page = (
            as_member(supervisor)
            .post("/plans/preview/", _form(pump, name="", asset_id=""))
            .content.decode()
        )
    assert "Fri 28 Feb 2025" in page
    assert "Fix these" not in page


def test_editors_open_only_for_those_who_may_save(supervisor, dispatcher, pump, as_member, at):
    """A dispatcher reads plans and rules but may not change them: the editors refuse before
    anything is typed, and the rule's page shows its fields disabled, without a save button."""
    gauge = make_meter(supervisor, pump, name="Temp", kind="gauge", unit="°C")
    rule = make_rule(supervisor, gauge)
    with at(2025, 1, 10, 9):
        plan = make_plan(supervisor, pump)
    reader = as_member(dispatcher)
    for url in ("/plans/new/", f"/plans/{plan.public_id}/edit/", "/rules/new/"):
        refused = reader.get(url)
        assert refused.status_code == 403, url
        assert "Supervisors and admins define maintenance plans" in refused.content.decode()
    assert "New plan" not in reader.get("/plans/").content.decode()
    assert reader.get(f"/plans/{plan.public_id}/").status_code == 200

    page = reader.get(f"/rules/{rule.public_id}/").content.decode()
    assert '<fieldset class="form-body" disabled>' in page
    assert "Save changes" not in page
    editable = as_member(supervisor).get(f"/rules/{rule.public_id}/").content.decode()
    assert '<fieldset class="form-body">' in editable
    assert "Save changes" in editable


def test_new_plan_starts_on_the_organisations_date_not_the_servers(supervisor, as_member, at):
    organization = supervisor.organization
    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    client = as_member(supervisor)
    with at(2025, 1, 10, 23, 30):  # 00:30 on the 11th in Berlin
        page = client.get("/plans/new/").content.decode()
    assert 'value="2025-01-11"' in page
    assert 'value="2025-01-10"' not in page


# (what the editor and the API are sent, over a good plan) -> the field refused and its words,
# the same on both doors; or None: both store it, with the value read back.
PLAN_INPUTS = [
    ({"interval_count": "two"}, ("interval_count", "Must be a whole number.")),
    ({"start_date": "31/01/2025"}, ("start_date", "Must be a date, like 2026-05-04.")),
    ({"priority": "urgent"}, ("priority", "Must be one of: p1, p2, p3 or p4.")),
    ({"trigger": "meter", "meter_name": "Run hours", "meter_interval": "250,5"}, None),
]


def _api_body(form: dict) -> dict:
    body = {k: v for k, v in form.items() if k not in ("checklist", "is_active")}
    return body | {"is_active": True}


def test_a_meter_plan_saved_from_the_editor_needs_no_start_date(supervisor, pump, as_member):
    make_meter(supervisor, pump, name="Run hours")
    form = _form(pump, trigger="meter", meter_name="Run hours", meter_interval="250", start_date="")
    assert as_member(supervisor).post("/plans/new/", form).status_code == 302
    assert MaintenancePlan.objects.get().meter_interval == 250
    calendar = as_member(supervisor).post("/plans/new/", _form(pump, start_date=""))
    assert calendar.status_code == 422
    assert "Give the first due date." in calendar.content.decode()


def test_the_plan_editor_and_the_api_read_a_plan_alike(supervisor, pump, as_member, with_token):
    make_meter(supervisor, pump, name="Run hours")
    for change, refused in PLAN_INPUTS:
        form = _form(pump, **change)
        before = MaintenancePlan.objects.count()
        page = as_member(supervisor).post("/plans/new/", form)
        api = with_token(supervisor).post(
            "/api/v1/maintenance-plans", _api_body(form), content_type="application/json"
        )
        if refused is None:
            assert (page.status_code, api.status_code) == (302, 201), api.content
            assert list(
                MaintenancePlan.objects.filter(pk__gt=0).values_list("meter_interval", flat=True)
            )[-2:] == [250.5, 250.5]
            continue
        field, words = refused
        assert (page.status_code, api.status_code) == (422, 422), change
        assert api.json()["error"]["details"]["fields"] == {field: words}
        assert words in page.content.decode()
        assert MaintenancePlan.objects.count() == before
