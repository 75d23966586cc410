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


# --- the board's hours, at desktop width --------------------------------------------------------


def test_a_job_sits_under_its_hours_and_the_lane_says_what_the_technician_is_doing(
    sign_in, live_server, dispatcher, crew
):
    today = timezone.localtime(timezone.now(), BERLIN).date()
    midday = make_work_order(
        dispatcher,
        title="Midday job",
        scheduled_start=datetime.combine(today, time(12, 0), tzinfo=BERLIN),
        scheduled_end=datetime.combine(today, time(14, 0), tzinfo=BERLIN),
    )
    other = make_work_order(
        dispatcher,
        title="Afternoon job",
        scheduled_start=datetime.combine(today, time(15, 0), tzinfo=BERLIN),
    )
    for job in (midday, other):
        assign(job, crew["novi"], dispatcher)
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")

    lane = _lane(page, "Novi")
    card = lane.locator(f'[data-ref="{midday.reference}"]').bounding_box()
    noon, two = _hour(lane, 12).bounding_box(), _hour(lane, 14).bounding_box()
    assert abs(card["x"] - noon["x"]) <= 3
    assert abs(card["x"] + card["width"] - two["x"]) <= 3
    assert "Busy · 2 jobs" in lane.locator(".lane-head").inner_text()


# --- at phone width -----------------------------------------------------------------------------


def _fits(page, width: int = 360) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for link in page.locator("nav.nav a").all():
        box = link.bounding_box()
        assert box, link.inner_text()
        assert box["x"] >= 0, link.inner_text()
        assert box["x"] + box["width"] <= width, link.inner_text()


def test_at_360_px_the_board_fits_and_a_tap_assigns_with_a_time(
    sign_in, live_server, dispatcher, crew
):
    job = make_work_order(dispatcher, title="Chiller alarm", required_skill="hvac")
    page = sign_in(dispatcher.user.username, PASSWORD, **PHONE_360)
    page.goto(f"{live_server.url}/board/")
    _fits(page)

    page.locator(f'.queue [data-ref="{job.reference}"] .card-title').tap()
    panel = page.locator("#plan-panel .plan-form")
    panel.wait_for()
    box = panel.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    page.locator("#plan-panel .suggestion", has_text="Novi Tech").tap()
    today = timezone.localtime(timezone.now(), BERLIN).date()
    page.fill("#plan-start", f"{today.isoformat()}T09:30")
    assign_button = page.locator("#plan-panel button[type=submit]")
    assign_button.tap()

    assert "Lacks skill" in _refusal(page).inner_text()
    page.fill("#plan-panel #plan-reason", "Novi goes with Ann's notes")
    button = page.locator("#plan-panel button[type=submit]")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 740  # the confirm button is on screen, not below it
    button.tap()

    page.wait_for_selector(f"#plan-panel:has-text('{job.reference} planned')")
    _lane(page, "Novi").locator(f'[data-ref="{job.reference}"]').wait_for()
    job.refresh_from_db()
    assert job.scheduled_start == datetime.combine(today, time(9, 30), tzinfo=BERLIN)
    assert list(job.assignments.values_list("membership", flat=True)) == [crew["novi"].pk]
    _fits(page)


def test_at_360_px_the_work_order_list_shows_each_row_on_screen(sign_in, live_server, dispatcher):
    job = make_work_order(dispatcher, title="A long title for a small screen", priority="p1")
    page = sign_in(dispatcher.user.username, PASSWORD, **PHONE_360)
    page.goto(f"{live_server.url}/work-orders/")
    _fits(page)
    cells = page.locator("tr", has_text=job.reference).locator("td")
    # Number, title, asset, priority, status, assignee, due: each one on screen.
    assert cells.count() == 7
    for index in range(7):
        box = cells.nth(index).bounding_box()
        assert box["x"] + box["width"] <= 360, cells.nth(index).inner_text()


# --- new requests -------------------------------------------------------------------------------


def test_the_count_of_new_requests_shows_on_the_board_and_in_the_nav_and_follows_the_board(
    sign_in, live_server, dispatcher, crew
):
    from workorders.services import request_submit

    request_submit(membership=crew["ann"], description="Noise from the fan coil")
    page = sign_in(dispatcher.user.username, PASSWORD, **DESKTOP)
    page.goto(f"{live_server.url}/board/")
    assert page.locator(".board-requests").inner_text().strip() == "1 new request to review"
    badge = page.locator("nav.nav [data-new-requests]")
    assert badge.is_visible()
    assert badge.text_content().strip() == "1 new"

    request_submit(membership=crew["novi"], description="Door to the plant room sticks")
    # What a notice (or the next poll) makes the board do: ask what changed since.
    page.evaluate("document.body.dispatchEvent(new CustomEvent('fo:reconnected'))")
    page.wait_for_selector(".board-requests:has-text('2 new requests to review')")
    assert badge.text_content().strip() == "2 new"
