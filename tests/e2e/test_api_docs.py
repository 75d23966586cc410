"""The API docs work on a machine without internet: everything they load comes from the app."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_api_docs_render_the_operations_with_no_request_leaving_loopback(live_server, browser):
    context = browser.new_context()
    left_loopback: list[str] = []

    def only_loopback(route):
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
            return
        left_loopback.append(url)
        route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/api/v1/docs")
        page.wait_for_selector(".opblock-summary", timeout=15_000)

        assert page.locator(".opblock-summary").count() >= 20
        assert page.get_by_text("FieldOps API").first.is_visible()
        assert page.locator(".opblock-summary-path", has_text="/api/v1/me").count() >= 1
        assert left_loopback == []
    finally:
        context.close()
