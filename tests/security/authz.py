"""Walking every API operation and every page as each actor: the routes, the requests and
how an answer is classified. The expected answers are the rules table in test_authorization.py."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from fieldops.api import api
from tests.security.conftest import PNG

API_PREFIX = "api/v1/"
ADMIN_PREFIX = "admin/"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the OpenAPI (/api/v1/assets/{asset_id}) or the URL conf (assets/<uuid:...>/)
    operation: dict | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@functools.cache
def openapi() -> dict:
    return api.get_openapi_schema()


def api_routes() -> list[Route]:
    schema = openapi()
    return [
        Route(method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def page_routes() -> list[Route]:
    """Every URL pattern outside the API, with Django's admin as one route (its own staff-only
    login guards all of it)."""

    def walk(patterns: list, prefix: str = "") -> list[str]:
        found: list[str] = []
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(API_PREFIX):
                continue
            if route.startswith(ADMIN_PREFIX):
                found.append(ADMIN_PREFIX)
            elif isinstance(pattern, URLResolver):
                found += walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append(route)
        return found

    seen: list[str] = []
    for route in walk(get_resolver().url_patterns):
        if route not in seen:
            seen.append(route)
    return [Route("PAGE", route) for route in seen]


def fill_page(route: str, params: dict[str, str]) -> str:
    """``assets/<uuid:asset_id>/`` with the world's asset id."""
    out, rest = "/", route
    while "<" in rest:
        head, _, tail = rest.partition("<")
        spec, _, rest = tail.partition(">")
        name = spec.split(":")[-1]
        out += head + params[name]
    return out + rest


def fill_api(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a parameter of {path}"
    return path


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _id_for(name: str, params: dict[str, str]) -> str | None:
    for key in (name, f"{name}_id", name.removesuffix("s") + "_id"):
        if key in params:
            return params[key]
    return None


def sample(schema: dict, components: dict, params: dict[str, str], name: str = "") -> Any:
    """A minimal value valid against ``schema``; ids name real rows of ``params``' world."""
    schema = _resolve(schema, components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, components).get("type") != "null"]
            return sample(options[0], components, params, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        wanted = set(schema.get("required", []))
        # optional references to other rows too: they must be checked for the tenant as well
        wanted |= {p for p in properties if p != "id" and _id_for(p, params) is not None}
        return {
            prop: sample(properties[prop], components, params, prop)
            for prop in properties
            if prop in wanted
        }
    if kind == "array":
        if name == "technician_ids":
            return [params["technician_id"]]
        minimum = schema.get("minItems", 0)
        return [sample(schema.get("items", {}), components, params, name)] * minimum
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        if name in params:
            return params[name]
        fmt = schema.get("format")
        if fmt == "uuid":
            return _id_for(name, params) or str(uuid.uuid4())
        if fmt == "date-time":
            return datetime.now(UTC).isoformat()
        if fmt == "date":
            return datetime.now(UTC).date().isoformat()
        if fmt == "binary":
            return SimpleUploadedFile(f"{name}.png", PNG, "image/png")
        if "url" in name:
            return "http://127.0.0.1:9/hook"
        return "x" * max(schema.get("minLength", 1), 4)
    return {}


def call_page(client, method: str, path: str, data: dict | None = None):
    return getattr(client, method)(path, data or {})


def call_api(client, route: Route, params: dict[str, str]):
    path = fill_api(route.path, params)
    body = route.operation.get("requestBody")
    method = route.method.lower()
    if not body:
        return getattr(client, method)(path)
    components = openapi()["components"]["schemas"]
    content_type, media = next(iter(body["content"].items()))
    data = sample(media["schema"], components, params)
    if content_type == "multipart/form-data":
        return client.post(path, data)
    return getattr(client, method)(path, data, content_type="application/json")


def classify(response) -> str:
    """What an answer says about access: ``401``, ``403``, ``404``, ``login`` (redirected to
    sign in), ``405``, ``422`` (let through the access checks, the input refused: the request
    bodies are minimal, and another organisation's ids in a body must be refused), or ``ok``
    (let through: any other answer, a conflict included)."""
    status = response.status_code
    if status in (301, 302, 303) and "/login/" in response.get("Location", ""):
        return "login"
    if status in (401, 403, 404, 405, 422):
        return str(status)
    # 502: let through to an ERP, which did not answer (the world's connection points nowhere)
    assert status < 500 or status == 502, f"server error {status}"
    return "ok"
