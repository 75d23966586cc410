"""Every method answers a bad bearer token the same way: 401 AUTH_REQUIRED, never a CSRF 403.

A client that sends `Authorization` speaks bearer auth; whatever is wrong with its token, it must
hear that it needs a valid one, whether it GETs or writes.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assets.models import Asset
from fieldops.accounts.models import ApiToken, Role
from fieldops.accounts.services import api_token_create
from tests.assets.factories import make_asset
from tests.factories import MembershipFactory
from workorders.dispatch.models import TechnicianProfile

pytestmark = pytest.mark.django_db

# method x token state → (status, error code); None = no error envelope.
EXPECTED = {
    ("GET", "missing"): (401, "AUTH_REQUIRED"),
    ("GET", "malformed"): (401, "AUTH_REQUIRED"),
    ("GET", "unknown"): (401, "AUTH_REQUIRED"),
    ("GET", "expired"): (401, "AUTH_REQUIRED"),
    ("GET", "revoked"): (401, "AUTH_REQUIRED"),
    ("GET", "valid"): (200, None),
    ("POST", "missing"): (401, "AUTH_REQUIRED"),
    ("POST", "malformed"): (401, "AUTH_REQUIRED"),
    ("POST", "unknown"): (401, "AUTH_REQUIRED"),
    ("POST", "expired"): (401, "AUTH_REQUIRED"),
    ("POST", "revoked"): (401, "AUTH_REQUIRED"),
    ("POST", "valid"): (201, None),
    ("PUT", "missing"): (401, "AUTH_REQUIRED"),
    ("PUT", "malformed"): (401, "AUTH_REQUIRED"),
    ("PUT", "unknown"): (401, "AUTH_REQUIRED"),
    ("PUT", "expired"): (401, "AUTH_REQUIRED"),
    ("PUT", "revoked"): (401, "AUTH_REQUIRED"),
    ("PUT", "valid"): (204, None),
    ("PATCH", "missing"): (401, "AUTH_REQUIRED"),
    ("PATCH", "malformed"): (401, "AUTH_REQUIRED"),
    ("PATCH", "unknown"): (401, "AUTH_REQUIRED"),
    ("PATCH", "expired"): (401, "AUTH_REQUIRED"),
    ("PATCH", "revoked"): (401, "AUTH_REQUIRED"),
    ("PATCH", "valid"): (200, None),
    ("DELETE", "missing"): (401, "AUTH_REQUIRED"),
    ("DELETE", "malformed"): (401, "AUTH_REQUIRED"),
    ("DELETE", "unknown"): (401, "AUTH_REQUIRED"),
    ("DELETE", "expired"): (401, "AUTH_REQUIRED"),
    ("DELETE", "revoked"): (401, "AUTH_REQUIRED"),
    ("DELETE", "valid"): (200, None),
}


@pytest.fixture
def world(organization):
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    asset = make_asset(admin, "P-101", name="Feed pump")
    victim = api_token_create(membership=admin, name="to be revoked by the DELETE")
    tokens = {
        "valid": api_token_create(membership=admin, name="live").secret,
        "expired": api_token_create(membership=admin, name="old").secret,
        "revoked": api_token_create(membership=admin, name="gone").secret,
    }
    ApiToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(minutes=1))
    ApiToken.objects.filter(name="gone").update(revoked_at=timezone.now())
    return {"admin": admin, "asset": asset, "victim": victim, "tokens": tokens}


def _headers(state: str, tokens: dict[str, str]) -> dict[str, str]:
    if state == "missing":
        return {}
    if state == "malformed":
        return {"Authorization": f"Token {tokens['valid']}"}
    if state == "unknown":
        return {"Authorization": "Bearer fo_" + "x" * 43}
    return {"Authorization": f"Bearer {tokens[state]}"}


def _call(client: Client, method: str, world: dict):
    asset: Asset = world["asset"]
    calls = {
        "GET": ("/api/v1/me", None),
        "POST": ("/api/v1/tokens", {"name": "made by the POST"}),
        "PUT": (f"/api/v1/technicians/{world['admin'].public_id}/status", {"status": "off"}),
        "PATCH": (f"/api/v1/assets/{asset.public_id}", {"version": asset.version, "name": "New"}),
        "DELETE": (f"/api/v1/tokens/{world['victim'].token.public_id}", None),
    }
    path, body = calls[method]
    return client.generic(method, path, "" if body is None else _json(body), "application/json")


def _json(body: dict) -> str:
    import json

    return json.dumps(body)


def _what_the_writes_touch(world: dict) -> dict[str, object]:
    world["victim"].token.refresh_from_db()
    return {
        "POST": ApiToken.objects.filter(name="made by the POST").exists(),
        "PUT": TechnicianProfile.objects.filter(membership=world["admin"], status="off").exists(),
        "PATCH": Asset.objects.get(pk=world["asset"].pk).name,
        "DELETE": world["victim"].token.revoked_at is not None,
    }


@pytest.mark.parametrize(("method", "state"), list(EXPECTED))
def test_each_method_answers_each_token_state(world, method, state):
    status, code = EXPECTED[(method, state)]
    # CSRF is enforced as in a browser: a bearer client never sends a CSRF token.
    client = Client(enforce_csrf_checks=True, headers=_headers(state, world["tokens"]))
    before = _what_the_writes_touch(world)

    response = _call(client, method, world)

    assert response.status_code == status, response.content
    after = _what_the_writes_touch(world)
    if code is None:
        changed = {write for write in after if after[write] != before[write]}
        assert changed == ({method} - {"GET"})
        return
    error = response.json()["error"]
    assert error["code"] == code
    assert response["WWW-Authenticate"] == "Bearer"
    assert after == before


def test_a_signed_in_browser_without_csrf_token_is_still_refused_by_csrf(organization):
    """Dropping the CSRF check for bad bearer tokens must not drop it for the session."""
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert not ApiToken.objects.exists()
