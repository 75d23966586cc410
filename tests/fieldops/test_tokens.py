import pytest
from django.utils import timezone

from fieldops.accounts.models import ApiToken
from fieldops.accounts.services import api_token_create, hash_token

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(as_member, technician):
    response = as_member(technician).post(
        "/api/v1/tokens", {"name": "ERP bridge"}, content_type="application/json"
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("fo_")
    stored = ApiToken.objects.get()
    assert stored.token_hash == hash_token(secret)
    assert secret not in {stored.token_hash, stored.prefix, stored.name}
    listed = as_member(technician).get("/api/v1/tokens").json()
    assert "token" not in listed[0]
    assert secret not in str(listed)


def test_bearer_token_authenticates_as_its_member(client, technician):
    issued = api_token_create(membership=technician, name="cli")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 200
    assert response.json()["role"] == "technician"
    assert response.json()["organization"]["slug"] == technician.organization.slug
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_revoked_token_is_refused(client, technician):
    issued = api_token_create(membership=technician, name="cli")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{issued.token.public_id}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_expired_token_is_refused(client, technician):
    issued = api_token_create(membership=technician, name="cli")
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_of_deactivated_member_is_refused(client, technician):
    issued = api_token_create(membership=technician, name="cli")
    technician.is_active = False
    technician.save()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_page_creates_shows_once_and_revokes(as_member, technician):
    client = as_member(technician)
    page = client.post("/account/tokens/", {"name": "Laptop script"})
    assert page.status_code == 200
    token = ApiToken.objects.get()
    secret = page.context["new_secret"]
    assert hash_token(secret) == token.token_hash
    assert secret not in client.get("/account/tokens/").content.decode()
    revoked = client.post(f"/account/tokens/{token.public_id}/revoke/", follow=True)
    assert "revoked" in revoked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_page_keeps_what_was_typed_on_error(as_member, technician):
    page = as_member(technician).post("/account/tokens/", {"name": "x" * 101})
    assert page.status_code == 422
    assert "x" * 101 in page.content.decode()
    assert not ApiToken.objects.exists()
