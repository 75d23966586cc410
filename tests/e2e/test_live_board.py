"""Two screens, one real Daphne: the dispatcher assigns on the board and the technician's My work
shows it without a reload; the technician starts the job and the board moves it without a reload.

pytest-django's live server is WSGI (no sockets), so this runs the real stack in processes:
Daphne on SQLite with the SQLite channel layer locally, or — when DATABASE_URL and REDIS_URL are
set, as in CI — on a scratch PostgreSQL database and the Redis layer."""

import os
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE
from tests.processes import daphne, embedded_env, free_port, manage, running, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.processes]
PASSWORD = "fieldops-demo"
SEEN_WITHIN_MS = 3000


def _scratch_postgres(url: str, *, create: bool = True) -> str:
    """The scratch database beside the suite's (dropped first; created unless ``create=False``)."""
    import psycopg

    base, _, name = url.rpartition("/")
    scratch = f"{name.split('?')[0]}_live_board"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{scratch}"')
    return f"{base}/{scratch}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    data_dir: Path = tmp_path_factory.mktemp("live-board")
    extra = {}
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        extra = {
            "DATABASE_URL": _scratch_postgres(os.environ["DATABASE_URL"]),
            "REDIS_URL": os.environ["REDIS_URL"],
            "CHANNELS_PREFIX": f"live-board-{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": "live-board-test-secret-key-0123456789abcdef",
            "DEBUG": "1",
        }
    env = embedded_env(data_dir, **extra)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    try:
        manage(env, "bootstrap", "--demo")
        with running(env, daphne(port), logs=data_dir):
            wait_healthy(base_url)
            yield base_url
    finally:
        if extra:
            _scratch_postgres(os.environ["DATABASE_URL"], create=False)


def open_page(browser, base_url: str, username: str, path: str, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base_url}{path}")
    page.wait_for_selector("body[data-live-state=open]", timeout=10000)
    # Survives only as long as the document does: gone after any reload or navigation.
    page.evaluate("window.__sameDocument = true")
    return context, page


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_board_and_my_work_update_each_other_without_reload(stack, browser):
    board_ctx, board = open_page(
        browser, stack, "dispatcher", "/board/", viewport={"width": 1920, "height": 1000}
    )
    phone_ctx, phone = open_page(browser, stack, "tech1", "/my-work/", **PHONE)
    try:
        job = board.locator("#board-live .queue [data-ref]", has_text="Van service due")
        reference = job.get_attribute("data-ref")
        assert phone.get_by_text("Van service due").count() == 0
        lane = board.locator('[data-drop=technician][data-name="Toni Alvarez"]')

        # The dispatcher taps the job and assigns it to the technician from the plan panel. Off
        # the technician's shift (the suite also runs at night), the rule asks for an override.
        job.click()
        board.wait_for_selector(f"#plan-panel:has-text('Plan {reference}')")
        board.locator("#plan-panel label.suggestion", has_text="Toni Alvarez").click()
        board.locator("#plan-panel input[name=override]").check()
        board.fill("#plan-reason", "Van service cannot wait")
        board.locator("#plan-panel .plan-actions button[type=submit]").click()
        board.wait_for_selector(f"#plan-panel:has-text('{reference} planned')")

        # The technician's phone shows it without a reload.
        phone.get_by_text("Van service due").wait_for(timeout=SEEN_WITHIN_MS)
        assert still_same_document(phone)
        lane.locator(f'[data-ref="{reference}"]').wait_for(timeout=SEEN_WITHIN_MS)
        assert board.locator(f'.queue [data-ref="{reference}"]').count() == 0

        # The technician starts the job on the phone; the board moves it without a reload.
        phone.get_by_text("Van service due").click()
        phone.click("button:has-text('Start work')")
        phone.locator(".badge.st-in_progress").first.wait_for()
        lane.locator(f'[data-ref="{reference}"][data-status="in_progress"]').wait_for(
            timeout=SEEN_WITHIN_MS
        )
        assert still_same_document(board)
    finally:
        board_ctx.close()
        phone_ctx.close()


def test_keyboard_planning_and_catch_up_after_a_missed_notice(stack, browser):
    board_ctx, board = open_page(
        browser, stack, "dispatcher", "/board/", viewport={"width": 1280, "height": 900}
    )
    other_ctx, other = open_page(
        browser, stack, "dispatcher", "/board/", viewport={"width": 1280, "height": 900}
    )
    try:
        card = board.locator("#board-live .queue [data-ref]", has_text="Forklift horn")
        reference = card.get_attribute("data-ref")
        # Drop the second board's notices, as a socket that was down would.
        other.evaluate(
            "document.body.addEventListener('fo:workorder.assigned',"
            " (e) => e.stopImmediatePropagation(), true)"
        )
        card.locator(".plan-link").focus()
        board.keyboard.press("Enter")
        board.wait_for_selector(".plan-form")
        board.locator(".suggestion", has_text="Jonas Berg").locator("input").check()
        board.click(".plan-form button[type=submit]")
        board.wait_for_selector(f"#plan-panel:has-text('{reference} planned')")
        lane = board.locator('[data-name="Jonas Berg"]')
        lane.locator(f'[data-ref="{reference}"]').wait_for(timeout=SEEN_WITHIN_MS)

        # The second board missed the notice; a reconnect makes it ask what changed since.
        assert other.locator(f'.queue [data-ref="{reference}"]').count() == 1
        other.evaluate("document.body.dispatchEvent(new CustomEvent('fo:reconnected'))")
        other.locator(f'[data-name="Jonas Berg"] [data-ref="{reference}"]').wait_for(
            timeout=SEEN_WITHIN_MS
        )
        assert still_same_document(other)
    finally:
        board_ctx.close()
        other_ctx.close()
