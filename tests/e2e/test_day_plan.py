"""Plan the day as a dispatcher does it: from the board, plan tomorrow, read the proposal (who
does what when, what could not be placed and why), meet a refusal when a rule changed since
planning, accept a lane, and see the board show the jobs in that technician's lane."""

import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from assets.models import Location
from fieldops.accounts.models import Role
from tests.assets.factories import make_location
from tests.dispatch.factories import make_profile, make_skill
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import make_work_order
from workorders.dispatch.models import TimeOff
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PLANT = (52.5200, 13.4050)


def _person(organization, first: str, role: str = Role.TECHNICIAN):
    member = MembershipFactory(organization=organization, role=role)
    member.user.first_name, member.user.last_name = first, "Tech"
    member.user.save()
    return member


@pytest.fixture
def world(organization):
    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    hvac = make_skill(organization.pk, "hvac", "HVAC")
    make_skill(organization.pk, "gas", "Gas", requires_certification=True)
    dispatcher = _person(organization, "Dana", role=Role.DISPATCHER)
    ana, ben = _person(organization, "Ana"), _person(organization, "Ben")
    shift = (time(7, 0), time(16, 0))
    make_profile(ana, skills={hvac: 3}, home=(52.5300, 13.4500), all_week=shift)
    make_profile(ben, home=(52.5000, 13.3500), all_week=shift)
    site = make_location(dispatcher, "PLANT")
    Location.objects.filter(pk=site.pk).update(latitude=PLANT[0], longitude=PLANT[1])
    chiller = make_work_order(
        dispatcher,
        title="Chiller service",
        required_skill="hvac",
        estimated_minutes=60,
        location_id=site.public_id,
        priority="p2",
    )
    boiler = make_work_order(
        dispatcher,
        title="Gas boiler",
        required_skill="gas",
        estimated_minutes=30,
        location_id=site.public_id,
    )
    tomorrow = timezone.now().astimezone(BERLIN).date() + timedelta(days=1)
    return {
        "dispatcher": dispatcher,
        "ana": ana,
        "chiller": chiller,
        "boiler": boiler,
        "day": tomorrow,
    }


def test_dispatcher_plans_the_day_meets_a_refusal_and_accepts_a_lane(
    sign_in, live_server, world, tmp_path
):
    page = sign_in(
        world["dispatcher"].user.username, PASSWORD, viewport={"width": 1280, "height": 900}
    )
    page.goto(live_server.url + "/board/")
    page.get_by_role("link", name="Plan the day").click()
    page.fill("#plan-day", world["day"].isoformat())
    page.get_by_role("button", name="Plan").click()
    page.wait_for_load_state()

    summary = page.locator("#plan-summary")
    summary.wait_for(timeout=15000)  # the solver searches for its time limit
    chiller, boiler = world["chiller"], world["boiler"]
    ana_lane = page.locator("section.plan-lane", has_text="Ana Tech")
    row = ana_lane.locator(f"#stop-{chiller.reference}")
    assert "Chiller service" in row.inner_text()
    assert "new" in row.inner_text()
    assert "was unassigned, skill hvac" in row.inner_text()
    unplaced = page.locator(f"#unplaced-{boiler.reference}")
    assert "skill: Ana Tech lacks skill gas; Ben Tech lacks skill gas" in unplaced.inner_text()
    page.screenshot(path=str(tmp_path / "day-plan.png"), full_page=True)

    # Ana calls in sick for that day after the plan was made: accepting her lane is refused.
    day = world["day"]
    off = TimeOff.objects.create(
        profile=world["ana"].technician_profile,
        starts_at=datetime.combine(day, time(0), tzinfo=BERLIN),
        ends_at=datetime.combine(day, time(23, 0), tzinfo=BERLIN),
        reason="sick",
    )
    ana_lane.get_by_role("button", name="Accept Ana Tech's lane").click()
    page.wait_for_load_state()
    refusals = page.locator("#accept-result .refusals")
    refusals.wait_for(timeout=5000)
    assert chiller.reference in refusals.inner_text()
    assert "Time off until" in refusals.inner_text()
    assert "(sick)" in refusals.inner_text()
    assert WorkOrder.objects.get(pk=chiller.pk).status == "new"

    off.delete()
    page.locator("section.plan-lane", has_text="Ana Tech").get_by_role(
        "button", name="Accept Ana Tech's lane"
    ).click()
    page.wait_for_load_state()
    assert f"Accepted: {chiller.reference}" in page.locator("#accept-result").inner_text()
    assert WorkOrder.objects.get(pk=chiller.pk).status == "assigned"

    page.goto(f"{live_server.url}/board/?day={day.isoformat()}")
    lane = page.locator('[data-drop=technician][data-name="Ana Tech"]')
    lane.locator(f'[data-ref="{chiller.reference}"]').wait_for(timeout=5000)


def test_a_day_in_the_past_is_refused_next_to_the_field(sign_in, live_server, world):
    page = sign_in(world["dispatcher"].user.username, PASSWORD)
    page.goto(live_server.url + "/board/day-plan/")
    page.fill("#plan-day", "2020-01-06")
    page.get_by_role("button", name="Plan").click()
    page.wait_for_load_state()
    assert page.locator("#plan-day-error").inner_text() == "Plan today or a later day."
    assert page.locator("#plan-day").input_value() == "2020-01-06"  # what was typed is kept
