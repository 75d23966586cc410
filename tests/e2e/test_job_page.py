"""The job page as its users find it (issue #19): a technician on a phone, a dispatcher at a desk.

Each test taps, types and reads what the page says, then reads the record back."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from assets.models import Asset, Meter
from fieldops.accounts.models import Role
from tests.assets.factories import make_reading
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
from workorders import services
from workorders.models import Request, Status, TimeEntry, TimeKind, WorkOrder, WorkOrderReading
from workorders.services import ChecklistItemSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _job(organization, *, status: str = Status.ASSIGNED, checks: int = 0, **fields):
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    work_order = make_work_order(
        dispatcher,
        checklist=[ChecklistItemSpec(f"Check number {n}") for n in range(1, checks + 1)],
        **fields,
    )
    if status != Status.NEW:
        assign(work_order, technician, dispatcher)
    if status == Status.IN_PROGRESS:
        move(work_order, technician, Status.IN_PROGRESS)
    return work_order, technician, dispatcher


def _open(sign_in, live_server, member, work_order, **context):
    page = sign_in(member.user.username, PASSWORD, **(context or PHONE))
    page.goto(f"{live_server.url}/work-orders/{work_order.reference}/")
    return page


def _in_view(page, selector: str) -> bool:
    """Whether the browser brings ``selector`` into view within 5 s: it scrolls to the URL's
    fragment once the page has laid out, which under load comes after the text a test waits for."""
    try:
        page.wait_for_function(
            """(sel) => { const box = document.querySelector(sel).getBoundingClientRect();
                          return box.top >= 0 && box.top < window.innerHeight; }""",
            arg=selector,
            timeout=5000,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def test_a_checklist_answer_returns_to_its_item_and_shows_the_chosen_answer(
    sign_in, live_server, organization
):
    work_order, technician, _ = _job(organization, status=Status.IN_PROGRESS, checks=8)
    page = _open(sign_in, live_server, technician, work_order)

    page.locator("#item-7 button:has-text('Fail')").click()
    page.wait_for_selector("#item-7 .answer")

    assert page.url.endswith("#item-7")
    assert page.evaluate("window.scrollY") > 0
    assert _in_view(page, "#item-7")
    pressed = page.locator("#item-7 .seg button")
    assert [(b.inner_text(), b.get_attribute("aria-pressed")) for b in pressed.all()] == [
        ("Pass", "false"),
        ("Fail", "true"),
        ("N/A", "false"),
    ]


def test_the_follow_up_button_keeps_8_px_from_the_answer_buttons(
    sign_in, live_server, organization
):
    work_order, technician, _ = _job(organization, status=Status.IN_PROGRESS, checks=1)
    page = _open(sign_in, live_server, technician, work_order)
    page.locator("#item-1 button:has-text('Fail')").click()
    page.wait_for_selector("#item-1 button:has-text('Open follow-up')")

    na = page.locator("#item-1 button:has-text('N/A')").bounding_box()
    follow_up = page.locator("#item-1 button:has-text('Open follow-up')").bounding_box()
    assert follow_up["y"] - (na["y"] + na["height"]) >= 8


def test_timer_buttons_return_to_the_time_section_and_draw_the_apps_own_icon(
    sign_in, live_server, organization
):
    work_order, technician, _ = _job(organization, status=Status.IN_PROGRESS, checks=8)
    TimeEntry.objects.filter(work_order=work_order).delete()
    page = _open(sign_in, live_server, technician, work_order)

    travel = page.locator("#time button:has-text('Travel')")
    assert "⏱" not in page.locator("#time").inner_text()
    assert travel.locator("svg").count() == 1
    travel.click()
    page.wait_for_selector("text=Travel timer running")

    assert page.url.endswith("#time")
    assert _in_view(page, "#time")
    page.click("button:has-text('Stop timer')")
    page.wait_for_selector("text=Timer stopped")
    assert page.url.endswith("#time")
    assert _in_view(page, "#time")


def test_starting_work_starts_the_work_timer(sign_in, live_server, organization):
    work_order, technician, _ = _job(organization)
    page = _open(sign_in, live_server, technician, work_order)

    page.click("button:has-text('Start work')")
    page.wait_for_selector(".badge.st-in_progress")

    assert "Work timer running since" in page.locator("#time").inner_text()
    assert list(
        TimeEntry.objects.filter(work_order=work_order).values_list(
            "kind", "technician", "ended_at"
        )
    ) == [(TimeKind.WORK, technician.pk, None)]


def test_logged_time_needs_its_kind_chosen(sign_in, live_server, organization):
    work_order, technician, _ = _job(organization, status=Status.IN_PROGRESS)
    TimeEntry.objects.filter(work_order=work_order).delete()
    page = _open(sign_in, live_server, technician, work_order)

    page.click("text=Log time afterwards")
    assert page.locator("#tl-kind").input_value() == ""
    page.fill("#tl-min", "30")
    page.click("button:has-text('Log time')")

    assert page.locator("#e-tl-kind").inner_text() == "Choose what the time was spent on."
    assert page.locator("#tl-min").input_value() == "30"
    assert not TimeEntry.objects.filter(work_order=work_order).exists()

    page.select_option("#tl-kind", "work")
    page.click("button:has-text('Log time')")
    page.wait_for_selector("text=30 min logged")
    assert list(TimeEntry.objects.filter(work_order=work_order).values_list("kind", "minutes")) == [
        (TimeKind.WORK, 30)
    ]


def test_a_technician_raises_new_work_from_my_work(sign_in, live_server, organization):
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    page = sign_in(technician.user.username, PASSWORD, **PHONE)
    assert page.url.endswith("/my-work/")
    assert page.locator("nav a:has-text('Raise work')").count() == 1

    page.click("main >> text=Raise new work")
    page.fill("#w-title", "Guard rail loose on conveyor 2")
    page.click("button:has-text('Open work order')")
    page.wait_for_selector("text=Guard rail loose on conveyor 2")

    raised = WorkOrder.objects.get(title="Guard rail loose on conveyor 2")
    assert raised.history.get(kind="created").actor_id == technician.pk
    assert page.url.endswith(f"/work-orders/{raised.reference}/")


def test_a_technician_reports_another_problem_from_the_job_page(sign_in, live_server, organization):
    asset = Asset.objects.create(organization=organization, code="P-101", name="Feed pump")
    work_order, technician, _ = _job(
        organization, status=Status.IN_PROGRESS, asset_id=asset.public_id
    )
    page = _open(sign_in, live_server, technician, work_order)

    page.click("text=Report another problem")
    page.click("button:has-text('Send to the dispatchers')")
    assert page.locator("#e-rq-description").inner_text() == "This field is required."
    assert not Request.objects.exists()

    page.fill("#rq-description", "Coupling guard cracked next to the pump")
    page.click("button:has-text('Send to the dispatchers')")
    page.wait_for_selector("text=Sent to the dispatchers")
    assert page.url.endswith("#raise")

    sent = Request.objects.get()
    assert (sent.description, sent.asset_id, sent.reporter_id, sent.status) == (
        "Coupling guard cracked next to the pump",
        asset.pk,
        technician.pk,
        "new",
    )


def test_meter_readings_are_taken_on_the_job_with_a_warning_for_an_unusual_value(
    sign_in, live_server, organization
):
    asset = Asset.objects.create(organization=organization, code="P-101", name="Feed pump")
    hours = Meter.objects.create(
        organization=organization, asset=asset, name="Run hours", kind="cumulative", unit="h"
    )
    work_order, technician, _ = _job(
        organization, status=Status.IN_PROGRESS, asset_id=asset.public_id
    )
    make_reading(technician, hours, 1200, timezone.now() - timedelta(days=7))
    page = _open(sign_in, live_server, technician, work_order)

    readings = page.locator("#readings")
    assert "Run hours (h, last 1200" in readings.inner_text()
    page.fill("#readings input[name=value]", "12500")
    readings.locator("button:has-text('Save')").click()
    page.wait_for_selector("#readings .error")
    assert "12500 h is far from the last reading, 1200 h" in readings.inner_text()
    assert page.locator("#readings input[name=value]").input_value() == "12500"
    assert hours.readings.count() == 1

    page.check("text=Yes, 12500 h is what the meter shows")
    readings.locator("button:has-text('Save')").click()
    page.wait_for_selector("text=Recorded 12500 h on Run hours")
    assert page.url.endswith(f"/work-orders/{work_order.reference}/#readings")
    assert "12500 h · Run hours" in page.locator("#readings .rows").inner_text()
    taken = WorkOrderReading.objects.get(work_order=work_order).reading
    assert (taken.meter_id, taken.value) == (hours.pk, 12500)

    page.goto(f"{live_server.url}/work-orders/{work_order.reference}/report/")
    assert "12500 h" in page.locator("#report-readings").inner_text()


DESK = {"viewport": {"width": 1280, "height": 900}}


def test_a_dispatcher_edits_the_details_on_the_page_with_errors_next_to_the_fields(
    sign_in, live_server, organization
):
    work_order, _, dispatcher = _job(organization, status=Status.NEW)
    page = _open(sign_in, live_server, dispatcher, work_order, **DESK)

    # the office's tools come first: assignment, then the details
    top = page.evaluate(
        "['assign', 'edit', 'time'].map((id) => document.getElementById(id).offsetTop)"
    )
    assert top == sorted(top)
    page.click("summary:has-text('Edit details')")
    page.fill("#ed-title", "Pump leaking badly at the seal")
    page.select_option("#ed-priority", "p1")
    page.fill("#ed-estimate", "an hour")
    page.fill("#ed-due", "2031-05-04T16:30")
    page.click("button:has-text('Save details')")

    assert page.locator("#e-ed-estimate").inner_text() == "Must be a whole number."
    assert page.locator("#ed-title").input_value() == "Pump leaking badly at the seal"
    assert page.locator("#ed-priority").input_value() == "p1"
    assert WorkOrder.objects.get(pk=work_order.pk).title == "Pump leaking at the seal"

    page.fill("#ed-estimate", "90")
    page.click("button:has-text('Save details')")
    page.wait_for_selector("text=Details saved.")
    assert page.locator("h1").inner_text() == "Pump leaking badly at the seal"
    saved = WorkOrder.objects.get(pk=work_order.pk)
    assert (saved.title, saved.priority, saved.estimated_minutes, saved.version) == (
        "Pump leaking badly at the seal",
        "p1",
        90,
        work_order.version + 1,
    )
    assert saved.due_at.isoformat() == "2031-05-04T16:30:00+00:00"
    assert saved.history.filter(kind="updated").count() == 1


def test_a_stale_edit_shows_the_conflict_and_keeps_what_was_typed(
    sign_in, live_server, organization
):
    work_order, _, dispatcher = _job(organization, status=Status.NEW)
    page = _open(sign_in, live_server, dispatcher, work_order, **DESK)
    page.click("summary:has-text('Edit details')")
    page.fill("#ed-description", "Bring the 40 mm seal kit.")

    # meanwhile a colleague changes the title
    colleague = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    services.work_order_update(
        membership=colleague,
        work_order=work_order,
        expected_version=work_order.version,
        changes={"title": "Seal leak, pump 3"},
    )
    page.click("button:has-text('Save details')")

    conflict = page.locator("#edit-conflict")
    assert "Someone else saved this work order" in conflict.inner_text()
    assert "They changed: Title." in conflict.inner_text()
    assert page.locator("#ed-description").input_value() == "Bring the 40 mm seal kit."
    assert page.locator("#ed-title").input_value() == "Seal leak, pump 3"
    assert WorkOrder.objects.get(pk=work_order.pk).description == ""

    page.click("button:has-text('Save details')")
    page.wait_for_selector("text=Details saved.")
    saved = WorkOrder.objects.get(pk=work_order.pk)
    assert (saved.title, saved.description) == ("Seal leak, pump 3", "Bring the 40 mm seal kit.")
