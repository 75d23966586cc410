"""The job page as its users find it (issue #19): a technician on a phone, a dispatcher at a desk.

Each test taps, types and reads what the page says, then reads the record back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import Asset, Meter
from fieldops.accounts.models import Role
from tests.assets.factories import make_reading
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
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
    assign(work_order, technician, dispatcher)
    if status == Status.IN_PROGRESS:
        move(work_order, technician, Status.IN_PROGRESS)
    return work_order, technician, dispatcher


def _open(sign_in, live_server, member, work_order, **context):
    page = sign_in(member.user.username, PASSWORD, **(context or PHONE))
    page.goto(f"{live_server.url}/work-orders/{work_order.reference}/")
    return page


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const box = document.querySelector(sel).getBoundingClientRect();
                      return box.top >= 0 && box.top < window.innerHeight; }""",
        selector,
    )


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
