"""A dispatcher assigns from the work-order page a technician who lacks the required skill: the
page says why it was refused, next to the assign form, and offers the override; the reason typed
is kept, and the override with a reason goes through and is recorded."""

import pytest

from fieldops.accounts.models import Role
from tests.dispatch.factories import make_skill
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import make_work_order
from workorders.dispatch.models import AssignmentOverride
from workorders.models import Status, WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_dispatcher_sees_the_refusal_and_overrides_with_a_reason(
    sign_in, live_server, organization, width, tmp_path
):
    make_skill(organization.pk, "f-gas", "F-gas handling", requires_certification=True)
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    technician.user.first_name, technician.user.last_name = "Tom", "Unskilled"
    technician.user.save()
    work_order = make_work_order(dispatcher, title="Chiller leak", required_skill="f-gas")

    page = sign_in(dispatcher.user.username, PASSWORD, viewport={"width": width, "height": 900})
    page.goto(live_server.url + work_order_url(work_order))
    form = page.locator("#assign form")
    form.get_by_label("Tom Unskilled").check()
    form.locator("button:has-text('Save assignment')").click()
    page.wait_for_load_state()

    why = page.locator("#assign-override-why")
    assert why.is_visible()
    assert "Tom Unskilled: Lacks skill “f-gas”" in why.inner_text()
    assert page.locator("#assign input[name=override]").is_visible()
    assert page.locator("#assign").get_by_label("Tom Unskilled").is_checked()  # choice kept
    page.locator("#assign").screenshot(path=str(tmp_path / f"assign-refused-{width}.png"))
    assert WorkOrder.objects.get(pk=work_order.pk).status == Status.NEW

    # Ticking the override without a reason: asked for the reason, nothing assigned.
    page.locator("#assign input[name=override]").check()
    page.locator("#assign button:has-text('Save assignment')").click()
    page.wait_for_load_state()
    assert "Say why the rule is overridden." in page.locator("#assign").inner_text()
    assert WorkOrder.objects.get(pk=work_order.pk).status == Status.NEW

    page.locator("#assign input[name=override]").check()
    page.fill("#assign-override-reason", "Only one on site; supervised by Ana")
    page.locator("#assign button:has-text('Save assignment')").click()
    page.wait_for_load_state()
    assert "Assignment saved" in page.locator(".messages, .message").first.inner_text()

    work_order.refresh_from_db()
    assert work_order.status == Status.ASSIGNED
    recorded = AssignmentOverride.objects.get(work_order=work_order)
    assert recorded.reason == "Only one on site; supervised by Ana"
    assert recorded.problems == ["missing_skill"]


def test_a_reason_typed_before_ticking_the_override_is_kept(sign_in, live_server, organization):
    make_skill(organization.pk, "f-gas", "F-gas handling")
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    work_order = make_work_order(dispatcher, title="Chiller leak", required_skill="f-gas")

    page = sign_in(dispatcher.user.username, PASSWORD)
    page.goto(live_server.url + work_order_url(work_order))
    page.locator(f"#assign input[value='{technician.public_id}']").check()
    page.locator("#assign button:has-text('Save assignment')").click()
    page.wait_for_load_state()
    page.fill("#assign-override-reason", "Customer asked for him")
    # Submitted without the tick: refused again, the typed reason still there.
    page.locator("#assign button:has-text('Save assignment')").click()
    page.wait_for_load_state()
    assert page.locator("#assign-override-reason").input_value() == "Customer asked for him"
    assert page.locator("#assign-override-why").is_visible()


def work_order_url(work_order: WorkOrder) -> str:
    return f"/work-orders/{work_order.reference}/"
