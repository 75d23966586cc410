"""A technician works a whole job with no network; nothing is lost, nothing is applied twice."""

import base64
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from fieldops.accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders.models import ChangeSource, Note, Status, WorkOrder
from workorders.offline.models import SyncMutation
from workorders.services import ChecklistItemSpec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
NO_BACKGROUND_SYNC = """
  delete window.SyncManager;
  Object.defineProperty(ServiceWorkerRegistration.prototype, 'sync', {get() { return undefined; }});
"""
PAGE_CACHED = """async (url) => {
  // Answer within 2 s whatever happens (a navigation, a busy worker): evaluate() has no timeout.
  const check = (async () => {
    for (const key of await caches.keys()) {
      if (await (await caches.open(key)).match(url)) return true;
    }
    return false;
  })();
  return Promise.race([check, new Promise((resolve) => setTimeout(() => resolve(false), 2000))]);
}"""


@pytest.fixture
def job(organization, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    technician = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    make_part(organization.pk)
    work_order = make_work_order(
        dispatcher,
        title="Guard rail loose",
        work_type="inspection",
        checklist=[ChecklistItemSpec("Rail firm")],
    )
    assign(work_order, technician, dispatcher)
    return work_order, technician, dispatcher


def wait_until(check, what: str, seconds: float = 20) -> None:
    """page.wait_for_function does not await an async predicate; evaluate() does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except PlaywrightError:  # the page navigated under the check: look again
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def go_online_and_wait(page, network):
    network.go_online(page.context)
    page.wait_for_function("document.body.dataset.outboxWaiting === '0'", timeout=20000)


def open_offline(sign_in, job, background_sync: bool, network):
    """The job opened on a phone whose only way to the server is ``network``, then cut."""
    from tests.e2e.conftest import PHONE

    work_order, technician, _ = job
    page = sign_in(technician.user.username, PASSWORD, base_url=network.url, **PHONE)
    if not background_sync:
        page.context.add_init_script(NO_BACKGROUND_SYNC)
        page.reload()
    assert page.url.endswith("/my-work/")
    url = f"/work-orders/{work_order.reference}/"
    # Loaded once online: the job's page is kept on the phone before the signal goes.
    wait_until(lambda: page.evaluate(PAGE_CACHED, url), "the job's page to be kept offline")
    network.go_offline(page.context)
    page.reload()
    page.click("text=Guard rail loose")
    assert page.locator("h1").inner_text() == "Guard rail loose"
    return page, url


@pytest.mark.parametrize("background_sync", [True, False], ids=["background-sync", "page-only"])
def test_whole_job_offline_then_synced_exactly_once(sign_in, job, background_sync, phone_network):
    work_order, _technician, _ = job
    page, url = open_offline(sign_in, job, background_sync, phone_network)
    context = page.context

    page.click("button:has-text('Start work')")
    expect(page.locator("[data-status-badge]")).to_contain_text("In progress (waiting to sync)")
    # The buttons for the new status come from the lifecycle the page got from the server.
    expect(page.locator(".action-bar")).to_contain_text("Pause")
    expect(page.locator(".action-bar a:has-text('Complete…')")).to_be_visible()
    page.locator("[data-item] button:has-text('Pass')").click()
    page.fill("#n-text", "Rail bolts were loose; tightened.")
    page.click("button:has-text('Add note')")
    page.click("text=Log time afterwards")
    page.select_option("#tl-kind", "work")
    page.fill("#tl-min", "25")
    page.click("button:has-text('Log time')")
    page.select_option("#p-part", label="SEAL-40 · Mechanical seal 40 mm")
    page.fill("#p-qty", "1")
    page.click("button:has-text('Add part')")
    page.set_input_files(
        "#a-file", files=[{"name": "rail.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    page.click("button:has-text('Upload')")
    page.fill("#c-notes", "All rails firm after tightening.")
    page.click("button:has-text('Complete work order')")
    page.wait_for_function("document.body.dataset.outboxWaiting === '7'")
    assert page.locator("#connection-status").inner_text().startswith("Offline — 7 changes")

    # close the page and open it again, still without signal: the changes are still there
    base = page.url.split("/work-orders/")[0]
    page.close()
    page = context.new_page()
    page.goto(base + url)
    expect(page.locator("#connection-status")).to_contain_text("7 changes waiting")
    expect(page.locator("#notes")).to_contain_text("Rail bolts were loose")
    expect(page.locator("[data-status-badge]")).to_contain_text("waiting to sync")
    assert not Note.objects.exists()

    go_online_and_wait(page, phone_network)
    done = WorkOrder.objects.get(pk=work_order.pk)
    assert done.status == Status.COMPLETED
    assert done.resolution_notes == "All rails firm after tightening."
    assert list(done.notes.values_list("text", flat=True)) == ["Rail bolts were loose; tightened."]
    # the work clock starting the job ran until its completion, and the 25 minutes logged
    assert sorted((t.kind, t.minutes) for t in done.time_entries.all()) == [
        ("work", 0),
        ("work", 25),
    ]
    assert done.parts_used.count() == 1
    assert done.attachments.count() == 1
    assert list(done.history.filter(kind="status").values_list("to_status", "source")) == [
        (Status.IN_PROGRESS, ChangeSource.OFFLINE),
        (Status.COMPLETED, ChangeSource.OFFLINE),
    ]
    assert SyncMutation.objects.count() == 7


def test_conflict_is_shown_and_the_technicians_text_kept(sign_in, job, phone_network):
    work_order, _technician, dispatcher = job
    page, _url = open_offline(sign_in, job, background_sync=False, network=phone_network)
    page.click("button:has-text('Start work')")
    expect(page.locator("[data-status-badge]")).to_contain_text("waiting to sync")
    page.fill("#n-text", "Customer wants the rail painted too.")
    page.click("button:has-text('Add note')")
    # meanwhile, in the office: the job is cancelled
    move(
        WorkOrder.objects.get(pk=work_order.pk),
        dispatcher,
        "cancelled",
        reason="Duplicate of another job",
    )
    phone_network.go_online(page.context)
    panel = page.locator("#outbox-problems")
    panel.wait_for(timeout=20000)
    assert "cancelled" in panel.inner_text()
    # Cancelled work takes no records: the note comes back too, its text kept on the phone.
    expect(panel.locator("textarea")).to_have_value("Customer wants the rail painted too.")
    assert not Note.objects.exists()
    assert WorkOrder.objects.get(pk=work_order.pk).status == Status.CANCELLED
    page.reload()
    assert "cancelled" in page.locator("#outbox-problems").inner_text()


def test_installable(playwright_driver, live_server, job, tmp_path):
    """Chromium's own check, in a real (not incognito) profile as a phone user has."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    _, technician, _ = job
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", technician.user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        # Installing precaches the app shell; a fresh profile on a busy CI machine once took
        # longer than 20 s (10 s is usual).
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60000)
        session = context.new_cdp_session(page)
        errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        manifest = session.send("Page.getAppManifest")
        assert manifest["errors"] == []
    finally:
        context.close()


def open_phone(phone_profile, phone_network, job, **options):
    """The technician's phone, its profile kept across launches, on a network the test cuts."""
    from tests.e2e.conftest import log_in

    work_order, technician, _ = job
    context = phone_profile(**options)
    page = context.pages[0] if context.pages else context.new_page()
    log_in(page, phone_network.url, technician.user.username, PASSWORD)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60000)
    url = f"/work-orders/{work_order.reference}/"
    wait_until(lambda: page.evaluate(PAGE_CACHED, url), "the job's page to be kept offline")
    return context, page, phone_network.url + url


def test_a_relaunched_offline_phone_sends_nothing_until_the_signal_is_back(
    phone_profile, phone_network, job
):
    context, page, url = open_phone(phone_profile, phone_network, job)
    phone_network.go_offline(context)
    page.goto(url)
    page.click("button:has-text('Start work')")
    page.fill("#n-text", "Written in the basement.")
    page.click("button:has-text('Add note')")
    page.wait_for_function("document.body.dataset.outboxWaiting === '2'")
    context.close()

    # The phone restarts, still without signal: its service worker (Background Sync) and the
    # page both try to send, and nothing may reach the server.
    context = phone_profile(offline=True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    expect(page.locator("#connection-status")).to_contain_text("2 changes waiting")
    page.wait_for_timeout(5000)
    assert not SyncMutation.objects.exists()
    assert not Note.objects.exists()

    phone_network.go_online(context)
    page.wait_for_function("document.body.dataset.outboxWaiting === '0'", timeout=30000)
    assert SyncMutation.objects.count() == 2
    assert list(Note.objects.values_list("text", flat=True)) == ["Written in the basement."]
