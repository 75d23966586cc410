"""A passer-by scans an asset's QR label with their phone and reports a problem."""

import base64
import re

import pytest

from tests.assets.factories import make_asset, make_location
from workorders.models import Request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def pump(dispatcher, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    site = make_location(dispatcher, "PLANT-1")
    return make_asset(dispatcher, "PMP-001", name="Feed pump", location=site)


@pytest.fixture
def phone(browser):
    from tests.e2e.conftest import PHONE

    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}})
    yield context.new_page()
    context.close()


def test_a_report_sent_at_once_is_kept_with_its_photo_and_goes_through_when_sent_again(
    live_server, phone, pump
):
    page = phone
    page.goto(f"{live_server.url}/r/{pump.public_id}/")
    page.fill("#id_description", "Water dripping under the pump")
    page.set_input_files(
        "#id_photo", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PHOTO}]
    )
    page.fill("#id_reporter_name", "Sam Visitor")
    page.click("button:has-text('Send report')")

    alert = page.get_by_role("alert")
    assert "Sent a moment too soon" in alert.inner_text()
    assert "Your text and photo are kept" in alert.inner_text()
    assert "please press “Send report” again" in alert.inner_text()
    assert page.input_value("#id_description") == "Water dripping under the pump"
    assert page.input_value("#id_reporter_name") == "Sam Visitor"
    assert "Your photo leak.png is kept" in page.locator("#photo-kept").inner_text()
    assert page.locator("#photo-kept").is_visible()
    assert not Request.objects.exists()

    page.click("button:has-text('Send report')")
    page.wait_for_url(re.compile(r"/r/thanks/"))
    assert "your report was sent" in page.locator("h1").inner_text()

    submitted = Request.objects.get()
    assert submitted.description == "Water dripping under the pump"
    assert submitted.reporter_name == "Sam Visitor"
    assert submitted.photo.read() == PHOTO


def test_an_unknown_label_does_not_send_a_passer_by_to_a_start_page(live_server, phone):
    page = phone
    response = page.goto(f"{live_server.url}/r/0b3f5a52-7d1e-4c1b-9f59-111111111111/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "We do not know this label"
    assert "tell the staff on site" in page.locator("main").inner_text()
    assert page.locator("main a").count() == 0
    assert page.get_by_text("start page").count() == 0
