"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import contextlib
import os
import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture(scope="module")
def playwright_driver():
    """Per module, not per session: Playwright's sync API keeps an event loop running in this
    thread while it lives, which would break every async test collected after tests/e2e."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is needed for browser tests: apt-get install chromium ({CHROMIUM})")
    # The ORM calls the tests make around the loop are ordinary blocking calls, so Django's
    # async-safety guard does not apply — but only while the browser lives (a leaked variable
    # fails `check --deploy` in tests that run later).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright_driver):
    instance = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture
def sign_in(live_server, browser):
    contexts = []

    def open_as(username: str, password: str, *, base_url: str | None = None, **context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        log_in(page, base_url or live_server.url, username, password)
        return page

    yield open_as
    for context in contexts:
        context.close()
    _wait_for_the_server_to_finish()


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def phone_network(live_server):
    """The phone's only way to the server (see tests/e2e/network.py): open pages at
    ``phone_network.url``, then ``go_offline(context)`` / ``go_online(context)``."""
    from urllib.parse import urlsplit

    from tests.e2e.network import LoopbackNetwork

    target = urlsplit(live_server.url)
    network = LoopbackNetwork(target.hostname, target.port)
    yield network
    network.close()


@pytest.fixture
def phone_profile(playwright_driver, tmp_path):
    """A phone's persistent browser profile that a test can close and launch again (a restart):
    ``launch(**options)`` returns the context; each launched one is closed at the end."""
    launched = []

    def launch(**options):
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / "phone-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            **{**PHONE, **options},
        )
        launched.append(context)
        return context

    yield launch
    for context in launched:
        with contextlib.suppress(Exception):
            context.close()
    _wait_for_the_server_to_finish()


def _wait_for_the_server_to_finish(timeout: float = 10.0) -> None:
    """A request the browser sent just before it closed (a background sync, a refresh) may
    still be running in the live server's threads; the database flush that ends the test would
    deadlock with it (seen once in CI). Wait until no other session is inside a statement or a
    transaction."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            (busy,) = cursor.fetchone()
        if not busy:
            return
        time.sleep(0.05)
