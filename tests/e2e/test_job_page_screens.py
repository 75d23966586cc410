"""The job page at 360 px (a technician's phone) and at desktop width (a dispatcher): nothing
wider than the screen, and the screenshots in docs/screenshots/ (job-360.png, job-desktop.png)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assets.models import Asset, Meter
from fieldops.accounts.models import Role
from tests.assets.factories import make_reading
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders import services
from workorders.services import ChecklistItemSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE_360 = {
    "viewport": {"width": 360, "height": 780},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESK = {"viewport": {"width": 1280, "height": 900}}


def _a_job_under_way(organization):
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    pump = Asset.objects.create(organization=organization, code="PMP-001", name="Feed pump")
    hours = Meter.objects.create(
        organization=organization, asset=pump, name="Run hours", kind="cumulative", unit="h"
    )
    make_reading(technician, hours, 1200, timezone.now() - timedelta(days=30))
    make_part(organization.pk)
    work_order = make_work_order(
        dispatcher,
        title="Pump leaking at the seal",
        description="Water under the feed pump since this morning. Check the mechanical seal.",
        asset_id=pump.public_id,
        work_type="corrective",
        priority="p2",
        checklist=[
            ChecklistItemSpec("Isolate and lock out the pump"),
            ChecklistItemSpec("Seal area dry after the repair"),
            ChecklistItemSpec(
                "Discharge pressure", kind="value", unit="bar", min_value=3, max_value=6
            ),
        ],
    )
    assign(work_order, technician, dispatcher)
    move(work_order, technician, "in_progress")
    first, second, _ = work_order.checklist.all()
    for item, result in ((first, "pass"), (second, "fail")):
        services.checklist_answer(
            membership=technician, work_order=work_order, item_id=item.public_id, result=result
        )
    services.note_add(
        membership=technician, work_order=work_order, text="Seal faces worn; replacing the seal."
    )
    return work_order, technician, dispatcher


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page is {wide} px wider than the screen"


def test_the_job_page_fits_a_360_px_phone_and_a_desk(sign_in, live_server, organization):
    work_order, technician, dispatcher = _a_job_under_way(organization)
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}/work-orders/{work_order.reference}/"

    phone = sign_in(technician.user.username, PASSWORD, **PHONE_360)
    phone.goto(url)
    _no_sideways_scroll(phone)
    assert "Work timer running since" in phone.locator("#time").inner_text()
    phone.screenshot(path=str(SHOTS / "job-360.png"), full_page=True)

    # the office on a new job of the same asset: assignment first, then the details to edit
    fresh = make_work_order(
        dispatcher, title="Feed pump noisy on start-up", asset_id=work_order.asset.public_id
    )
    desk = sign_in(dispatcher.user.username, PASSWORD, **DESK)
    desk.goto(f"{live_server.url}/work-orders/{fresh.reference}/")
    desk.click("summary:has-text('Edit details')")
    _no_sideways_scroll(desk)
    desk.screenshot(path=str(SHOTS / "job-desktop.png"), full_page=True)
