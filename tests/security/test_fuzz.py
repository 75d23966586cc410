"""API fuzzing with schemathesis against the project's own OpenAPI (/api/v1/openapi.json).

Each operation gets a bounded number of generated requests, sent through the full WSGI stack
(middleware included) with an admin's API token. Path parameters are mostly real rows of the
caller's organisation, so generated bodies reach the services, not just the 404 for an unknown id.
Every response must: not be a 5xx (bar a 502 from an unreachable ERP), use a status the schema
documents, match its schema, and, when it is an error, be the error envelope. A longer run:
``bench/fuzz.py``.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fieldops.errors import STATUS_CODES

pytestmark = pytest.mark.django_db

# Per operation; the whole API (about 90 operations) stays within a few minutes on CI.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
KNOWN_CODES = set(STATUS_CODES.values()) | {
    "VERSION_CONFLICT",
    "INVALID_TRANSITION",
    "OVERRIDE_REQUIRED",
    "CONFLICT",
    "ERROR",
}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
RUN: dict[str, int] = {"cases": 0, "errors": 0, "real_ids": 0, "operations": 0, "failed": 0}
_SEEN: set[str] = set()
_FAILED: set[str] = set()


def check_no_server_error(ctx, response, case) -> bool | None:
    """No 5xx, except UPSTREAM_ERROR (502) where the operation reaches an ERP (the fuzzed
    connection points at a closed loopback port) and SERVICE_UNAVAILABLE (503)."""
    status = response.status_code
    upstream = status == 502 and case.path.startswith("/api/v1/integrations/")
    assert status < 500 or upstream or status == 503, f"server error {status}"
    return True


def check_error_envelope(ctx, response, case) -> bool | None:
    """Every 4xx/5xx is ``{"error": {"code", "message", "details"}}`` with a known code."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"not JSON: {response.content[:200]!r}") from None
    assert set(body) == {"error"}, f"not the envelope: {body!r}"
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str), error
    assert error["message"]
    assert isinstance(error["details"], dict), error
    assert error["code"] in KNOWN_CODES, f"unknown code {error['code']!r}"
    if response.status_code == 429:
        assert "retry-after" in {name.lower() for name in response.headers}, "no Retry-After"
    return True


def use_real_ids(case, params: dict[str, str]) -> None:
    """Three generated cases in four address real rows; the rest keep the generated values, so
    malformed and unknown ids are fuzzed too. Chosen from the generated data: reproducible."""
    generated = case.path_parameters or {}
    if not generated:
        return
    digest = hashlib.sha256(repr(sorted(generated.items())).encode()).digest()
    if digest[0] % 4 == 0:
        return
    case.path_parameters = {name: params.get(name, value) for name, value in generated.items()}
    RUN["real_ids"] += 1


@pytest.fixture
def fuzz_world(world, settings):
    # Schemathesis calls the WSGI handler directly, which closes the database connection after
    # each request (inside the test's transaction, PostgreSQL's would go). Django's test client
    # disconnects the same handler for the same reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # The fuzzer is one client sending thousands of requests: lift its allowances for this run
    # (the limits themselves are tested in test_abuse.py).
    settings.API_RATE_PER_MINUTE = 10**6
    settings.INTEGRATIONS_API_RATE_PER_MINUTE = 10**6
    yield world
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_within_its_contract(case, fuzz_world):
    label = case.operation.label
    if label not in _SEEN:
        _SEEN.add(label)
        RUN["operations"] += 1
    use_real_ids(case, fuzz_world.params)
    token = fuzz_world.tokens["admin"]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    RUN["cases"] += 1
    RUN["errors"] += response.status_code >= 400
    try:
        case.validate_response(
            response,
            checks=[
                check_no_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
                check_error_envelope,
            ],
        )
    except Exception:
        _FAILED.add(label)
        RUN["failed"] = len(_FAILED)
        raise


def test_openapi_documents_the_error_envelope_on_every_operation(client):
    body = client.get("/api/v1/openapi.json").json()
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == envelope, (method, path, status)
