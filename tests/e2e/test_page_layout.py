"""Small layout faults people noticed: a nav link twice, checkboxes far from their labels."""

import pytest

from fieldops.accounts.models import Role
from integrations.webhooks.models import WebhookEndpoint
from tests.assets.factories import make_asset
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# For every event checkbox: its box and the box of its label's text (whatever the markup).
BOXES = """() => [...document.querySelectorAll("input[name=event_types]")].map((box) => {
  const label = box.labels[0];
  const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let node, text = null;
  while ((node = walker.nextNode())) {
    if (!node.textContent.trim()) continue;
    range.selectNodeContents(node);
    text = range.getBoundingClientRect();
    break;
  }
  const b = box.getBoundingClientRect();
  return {name: box.value, box: [b.left, b.top, b.right, b.bottom],
          text: [text.left, text.top, text.right, text.bottom]};
})"""


@pytest.mark.parametrize("viewport", [PHONE_WIDTH, DESKTOP], ids=["360px", "desktop"])
def test_asset_pages_name_assets_once_in_the_nav(live_server, sign_in, organization, viewport):
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    pump = make_asset(admin, "P-101", name="Feed pump")
    page = sign_in(admin.user.username, PASSWORD, viewport=viewport)
    for path in ("/assets/", f"/assets/{pump.public_id}/", "/locations/"):
        page.goto(f"{live_server.url}{path}")
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Assets", exact=True).count() == 1, path


@pytest.mark.parametrize("viewport", [PHONE_WIDTH, DESKTOP], ids=["360px", "desktop"])
def test_each_webhook_event_checkbox_sits_beside_its_label(
    live_server, sign_in, organization, viewport
):
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    page = sign_in(admin.user.username, PASSWORD, viewport=viewport)
    page.goto(f"{live_server.url}/integrations/webhooks/endpoints/")

    boxes = page.evaluate(BOXES)
    assert len(boxes) >= 10
    for item in boxes:
        left, top, right, bottom = item["box"]
        t_left, t_top, t_right, t_bottom = item["text"]
        box_middle, text_middle = (top + bottom) / 2, (t_top + t_bottom) / 2
        assert abs(box_middle - text_middle) <= 6, (item["name"], "not on the label's line")
        assert 0 <= t_left - right <= 16, (item["name"], "not right before the label")
        assert right - left >= 20, (item["name"], "too small to tap with gloves")
        assert t_right <= viewport["width"], (item["name"], "label runs off the screen")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # Tapping the event's name ticks it, and the endpoint gets exactly what was ticked.
    page.fill("#ep-url", "http://127.0.0.1:9/fieldops-hook")
    page.get_by_text("workorder.created", exact=True).click()
    page.get_by_text("workorder.status_changed", exact=True).click()
    page.click("button:has-text('Create endpoint')")
    page.wait_for_selector("text=Copy the signing secret")
    endpoint = WebhookEndpoint.objects.get()
    assert sorted(endpoint.event_types) == ["workorder.created", "workorder.status_changed"]
