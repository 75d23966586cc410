"""A supervisor sets up a maintenance plan in the editor at phone width: a number typed wrong is
named in the summary above the form and beside its field, everything typed stays, and a decimal
comma is read as the decimal mark."""

import pytest

from fieldops.accounts.models import Role
from tests.assets.factories import make_asset, make_meter
from tests.factories import PASSWORD, MembershipFactory
from workorders.maintenance.models import MaintenancePlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_plan_names_its_fields_and_a_decimal_comma_is_read(
    organization, sign_in, live_server
):
    supervisor = MembershipFactory(organization=organization, role=Role.SUPERVISOR)
    pump = make_asset(supervisor, "PMP-7", name="Feed pump")
    make_meter(supervisor, pump, name="Run hours")
    page = sign_in(supervisor.user.username, PASSWORD, viewport={"width": 360, "height": 780})
    page.goto(f"{live_server.url}/plans/new/")
    page.fill("#name", "Grease the feed pump")
    page.select_option("#asset_id", str(pump.public_id))
    page.fill("#interval_count", "two")
    page.fill("#start_date", "2031-05-04")
    page.get_by_role("button", name="Save plan").click()

    summary = page.locator("[role=alert]").first
    assert "The plan was not saved" in summary.inner_text()
    assert summary.locator("a[href='#interval_count']").inner_text() == "Repeat every"
    assert "Must be a whole number." in summary.inner_text()
    assert page.input_value("#name") == "Grease the feed pump"
    assert page.input_value("#interval_count") == "two"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="docs/screenshots/plan-refused-360.png", full_page=False)
    assert not MaintenancePlan.objects.exists()

    page.fill("#interval_count", "1")
    page.select_option("#trigger", "both")
    page.fill("#meter_name", "Run hours")
    page.fill("#meter_interval", "250,5")
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_url("**/plans/*/")
    assert MaintenancePlan.objects.get().meter_interval == 250.5
