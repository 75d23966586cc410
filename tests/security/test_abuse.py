"""Hostile input: oversized requests, cross-site form posts, callers past their allowance."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fieldops.accounts.services import api_token_create
from tests.conftest import client_for
from tests.security.authz import api_routes, fill_api, fill_page, page_routes
from workorders.models import Attachment, WorkOrder

pytestmark = pytest.mark.django_db


def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = json.loads(response.content)
    assert body["error"]["code"] == code
    return body["error"]


# --- Request size -------------------------------------------------------------------------------


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024
    settings.UPLOAD_MAX_BYTES = 8 * 1024
    return settings


def test_json_body_over_the_request_limit_is_413_in_the_envelope(small_limits, world):
    client = Client(headers={"Authorization": f"Bearer {world.tokens['dispatcher']}"})
    # 17,000 characters: a valid description (up to 20,000), but over the 16 KB request limit
    body = json.dumps({"title": "Big", "description": "x" * 17000})
    response = client.post("/api/v1/work-orders", body, content_type="application/json")
    error = envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert error["details"]["limit_bytes"] == 16 * 1024
    assert not WorkOrder.objects.filter(title="Big").exists()


def test_body_just_under_the_limit_is_read(small_limits, world):
    client = Client(headers={"Authorization": f"Bearer {world.tokens['dispatcher']}"})
    body = json.dumps({"title": "Fits", "description": "x" * 15000})
    response = client.post("/api/v1/work-orders", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]


def test_upload_over_the_request_limit_is_refused_before_it_is_spooled(small_limits, world):
    client = Client(headers={"Authorization": f"Bearer {world.tokens['technician']}"})
    photo = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (20 * 1024))
    before = Attachment.objects.count()
    response = client.post(
        f"/api/v1/work-orders/{world.params['ref']}/attachments", {"file": photo}
    )
    envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert Attachment.objects.count() == before


def test_upload_over_the_upload_limit_is_a_validation_error(small_limits, world):
    """Under the request limit but over UPLOAD_MAX_BYTES: checked by fieldops.uploads."""
    client = Client(headers={"Authorization": f"Bearer {world.tokens['technician']}"})
    photo = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (12 * 1024))
    before = Attachment.objects.count()
    response = client.post(
        f"/api/v1/work-orders/{world.params['ref']}/attachments", {"file": photo}
    )
    envelope(response, 422, "VALIDATION_ERROR")
    assert Attachment.objects.count() == before


def test_page_post_over_the_limit_is_413(small_limits, world):
    client = client_for(world.members["technician"])
    path = f"/work-orders/{world.params['number']}/notes/"
    response = client.post(path, {"text": "x" * 17000})
    assert response.status_code == 413


def test_too_many_form_fields_is_a_bad_request_not_a_server_error(settings, world):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = Client(headers={"Authorization": f"Bearer {world.tokens['technician']}"})
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    fields = {f"f{i}": "x" for i in range(20)}
    response = client.post(
        f"/api/v1/work-orders/{world.params['ref']}/attachments", {"file": photo, **fields}
    )
    envelope(response, 400, "BAD_REQUEST")


# --- CSRF ---------------------------------------------------------------------------------------

# Posts that come from other programs, not from a form of ours: verified by their signature.
CSRF_EXEMPT = {"integrations/webhooks/<uuid:connection_id>/"}


def test_every_page_refuses_a_post_without_the_csrf_token(world):
    """Each page of the URL conf, posted to by a signed-in admin and technician without a token,
    is refused with 403 before its view runs (GET-only pages included: the check comes first)."""
    refused, accepted = [], []
    for persona in ("admin", "technician"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.members[persona].user)
        for route in page_routes():
            if route.path in CSRF_EXEMPT:
                continue
            response = client.post(fill_page(route.path, world.params), {"text": "x"})
            (refused if response.status_code == 403 else accepted).append(route.path)
    assert not accepted, f"POST without a CSRF token was let through: {accepted}"
    assert len(refused) == 2 * (len(page_routes()) - len(CSRF_EXEMPT))


def test_the_login_form_refuses_a_post_without_the_csrf_token(world):
    response = Client(enforce_csrf_checks=True).post(
        "/login/", {"username": world.members["admin"].user.username, "password": "x"}
    )
    assert response.status_code == 403


def test_every_api_write_with_the_session_refuses_a_missing_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.members["admin"].user)
    writes = [r for r in api_routes() if r.method in ("POST", "PUT", "PATCH", "DELETE")]
    for route in writes:
        response = client.generic(
            route.method, fill_api(route.path, world.params), "{}", "application/json"
        )
        assert response.status_code == 403, (route.key, response.status_code)
        assert json.loads(response.content)["error"]["code"] == "PERMISSION_DENIED"


# --- Rate limits --------------------------------------------------------------------------------


def test_each_token_has_its_own_allowance(settings, world):
    settings.API_RATE_PER_MINUTE = 3
    member = world.members["dispatcher"]
    first = Client(headers={"Authorization": f"Bearer {world.tokens['dispatcher']}"})
    second_secret = api_token_create(membership=member, name="second").secret
    second = Client(headers={"Authorization": f"Bearer {second_secret}"})
    assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get("/api/v1/me")
    error = envelope(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited["Retry-After"]) >= 1
    assert error["details"]["retry_after"] == int(limited["Retry-After"])
    assert second.get("/api/v1/me").status_code == 200


def test_failed_token_guesses_are_limited_per_address(settings, world):
    settings.API_ANON_RATE_PER_MINUTE = 2
    guess = {"Authorization": "Bearer fo_not-a-token"}
    guesser = Client(REMOTE_ADDR="127.0.0.2", headers=guess)
    neighbour = Client(REMOTE_ADDR="127.0.0.3", headers=guess)
    assert [guesser.get("/api/v1/me").status_code for _ in range(2)] == [401, 401]
    limited = guesser.get("/api/v1/me")
    envelope(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited["Retry-After"]) >= 1
    assert neighbour.get("/api/v1/me").status_code == 401
