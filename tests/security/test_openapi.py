"""The OpenAPI document describes what the API really takes and answers."""

from collections import defaultdict

from ninja import Schema

from fieldops.api import api

APPS = ("fieldops", "assets", "workorders", "integrations")


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_no_two_different_schemas_share_a_component_name():
    """ninja names a component after its class: two different classes with one name would
    document one operation with the other's body (POST /assets/{id}/status was documented with
    the technician status body until TechnicianStatusIn got its own name)."""
    components = api.get_openapi_schema()["components"]["schemas"]
    shapes: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.split(".")[0] in APPS and cls.__name__ in components:
            shapes[cls.__name__].add(repr(sorted(cls.model_json_schema().items())))
    clashes = {name for name, found in shapes.items() if len(found) > 1}
    assert not clashes


def test_asset_status_body_is_documented_with_its_allowed_values():
    schema = api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/assets/{asset_id}/status"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"status", "reason"}
    assert "operating" in str(body["properties"]["status"])
