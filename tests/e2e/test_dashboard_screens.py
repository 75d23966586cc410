"""The supervisor dashboard and a drill-down at 360 px (a supervisor's phone) and at desktop
width, on the demo data plus two weeks of history, as a supervisor uses them: nothing wider than
the screen, every figure and every table cell on screen, chart labels readable, 44 px tap
targets; and the screenshots in docs/screenshots/ (dashboard-360.png, dashboard-desktop.png,
dashboard-drill-360.png, dashboard-drill-desktop.png)."""

from pathlib import Path

import pytest

from fieldops.demo import DEMO_PASSWORD, seed_all
from tests.e2e.test_dashboard import _history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE_360 = {
    "viewport": {"width": 360, "height": 780},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESK = {"viewport": {"width": 1280, "height": 900}}
TAP_PX = 44

# The boxes of what `selector` matches that stick out of the screen (left < 0 or right > width).
OFF_SCREEN = """(selector) => [...document.querySelectorAll(selector)]
  .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
  .filter(([, box]) => box.width > 0 && (box.left < 0 || box.right > window.innerWidth + 0.5))
  .map(([text, box]) => `${text} (${Math.round(box.left)}-${Math.round(box.right)})`)"""
HEIGHTS = """(selector) => [...document.querySelectorAll(selector)]
  .map((el) => el.getBoundingClientRect().height)"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _smallest(page, selector: str) -> float:
    heights = page.evaluate(HEIGHTS, selector)
    assert heights, f"nothing matches {selector}"
    return min(heights)


def test_the_dashboard_and_a_drill_down_fit_a_360_px_phone(sign_in, live_server):
    _history(seed_all())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = sign_in("supervisor", DEMO_PASSWORD, **PHONE_360)
    page.goto(f"{live_server.url}/dashboard/")

    assert _page_width(page) == 360
    # Every figure whole on screen, the reliability table's every column, the sub-navigation.
    assert page.locator(".kpi-value").count() == 18
    for selector in (
        ".kpi-value",
        ".kpi h3",
        ".kpi-assets tbody th",
        ".kpi-assets tbody td",
        ".subnav a",
    ):
        assert page.evaluate(OFF_SCREEN, selector) == [], selector
    assert page.locator(".kpi-assets tbody td[data-label='MTBF h']").first.is_visible()
    # Chart labels were drawn 5 px tall on a phone.
    assert _smallest(page, "svg.chart text") >= 8
    assert _smallest(page, ".kpi-def summary") >= TAP_PX
    assert _smallest(page, ".kpi-value a") >= TAP_PX
    page.screenshot(path=str(SHOTS / "dashboard-360.png"), full_page=True)

    backlog = page.locator("#kpi-backlog .kpi-value a")
    count = backlog.inner_text().strip()
    backlog.tap()
    page.wait_for_url("**/dashboard/work/?figure=backlog*")
    assert page.locator("#drill-count strong").inner_text() == count
    assert _page_width(page) == 360
    for selector in (".kpi-drill tbody th", ".kpi-drill tbody td"):
        assert page.evaluate(OFF_SCREEN, selector) == [], selector
    first = page.locator(".kpi-drill tbody tr").first
    assert first.locator("td[data-label='Priority']").is_visible()
    assert first.locator("td[data-label='Due']").is_visible()
    # The number on one line, and a link a thumb can hit.
    link = first.locator("th a")
    assert link.bounding_box()["height"] >= TAP_PX
    assert page.evaluate("(a) => a.getClientRects().length", link.element_handle()) == 1
    page.screenshot(path=str(SHOTS / "dashboard-drill-360.png"), full_page=True)


def test_the_dashboard_and_a_drill_down_at_desktop_width(sign_in, live_server):
    _history(seed_all())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = sign_in("supervisor", DEMO_PASSWORD, **DESK)
    page.goto(f"{live_server.url}/dashboard/")
    assert _page_width(page) == 1280
    assert page.evaluate(OFF_SCREEN, ".kpi-value") == []
    # Four figures a row at a desk, and the reliability table a table with its header.
    tops = page.evaluate(
        "[...document.querySelectorAll('#kpi-g1 ~ .kpi-grid .kpi')]"
        ".map((el) => Math.round(el.getBoundingClientRect().top))"
    )
    assert len(tops) == 4
    assert len(set(tops)) == 1
    assert page.locator(".kpi-assets thead th").first.is_visible()
    page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)

    page.locator("#kpi-backlog .kpi-value a").click()
    page.wait_for_url("**/dashboard/work/?figure=backlog*")
    assert _page_width(page) == 1280
    assert page.locator(".kpi-drill thead th").first.is_visible()
    page.screenshot(path=str(SHOTS / "dashboard-drill-desktop.png"), full_page=True)
