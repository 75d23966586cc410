"""A technician taps "Open follow-up work order" twice (a double tap, then again from the page
left open): one follow-up, and the button becomes a link to it."""

import pytest
from playwright.sync_api import expect

from fieldops.accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_work_order, move
from workorders.models import WorkOrder
from workorders.services import ChecklistItemSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tapping_open_follow_up_twice_opens_one_and_then_links_to_it(sign_in, organization):
    from tests.e2e.conftest import PHONE

    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    job = make_work_order(
        dispatcher,
        title="Guard rail loose",
        work_type="inspection",
        checklist=[ChecklistItemSpec("Rail firm")],
    )
    move(assign(job, technician, dispatcher), technician, "in_progress")

    page = sign_in(technician.user.username, PASSWORD, **PHONE)
    page.goto(page.url.split("/my-work/")[0] + f"/work-orders/{job.reference}/")
    page.locator("#item-1 button:has-text('Fail')").click()
    button = page.locator("#item-1 button:has-text('Open follow-up work order')")
    expect(button).to_be_visible()
    stale = page.context.new_page()  # the same job left open in a second tab
    stale.goto(page.url)

    button.dblclick()
    link = page.locator("#item-1 a:has-text('Follow-up WO-000002')")
    expect(link).to_be_visible()
    expect(page.locator("#item-1 button:has-text('Open follow-up work order')")).to_have_count(0)

    stale.locator("#item-1 button:has-text('Open follow-up work order')").click()
    expect(stale.locator("main")).to_contain_text("Follow-up WO-000002 is already open")
    expect(stale.locator("#item-1 a:has-text('Follow-up WO-000002')")).to_be_visible()

    assert list(WorkOrder.objects.filter(follow_up_of=job).values_list("number", flat=True)) == [2]
    link.click()
    expect(page.locator("h1")).to_have_text("Follow-up: Rail firm")
