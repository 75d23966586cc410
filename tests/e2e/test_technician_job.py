"""A technician works a whole job on a phone; the supervisor then sees it in the history."""

import base64

import pytest

from fieldops.accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_part, make_work_order
from workorders.models import ChangeSource, Status, WorkOrder
from workorders.services import ChecklistItemSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A 1x1 PNG: the "photo" the technician takes.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_technician_completes_a_job_and_supervisor_sees_the_history(
    sign_in, organization, tmp_path, settings
):
    from tests.e2e.conftest import PHONE

    settings.MEDIA_ROOT = str(tmp_path)
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    supervisor = MembershipFactory(organization=organization, role=Role.SUPERVISOR)
    make_part(organization.pk)
    work_order = make_work_order(
        dispatcher,
        title="Pump leaking at the seal",
        checklist=[
            ChecklistItemSpec("Seal area dry"),
            ChecklistItemSpec(
                "Discharge pressure", kind="value", unit="bar", min_value=3, max_value=6
            ),
        ],
    )
    assign(work_order, technician, dispatcher)

    page = sign_in(technician.user.username, PASSWORD, **PHONE)
    assert page.url.endswith("/my-work/")
    page.click("text=Pump leaking at the seal")
    page.click("button:has-text('Start work')")
    assert page.locator(".badge.st-in_progress").is_visible()

    page.locator("#item-1 button:has-text('Pass')").click()
    page.wait_for_selector("#item-1 .answer")
    page.fill("#v-2", "4.5")
    page.locator("#item-2 button:has-text('Save')").click()
    assert page.locator("#item-2 .answer").inner_text().startswith("Answer: 4.5")

    page.click("text=Log time afterwards")
    page.select_option("#tl-kind", "work")
    page.fill("#tl-min", "35")
    page.click("button:has-text('Log time')")

    page.select_option("#p-part", label="SEAL-40 · Mechanical seal 40 mm")
    page.fill("#p-qty", "2")
    page.fill("#p-loc", "Van 3")
    page.click("button:has-text('Add part')")

    page.set_input_files(
        "#a-file", files=[{"name": "seal.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    page.fill("#a-caption", "Worn seal")
    page.click("button:has-text('Upload')")
    assert page.locator(".gallery img").count() == 1

    page.fill("#c-notes", "Replaced the mechanical seal, pressure back to normal.")
    page.fill("#c-code", "LEAK")
    page.fill("#c-cause", "Worn seal faces")
    page.fill("#c-remedy", "Replaced seal")
    page.click("button:has-text('Complete work order')")
    page.wait_for_selector(".badge.st-completed")
    # Following the page's own order: completing leads to the review, the customer signs last.
    page.wait_for_url("**#signature")
    review = page.locator("#signature .review")
    assert "Replaced the mechanical seal" in review.inner_text()
    assert "2 \u00d7 Mechanical seal 40 mm" in review.inner_text()
    page.fill("#s-name", "Kim Customer")
    canvas = page.locator("canvas[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    pad = canvas.bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 20 + step * 20, pad["y"] + 40 + (step % 3) * 25)
    page.mouse.up()
    page.click("button:has-text('Sign the report')")
    page.wait_for_selector("text=Signed by Kim Customer")

    report = page.goto(
        page.url.split("/work-orders/")[0] + f"/work-orders/{work_order.reference}/report/"
    )
    assert report.status == 200
    assert "Report changed after signing" not in page.content()
    assert "Kim Customer" in page.content()

    done = WorkOrder.objects.get(pk=work_order.pk)
    assert done.status == Status.COMPLETED
    assert done.resolution_notes.startswith("Replaced the mechanical seal")
    # the work clock starting the job ran until its completion, and the 35 minutes logged
    assert sorted((t.kind, t.minutes) for t in done.time_entries.all()) == [
        ("work", 0),
        ("work", 35),
    ]
    assert [(p.part.code, p.quantity, p.stock_location) for p in done.parts_used.all()] == [
        ("SEAL-40", 2, "Van 3")
    ]
    assert done.attachments.get().caption == "Worn seal"
    signature = done.signatures.get()
    assert signature.signer_name == "Kim Customer"
    assert signature.image.read().startswith(b"\x89PNG")
    statuses = list(done.history.filter(kind="status").values_list("to_status", "source", "actor"))
    assert statuses == [
        (Status.IN_PROGRESS, ChangeSource.WEB, technician.pk),
        (Status.COMPLETED, ChangeSource.WEB, technician.pk),
    ]

    office = sign_in(supervisor.user.username, PASSWORD, viewport={"width": 1280, "height": 900})
    office.goto(f"{office.url.split('/dashboard')[0]}/work-orders/{done.reference}/")
    history = office.locator("#history").inner_text()
    assert "in_progress → completed" in history
    assert technician.user.get_full_name() in history
    assert office.locator("button:has-text('Close')").is_visible()
