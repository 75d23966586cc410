"""Done work is locked on the pages: no forms on a completed job, Reopen for the dispatcher, and a
phone's offline note on a job completed meanwhile comes back as a conflict with the text kept."""

import pytest
from playwright.sync_api import expect

from fieldops.accounts.models import Role
from tests.e2e.test_offline import PAGE_CACHED, wait_until
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
from workorders.models import Note, Status, WorkOrder
from workorders.services import ChecklistItemSpec, Resolution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def people(organization):
    return {
        role: MembershipFactory(organization=organization, role=role)
        for role in (Role.TECHNICIAN, Role.DISPATCHER, Role.ADMIN)
    }


@pytest.fixture
def started(people):
    job = make_work_order(
        people[Role.DISPATCHER],
        title="Guard rail loose",
        work_type="inspection",
        checklist=[ChecklistItemSpec("Rail firm", required=False)],
    )
    job = assign(job, people[Role.TECHNICIAN], people[Role.DISPATCHER])
    return move(job, people[Role.TECHNICIAN], "in_progress")


def test_a_completed_job_shows_no_forms_until_the_dispatcher_reopens_it(sign_in, people, started):
    from tests.e2e.conftest import PHONE

    move(started, people[Role.TECHNICIAN], "completed", resolution=Resolution("Rail tightened"))
    url = f"/work-orders/{started.reference}/"

    phone = sign_in(people[Role.TECHNICIAN].user.username, PASSWORD, **PHONE)
    phone.goto(phone.url.split("/my-work/")[0] + url)
    expect(phone.locator("#locked")).to_contain_text("Completed — reopen to change.")
    expect(phone.locator("#locked")).to_contain_text("A dispatcher or an admin can reopen it.")
    for form in ("#n-text", "#tl-min", "#p-part", "#a-file", "[data-item] button"):
        expect(phone.locator(form)).to_have_count(0)
    expect(phone.locator("#locked button")).to_have_count(0)

    office = sign_in(people[Role.DISPATCHER].user.username, PASSWORD, **DESKTOP)
    office.goto(office.url.rsplit("/", 2)[0] + url)
    expect(office.locator("#locked")).to_contain_text("Completed — reopen to change.")
    office.locator("#locked button:has-text('Reopen')").click()
    expect(office.locator(".badge.st-assigned").first).to_be_visible()
    expect(office.locator("#locked")).to_have_count(0)
    expect(office.locator("#history")).to_contain_text("completed → assigned")
    assert WorkOrder.objects.get(pk=started.pk).status == Status.ASSIGNED

    phone.reload()
    expect(phone.locator("#n-text")).to_be_visible()


def test_a_note_typed_offline_on_a_job_completed_meanwhile_comes_back_with_its_text(
    sign_in, people, started, phone_network
):
    from tests.e2e.conftest import PHONE

    page = sign_in(
        people[Role.TECHNICIAN].user.username, PASSWORD, base_url=phone_network.url, **PHONE
    )
    url = f"/work-orders/{started.reference}/"
    wait_until(lambda: page.evaluate(PAGE_CACHED, url), "the job's page to be kept offline")
    phone_network.go_offline(page.context)
    page.reload()
    page.click("text=Guard rail loose")
    page.fill("#n-text", "Typed in the basement: bolts replaced too")
    page.click("button:has-text('Add note')")
    page.wait_for_function("document.body.dataset.outboxWaiting === '1'")

    # Meanwhile the admin completes the job from the office.
    move(started, people[Role.ADMIN], "completed", resolution=Resolution("Done by the office"))

    phone_network.go_online(page.context)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    problems = page.locator("#outbox-problems")
    expect(problems).to_contain_text("Needs your attention", timeout=20000)
    expect(problems).to_contain_text("is completed: nothing on it changes any more")
    expect(problems.locator("textarea")).to_have_value("Typed in the basement: bolts replaced too")
    assert not Note.objects.filter(work_order=started).exists()
    page.wait_for_load_state("networkidle")  # the page's last pull, before the test's data goes
