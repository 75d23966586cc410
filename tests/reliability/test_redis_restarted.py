"""Redis (channel layer, broker and cache) restarts, empty, under an open dispatch board.

Real Daphne on the production stack, a private redis-server killed and started again, Chromium
on the board. While Redis is down the API answers 503 with Retry-After (the throttle counters
live there) and a change made meanwhile cannot be announced: its notice is lost. The board's
socket is closed by the server (1011), app.js reconnects with backoff, and the reconnect makes
the board fetch what changed — the lost change appears without a reload. After that, notices
flow again (the new socket re-joined its groups in the empty Redis).
"""

import pytest

from tests.e2e.conftest import browser, playwright_driver  # noqa: F401 - fixtures
from tests.reliability.conftest import PASSWORD, api_headers

pytestmark = [pytest.mark.processes, pytest.mark.browser]

CREATE_WHILE_DOWN = """
from fieldops.accounts.models import Membership
from workorders import services
dispatcher = Membership.objects.get(user__username="dispatcher")
services.work_order_create(
    membership=dispatcher, organization_id=dispatcher.organization_id,
    spec=services.WorkOrderSpec(title="Made while Redis was down"),
)
"""


def open_board(browser, base_url):  # noqa: F811 - the fixture, passed in
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", "dispatcher")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base_url}/board/")
    page.wait_for_selector("body[data-live-state=open]", timeout=15000)
    page.evaluate("window.__sameDocument = true")
    return context, page


def test_board_reconnects_after_a_redis_restart_and_catches_up(stack, browser):  # noqa: F811
    web, base_url = stack.start_daphne()
    api = stack.client(base_url, "dispatcher")
    context, board = open_board(browser, base_url)
    try:
        queue = board.locator("#board-live .queue")

        stack.redis.stop()
        board.wait_for_selector("body[data-live-state=closed]", timeout=10000)
        refused = api.get("/api/v1/work-orders?limit=1")
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert refused.headers["Retry-After"] == "1"
        stack.shell(CREATE_WHILE_DOWN)  # committed; its notice has nowhere to go
        assert queue.get_by_text("Made while Redis was down").count() == 0

        stack.redis.start()
        # Backoff after a couple of failed attempts is a few seconds; well under the 30 s poll.
        queue.get_by_text("Made while Redis was down").wait_for(timeout=20000)
        assert board.evaluate("document.body.dataset.liveState") == "open"
        assert board.evaluate(
            "document.querySelector('[data-board]').dataset.refreshed"
        ).startswith("reconnected:")
        assert board.evaluate("window.__sameDocument === true")

        # Live notices flow again through the restarted Redis.
        created = api.post(
            "/api/v1/work-orders",
            json={"title": "Made after the restart"},
            headers=api_headers(api),
        )
        assert created.status_code == 201, created.text
        queue.get_by_text("Made after the restart").wait_for(timeout=5000)
        assert board.evaluate("window.__sameDocument === true")
    finally:
        context.close()
    assert web.alive()
    assert (
        stack.scalar(
            "SELECT count(*) FROM workorders_workorder WHERE title IN (?, ?)",
            ("Made while Redis was down", "Made after the restart"),
        )
        == 2
    )
