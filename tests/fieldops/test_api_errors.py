"""Every error reaches API clients in the envelope, with its stable code."""

import pytest

from fieldops.accounts import api as accounts_api
from fieldops.errors import InvalidTransition, VersionConflict

pytestmark = pytest.mark.django_db


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def test_no_credentials_is_auth_required(client):
    assert_envelope(client.get("/api/v1/me"), 401, "AUTH_REQUIRED")


def test_unknown_token_is_auth_required(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer fo_nope"})
    assert_envelope(response, 401, "AUTH_REQUIRED")


def test_validation_error_names_the_field(with_token, technician):
    response = with_token(technician).post(
        "/api/v1/tokens", {"name": 12, "expires_at": "not a date"}, content_type="application/json"
    )
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert "expires_at" in error["details"]["fields"]


def test_malformed_json_is_a_validation_error(with_token, technician):
    response = with_token(technician).post(
        "/api/v1/tokens", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "BAD_REQUEST")


def test_service_validation_error_uses_the_envelope(with_token, technician):
    response = with_token(technician).post(
        "/api/v1/tokens", {"name": "   "}, content_type="application/json"
    )
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert error["details"] == {"name": "This field is required."}


def test_unknown_route_is_not_found(with_token, technician):
    assert_envelope(with_token(technician).get("/api/v1/no-such-thing"), 404, "NOT_FOUND")


def test_unknown_row_is_not_found(with_token, technician):
    response = with_token(technician).delete("/api/v1/tokens/00000000-0000-0000-0000-000000000000")
    assert_envelope(response, 404, "NOT_FOUND")


def test_wrong_method_is_method_not_allowed(with_token, technician):
    response = with_token(technician).put("/api/v1/me")
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")


def test_role_without_permission_is_permission_denied(with_token, technician):
    assert_envelope(with_token(technician).post("/api/v1/system/ping"), 403, "PERMISSION_DENIED")


def test_session_write_without_csrf_is_refused(dispatcher):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(dispatcher.user)
    assert_envelope(client.post("/api/v1/system/ping"), 403, "PERMISSION_DENIED")


def test_rate_limit_answers_429_with_retry_after(settings, with_token, technician):
    settings.API_RATE_PER_MINUTE = 3
    client = with_token(technician)
    statuses = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/api/v1/me")
    error = assert_envelope(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response["Retry-After"]) >= 1
    assert error["details"]["retry_after"] == int(response["Retry-After"])


def test_token_guessing_is_rate_limited_per_address(settings, client, technician):
    settings.API_ANON_RATE_PER_MINUTE = 2
    guess = {"Authorization": "Bearer fo_guess"}
    for _ in range(2):
        assert client.get("/api/v1/me", headers=guess).status_code == 401
    response = client.get("/api/v1/me", headers=guess)
    assert_envelope(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(VersionConflict, 409, "VERSION_CONFLICT"), (InvalidTransition, 409, "INVALID_TRANSITION")],
)
def test_domain_errors_map_to_their_codes(monkeypatch, with_token, technician, error, status, code):
    def boom(user):
        raise error(details={"current": {"version": 3}})

    monkeypatch.setattr(accounts_api, "api_tokens_for_user", boom)
    body = assert_envelope(with_token(technician).get("/api/v1/tokens"), status, code)
    assert body["details"] == {"current": {"version": 3}}


def test_unhandled_error_is_500_without_a_trace(monkeypatch, with_token, technician, caplog):
    def boom(user):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(accounts_api, "api_tokens_for_user", boom)
    response = with_token(technician).get("/api/v1/tokens")
    error = assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert error["details"] == {}
    assert "Unhandled API error" in caplog.text


def test_openapi_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/tokens" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
