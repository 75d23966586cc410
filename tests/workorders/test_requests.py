"""Requests: the no-login QR form, its status page, and the dispatcher's triage."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.assets.factories import make_asset, make_location
from tests.factories import MembershipFactory
from workorders.models import Attachment, Request, WorkOrder
from workorders.services import request_form_token

pytestmark = pytest.mark.django_db
# Starts with the JPEG magic number: the upload check goes by content, not by name.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"leaking seal" * 50


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pump(dispatcher):
    site = make_location(dispatcher, "PLANT-1")
    return make_asset(dispatcher, "PMP-001", name="Feed pump", location=site)


def aged_token(seconds: int = 60) -> str:
    """A form token as if the page had been opened ``seconds`` ago (people take a while)."""
    with time_machine.travel(timezone.now() - timedelta(seconds=seconds)):
        return request_form_token()


def report(
    asset,
    *,
    address: str = "203.0.113.7",
    photo: bytes | None = None,
    token: str | None = None,
    **fields,
):
    data = {
        "description": "Water dripping under the pump",
        "reporter_name": "Sam Visitor",
        "reporter_contact": "sam@example.org",
        "form_token": aged_token() if token is None else token,
        "website": "",
        **fields,
    }
    if photo is not None:
        data["photo"] = SimpleUploadedFile("IMG_0042.jpg", photo, content_type="image/jpeg")
    return Client(REMOTE_ADDR=address).post(f"/r/{asset.public_id}/", data)


def media_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_form_needs_no_sign_in_and_fills_in_the_asset(pump):
    response = Client().get(f"/r/{pump.public_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "PMP-001" in page
    assert "Feed pump" in page
    assert 'accept="image/*" capture="environment"' in page
    assert 'name="form_token"' in page
    assert 'name="website"' in page  # the honeypot


def test_an_unknown_label_tells_a_passer_by_what_to_do_not_to_go_to_a_start_page(db):
    response = Client().get("/r/0b3f5a52-7d1e-4c1b-9f59-111111111111/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "start page" not in page
    assert "tell the staff on site" in page
    assert 'href="/"' not in page.split("</header>", 1)[1]


def test_passer_by_report_is_stored_and_followed_on_the_status_page(pump):
    response = report(pump, photo=PHOTO)
    submitted = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/r/thanks/{submitted.status_token}/"
    assert submitted.asset == pump
    assert submitted.reporter is None
    assert submitted.description == "Water dripping under the pump"
    assert (submitted.reporter_name, submitted.reporter_contact) == (
        "Sam Visitor",
        "sam@example.org",
    )
    assert submitted.photo.read() == PHOTO
    thanks = Client().get(response["Location"]).content.decode()
    assert f"/r/status/{submitted.status_token}/" in thanks
    status = Client().get(f"/r/status/{submitted.status_token}/")
    assert status.status_code == 200
    assert "Waiting for review" in status.content.decode()
    assert status["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/r/status/not-a-real-token/", "/r/thanks/not-a-real-token/"])
def test_a_passer_by_with_a_wrong_link_is_not_sent_to_a_start_page(db, path):
    response = Client().get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "start page" not in page
    assert "Check the link" in page


def test_sixth_report_from_one_address_is_refused_with_429_and_stores_nothing(pump, settings):
    settings.QR_REQUESTS_PER_HOUR = 5
    for _ in range(5):
        assert report(pump).status_code == 302
    refused = report(pump, photo=PHOTO, description="Sixth one")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many reports" in refused.content.decode()
    assert Request.objects.count() == 5
    assert not Request.objects.filter(description="Sixth one").exists()
    assert report(pump, address="198.51.100.9").status_code == 302  # another address is fine


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"website": "http://cheap-pills.example"}, "honeypot filled in"),
        ({"token": "FRESH"}, "sent faster than a person can type"),
        ({"token": "garbage"}, "token not signed by us"),
    ],
)
def test_spam_is_refused_nothing_is_stored_and_the_text_is_kept(pump, settings, fields, why):
    if fields.get("token") == "FRESH":
        fields["token"] = request_form_token()
    response = report(pump, photo=PHOTO, description="Buy cheap pills now", **fields)
    assert response.status_code == 422, why
    page = response.content.decode()
    assert "Buy cheap pills now" in page
    assert 'role="alert"' in page
    assert not Request.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_expired_form_asks_to_send_again_with_a_fresh_token_and_keeps_the_text(pump):
    old = aged_token(seconds=25 * 3600)
    response = report(pump, token=old, description="Fan belt squeals")
    assert response.status_code == 422
    page = response.content.decode()
    assert "open too long" in page
    assert "Fan belt squeals" in page
    assert old not in page  # a new token, so the next press goes through
    assert not Request.objects.exists()


def test_bad_input_shows_the_form_again_with_everything_typed_and_the_photo_kept(pump, settings):
    response = report(pump, photo=PHOTO, description="ab", reporter_name="Jo")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Describe the problem in a few words." in page
    assert 'value="Jo"' in page
    assert 'value="sam@example.org"' in page
    assert "IMG_0042.jpg is kept" in page
    assert "choose your photo again" not in page
    assert not Request.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []

    fixed = report(pump, description="Seal leaks", photo_kept=kept_photo_token(page))
    assert fixed.status_code == 302
    assert Request.objects.get().photo.read() == PHOTO


def kept_photo_token(page: str) -> str:
    match = re.search(r'name="photo_kept" value="([^"]+)"', page)
    assert match, "the page keeps no photo"
    return match.group(1)


def form_token_of(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_a_report_sent_too_soon_keeps_text_and_photo_and_goes_through_when_sent_again(pump):
    opened = request_form_token()
    too_soon = report(pump, token=opened, photo=PHOTO, description="Grinding noise at start")

    assert too_soon.status_code == 422
    page = too_soon.content.decode()
    assert "Sent a moment too soon" in page
    assert "please press “Send report” again" in page
    assert "Grinding noise at start" in page
    assert "IMG_0042.jpg is kept" in page
    # The wait runs from when the form was opened, not from the refusal.
    assert form_token_of(page) == opened
    assert not Request.objects.exists()

    with time_machine.travel(timezone.now() + timedelta(seconds=4)):
        again = report(
            pump,
            token=form_token_of(page),
            photo_kept=kept_photo_token(page),
            description="Grinding noise at start",
        )
    assert again.status_code == 302
    submitted = Request.objects.get()
    assert submitted.description == "Grinding noise at start"
    assert submitted.photo.read() == PHOTO


@pytest.mark.parametrize("kept", ["forged", "tampered"])
def test_a_kept_photo_token_not_issued_by_the_form_adds_no_photo(pump, kept):
    page = report(pump, photo=PHOTO, description="ab").content.decode()
    token = kept_photo_token(page)
    bad = (
        "forged-value"
        if kept == "forged"
        else token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")
    )
    response = report(pump, description="Seal leaks", photo_kept=bad)
    assert response.status_code == 302
    assert not Request.objects.get().photo


def test_a_new_photo_replaces_the_kept_one(pump):
    page = report(pump, photo=PHOTO, description="ab").content.decode()
    other = b"\x89PNG\r\n\x1a\n" + b"another picture" * 20
    response = report(
        pump, description="Seal leaks", photo=other, photo_kept=kept_photo_token(page)
    )
    assert response.status_code == 302
    assert Request.objects.get().photo.read() == other


def test_a_text_file_named_jpg_is_refused_as_a_photo(pump, settings):
    response = report(pump, photo=b"just some text, not a picture", description="Leak at seal")
    assert response.status_code == 422
    assert "Must be a photo" in response.content.decode()
    assert "Leak at seal" in response.content.decode()
    assert not Request.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_approval_carries_text_and_photo_into_the_work_order(pump, as_member, dispatcher):
    report(pump, photo=PHOTO, description="Water dripping under the pump\nsince this morning")
    submitted = Request.objects.get()
    response = as_member(dispatcher).post(
        f"/requests/{submitted.public_id}/approve/", {"priority": "p2", "title": ""}
    )
    work_order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/work-orders/{work_order.reference}/"
    assert work_order.title == "Water dripping under the pump"
    assert work_order.description == "Water dripping under the pump\nsince this morning"
    assert (work_order.priority, work_order.asset) == ("p2", pump)
    photo = Attachment.objects.get(work_order=work_order)
    assert photo.kind == "photo"
    assert photo.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert photo.file.read() == PHOTO
    status = Client().get(f"/r/status/{submitted.status_token}/").content.decode()
    assert "Approved" in status
    assert work_order.reference in status


def test_rejection_reason_is_visible_on_the_status_page(pump, as_member, dispatcher):
    report(pump)
    submitted = Request.objects.get()
    response = as_member(dispatcher).post(
        f"/requests/{submitted.public_id}/reject/",
        {"reason": "Already being repaired under WO-000012"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "rejected"
    status = Client().get(f"/r/status/{submitted.status_token}/").content.decode()
    assert "Not taken on" in status
    assert "Already being repaired under WO-000012" in status
    assert not WorkOrder.objects.exists()


def test_reject_without_a_reason_shows_the_triage_again_and_changes_nothing(
    pump, as_member, dispatcher
):
    report(pump)
    submitted = Request.objects.get()
    response = as_member(dispatcher).post(
        f"/requests/{submitted.public_id}/reject/", {"reason": ""}
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "new"


def test_a_decided_request_cannot_be_approved_again(pump, as_member, dispatcher):
    report(pump)
    submitted = Request.objects.get()
    client = as_member(dispatcher)
    client.post(f"/requests/{submitted.public_id}/reject/", {"reason": "Duplicate"})
    again = client.post(f"/requests/{submitted.public_id}/approve/", {"priority": "p1"})
    assert again.status_code == 422
    assert "already rejected" in again.content.decode()
    assert not WorkOrder.objects.exists()


def test_another_organisation_cannot_see_approve_or_reject(pump, as_member, other_org_user):
    report(pump, photo=PHOTO)
    submitted = Request.objects.get()
    client = as_member(other_org_user)
    base = f"/requests/{submitted.public_id}"
    assert client.post(f"{base}/approve/", {"priority": "p1"}).status_code == 404
    assert client.post(f"{base}/reject/", {"reason": "No"}).status_code == 404
    assert client.get(f"{base}/photo/").status_code == 404
    assert "Water dripping" not in client.get("/requests/").content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "new"
    assert not WorkOrder.objects.exists()


def test_technicians_do_not_triage(pump, as_member, technician):
    report(pump)
    submitted = Request.objects.get()
    client = as_member(technician)
    assert client.get("/requests/").status_code == 403
    assert (
        client.post(f"/requests/{submitted.public_id}/approve/", {"priority": "p1"}).status_code
        == 403
    )
    assert Request.objects.get().status == "new"


def test_triage_lists_new_requests_with_thumbnails_in_fixed_queries(pump, as_member, dispatcher):
    client = as_member(dispatcher)
    report(pump, photo=PHOTO, address="192.0.2.1")
    client.get("/requests/")  # warm the session and membership caches

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/requests/").status_code == 200
        return len(captured)

    few = count_queries()
    for index in range(8):
        report(pump, photo=PHOTO, address=f"192.0.2.{index + 10}", description=f"Problem {index}")
    assert count_queries() == few
    page = client.get("/requests/").content.decode()
    first = Request.objects.order_by("id").first()
    assert f"/requests/{first.public_id}/photo/" in page
    assert "Problem 7" in page
    photo = client.get(f"/requests/{first.public_id}/photo/")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == PHOTO


def test_signed_in_staff_get_a_link_to_the_asset_page(pump):
    page = Client().get(f"/r/{pump.public_id}/").content.decode()
    assert f"/assets/{pump.public_id}/" in page


def test_a_manager_in_the_same_organisation_sees_the_request(pump, organization, as_member):
    supervisor = MembershipFactory(organization=organization, role=Role.SUPERVISOR)
    report(pump)
    assert "Water dripping" in as_member(supervisor).get("/requests/").content.decode()


def test_a_refused_report_does_not_use_up_the_allowance(pump, settings):
    settings.QR_REQUESTS_PER_HOUR = 1
    assert report(pump, description="x").status_code == 422
    assert report(pump).status_code == 302
    assert Request.objects.count() == 1


def test_staff_scanning_the_label_land_on_the_asset_page(pump, as_member, technician):
    response = as_member(technician).get(f"/r/{pump.public_id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/assets/{pump.public_id}/"


def test_the_label_encodes_the_scan_address(pump, as_member, dispatcher):
    import segno

    svg = as_member(dispatcher).get(f"/assets/{pump.public_id}/qr.svg").content.decode()
    expected = segno.make(f"http://testserver/r/{pump.public_id}/", error="m").svg_inline(
        scale=8, border=4
    )
    assert svg == expected
