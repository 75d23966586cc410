"""The dispatch board as a dispatcher uses it: dragging onto a lane and onto an hour, the Assign
button, the refusals those meet (read, answered with an override reason, assigned), and the same
board at phone width with a tap-to-assign path."""

import re
import zoneinfo
from datetime import datetime, time

import pytest
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.dispatch.factories import make_profile, make_skill
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders.dispatch.models import AssignmentOverride
from workorders.models import Status, WorkOrder
from workorders.services import work_order_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE_360 = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def _person(organization, first: str, role: str = Role.TECHNICIAN):
    member = MembershipFactory(organization=organization, role=role)
    member.user.first_name, member.user.last_name = first, "Tech"
    member.user.save()
    return member


@pytest.fixture
def crew(organization):
    """Ann holds HVAC and works 07:00-16:00 every day; Novi has no skills and no shifts."""
    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    hvac = make_skill(organization.pk, "hvac", "HVAC")
    ann = _person(organization, "Ann")
    make_profile(ann, skills={hvac: 3}, all_week=(time(7, 0), time(16, 0)))
    novi = _person(organization, "Novi")
    return {"ann": ann, "novi": novi}


@pytest.fixture
def dispatcher(organization):
    return _person(organization, "Dana", role=Role.DISPATCHER)


def _lane(page, name: str):
    return page.locator(f'[data-drop=technician][data-name="{name} Tech"]')


def _hour(lane, hour: int):
    return lane.locator("[data-drop=slot]", has_text=re.compile(rf"^\s*{hour}\s*$"))


def _refusal(page):
    alert = page.locator("#plan-panel [role=alert]").first
    alert.wait_for(timeout=5000)
    return alert


def test_a_drop_on_a_lane_shows_the_refusal_and_takes_the_override_reason(
    sign_in, live_server, dispatcher, crew
):
    job = make_work_order(dispatcher, title="Chiller alarm", required_skill="hvac")
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")

    page.locator(f'.queue [data-ref="{job.reference}"]').drag_to(
        _lane(page, "Novi").locator(".lane-head")
    )

    assert "Lacks skill" in _refusal(page).inner_text()
    reason = page.locator("#plan-panel #plan-reason")
    assert reason.is_visible()
    chosen = page.locator("#plan-panel input[name=technician]:checked")
    assert chosen.get_attribute("value") == str(crew["novi"].public_id)
    reason.fill("Ann is away; Novi works with the manual")
    page.locator("#plan-panel button[type=submit]").click()

    page.wait_for_selector(f"#plan-panel:has-text('{job.reference} planned')")
    _lane(page, "Novi").locator(f'[data-ref="{job.reference}"]').wait_for()
    job.refresh_from_db()
    assert job.status == Status.ASSIGNED
    assert list(job.assignments.values_list("membership", flat=True)) == [crew["novi"].pk]
    assert AssignmentOverride.objects.get().reason == "Ann is away; Novi works with the manual"


def test_a_drop_on_an_hour_off_shift_is_refused_and_a_second_refusal_keeps_the_reason(
    sign_in, live_server, dispatcher, crew
):
    job = make_work_order(dispatcher, title="Filter change")
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")

    page.locator(f'.queue [data-ref="{job.reference}"]').drag_to(_hour(_lane(page, "Ann"), 18))

    assert "Off shift" in _refusal(page).inner_text()
    typed = "Customer only there after six"
    page.fill("#plan-panel #plan-reason", typed)
    # Meanwhile a colleague edits the job: the next try is refused again, for that.
    work_order_update(
        membership=dispatcher,
        work_order=WorkOrder.objects.get(pk=job.pk),
        expected_version=None,
        changes={"title": "Filter change (both units)"},
    )
    page.locator("#plan-panel button[type=submit]").click()
    page.wait_for_selector("#plan-panel [role=alert]:has-text('changed this job meanwhile')")
    assert page.locator("#plan-panel #plan-reason").input_value() == typed

    page.locator("#plan-panel button[type=submit]").click()
    page.wait_for_selector(f"#plan-panel:has-text('{job.reference} planned')")
    job.refresh_from_db()
    today = timezone.localtime(timezone.now(), BERLIN).date()
    assert job.scheduled_start == datetime.combine(today, time(18, 0), tzinfo=BERLIN)
    assert list(job.assignments.values_list("membership", flat=True)) == [crew["ann"].pk]
    assert AssignmentOverride.objects.get().reason == typed


def test_the_assign_button_shows_the_refusal_then_assigns_with_the_reason(
    sign_in, live_server, dispatcher, crew
):
    job = make_work_order(dispatcher, title="Gas leak check", required_skill="hvac")
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")

    page.locator(f'[data-ref="{job.reference}"] .plan-link').click()
    page.locator("#plan-panel .suggestion", has_text="Novi Tech").locator("input").check()
    page.locator("#plan-panel button[type=submit]").click()

    assert "Lacks skill" in _refusal(page).inner_text()
    page.fill("#plan-panel #plan-reason", "Supervised by phone")
    page.locator("#plan-panel button[type=submit]").click()
    page.wait_for_selector(f"#plan-panel:has-text('{job.reference} planned')")
    assert AssignmentOverride.objects.get().reason == "Supervised by phone"


def test_any_refusal_of_a_drop_is_shown_even_one_the_panel_has_no_field_for(
    sign_in, live_server, dispatcher, crew
):
    """The board was drawn while the job was assigned; the technician has started it since. The
    drop is refused (work under way cannot change hands), and the dispatcher reads why."""
    job = make_work_order(dispatcher, title="Pump seal")
    assign(job, crew["ann"], dispatcher)
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")
    card = _lane(page, "Ann").locator(f'[data-ref="{job.reference}"]')
    card.wait_for()
    WorkOrder.objects.filter(pk=job.pk).update(status=Status.IN_PROGRESS)

    card.drag_to(_lane(page, "Novi").locator(".lane-head"))

    assert "cannot be reassigned" in _refusal(page).inner_text()
    assert list(job.assignments.values_list("membership", flat=True)) == [crew["ann"].pk]
