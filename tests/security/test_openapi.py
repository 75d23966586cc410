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


def test_every_operation_has_its_own_id():
    """Clients generate code from the ids. The work-order router names them after the function
    alone (workorders/api/_common.py), so two endpoints with one function name would share one."""
    ids = [
        operation["operationId"]
        for path in api.get_openapi_schema()["paths"].values()
        for operation in path.values()
    ]
    assert len(ids) == len(set(ids))
    # Unchanged by the split of workorders/api.py into modules.
    assert {"workorders_api_work_order_list", "workorders_api_note_add"} <= set(ids)
