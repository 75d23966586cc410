"""One typed input per use case: the same bad input gets the same answer through every door.

Each row of the table is one bad input of one use case, written once in the API's field names,
with the page form's own names beside it. It is tried through the JSON API, the page POST and the
offline push (where that door exists); every door must answer the literal status, code and field
of the row, the page must show the problem next to its field with the typed text kept, and the
record read back must be unchanged."""

import ast
import base64
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.html import escape

from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders import services
from workorders.models import (
    Attachment,
    ChecklistAnswer,
    Note,
    PartUsage,
    Request,
    Signature,
    TimeEntry,
    WorkOrder,
)
from workorders.services import ChecklistItemSpec

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
UNKNOWN = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
# Fields a person types (hidden fields and choices are the page's own).
TYPED = {"text", "minutes", "quantity", "stock_location", "value", "title", "description"}


@dataclass
class Bad:
    """One bad input. ``data``: the API body (and offline data) in the schema's names; ``page``:
    what the page form posts instead (its own field names), when it has that door."""

    case: str
    data: dict
    status: int
    code: str
    field: str
    page: dict | None = None
    offline: bool = True
    extra: dict = field(default_factory=dict)


# use case -> (API path under the work order, page path, offline kind, who acts)
DOORS = {
    "note": ("notes", "notes/", "note.add", "technician"),
    "time_log": ("time-entries", "time/log/", "time_entry.add", "technician"),
    "time_stop": ("time-entries/{entry}/stop", "time/stop/", "time_entry.stop", "technician"),
    "part": ("parts", "parts/", "part.use", "technician"),
    "answer": ("checklist/{item}/answers", "checklist/{item}/", "checklist.answer", "technician"),
    "follow_up": ("checklist/{item}/follow-up", "checklist/{item}/follow-up/", None, "technician"),
    "transition": ("transition", "transition/", "workorder.transition", "technician"),
    "assign": ("assign", "assign/", None, "dispatcher"),
    "create": ("/api/v1/work-orders", "/work-orders/new/", "workorder.create", "dispatcher"),
    "approve": (
        "/api/v1/requests/{request}/approve",
        "/requests/{request}/approve/",
        None,
        "dispatcher",
    ),
    "reject": (
        "/api/v1/requests/{request}/reject",
        "/requests/{request}/reject/",
        None,
        "dispatcher",
    ),
}

TABLE = [
    Bad("note", {"text": ""}, 422, "VALIDATION_ERROR", "text"),
    Bad(
        "note",
        {"text": "Seal worn", "id": "not-an-id"},
        422,
        "VALIDATION_ERROR",
        "id",
        page={"text": "Seal worn", "client_id": "not-an-id"},
    ),
    Bad("note", {"text": "x" * 20001}, 422, "VALIDATION_ERROR", "text"),
    Bad("time_log", {"kind": "work", "minutes": "ten"}, 422, "VALIDATION_ERROR", "minutes"),
    Bad("time_log", {"kind": "work", "minutes": 0}, 422, "VALIDATION_ERROR", "minutes"),
    Bad("time_log", {"kind": "nap", "minutes": 30}, 422, "VALIDATION_ERROR", "kind"),
    Bad(
        "time_log",
        {"kind": "work", "minutes": 30, "started_at": "yesterday"},
        422,
        "VALIDATION_ERROR",
        "started_at",
    ),
    Bad("time_stop", {"entry_id": UNKNOWN}, 404, "NOT_FOUND", "entry_id"),
    Bad(
        "part",
        {"part_id": "nope", "quantity": "1", "stock_location": "Van 3"},
        422,
        "VALIDATION_ERROR",
        "part_id",
        page={"part": "nope", "quantity": "1", "stock_location": "Van 3"},
    ),
    Bad(
        "part",
        {"part_id": "{part}", "quantity": "-2", "stock_location": "Van 3"},
        422,
        "VALIDATION_ERROR",
        "quantity",
        page={"part": "{part}", "quantity": "-2", "stock_location": "Van 3"},
    ),
    Bad(
        "part",
        {"part_id": "{part}", "quantity": "lots", "stock_location": "Van 3"},
        422,
        "VALIDATION_ERROR",
        "quantity",
        page={"part": "{part}", "quantity": "lots", "stock_location": "Van 3"},
    ),
    Bad("answer", {"value": "high", "item": "value"}, 422, "VALIDATION_ERROR", "value"),
    Bad("answer", {"result": "maybe", "item": "check"}, 422, "VALIDATION_ERROR", "result"),
    Bad(
        "answer",
        {"result": "pass", "item": "check", "id": "x1"},
        422,
        "VALIDATION_ERROR",
        "id",
        page={"result": "pass", "client_id": "x1"},
    ),
    Bad(
        "follow_up",
        {"priority": "p9", "item": "check"},
        422,
        "VALIDATION_ERROR",
        "priority",
        offline=False,
    ),
    Bad(
        "transition",
        {"to": "flying", "version": "{version}"},
        422,
        "VALIDATION_ERROR",
        "to",
        extra={"from_status": "in_progress"},
    ),
    Bad(
        "transition",
        {"to": "on_hold", "version": "abc", "reason": "Waiting for parts"},
        422,
        "VALIDATION_ERROR",
        "version",
        extra={"from_status": "in_progress"},
    ),
    Bad(
        "transition",
        {"to": "on_hold", "version": "{version}", "occurred_at": "soon"},
        422,
        "VALIDATION_ERROR",
        "occurred_at",
        extra={"from_status": "in_progress"},
    ),
    Bad(
        "assign",
        {"technician_ids": ["not-an-id"], "version": "{version}"},
        422,
        "VALIDATION_ERROR",
        "technician_ids",
        page={"technician": ["not-an-id"], "version": "{version}"},
        offline=False,
    ),
    Bad(
        "assign",
        {"technician_ids": ["{technician}"], "version": "old"},
        422,
        "VALIDATION_ERROR",
        "version",
        page={"technician": ["{technician}"], "version": "old"},
        offline=False,
    ),
    Bad("create", {"title": "", "description": "Typed text"}, 422, "VALIDATION_ERROR", "title"),
    Bad(
        "create",
        {"title": "Leak", "asset_id": "pump"},
        422,
        "VALIDATION_ERROR",
        "asset_id",
        page={"title": "Leak", "asset": "pump"},
    ),
    Bad("create", {"title": "Leak", "priority": "urgent"}, 422, "VALIDATION_ERROR", "priority"),
    Bad(
        "create",
        {"title": "Leak", "estimated_minutes": "many"},
        422,
        "VALIDATION_ERROR",
        "estimated_minutes",
    ),
    Bad(
        "create",
        {"title": "Leak", "scheduled_start": "next week"},
        422,
        "VALIDATION_ERROR",
        "scheduled_start",
    ),
    Bad(
        "create",
        {"title": "Leak", "id": "abc"},
        422,
        "VALIDATION_ERROR",
        "id",
        page={"title": "Leak", "client_id": "abc"},
    ),
    Bad(
        "approve",
        {"priority": "p9", "title": "Leak"},
        422,
        "VALIDATION_ERROR",
        "priority",
        offline=False,
    ),
    Bad("reject", {"reason": ""}, 422, "VALIDATION_ERROR", "reason", offline=False),
]


@pytest.fixture
def world(dispatcher, technician):
    job = make_work_order(
        dispatcher,
        work_type="inspection",
        checklist=[
            ChecklistItemSpec("Guard fitted"),
            ChecklistItemSpec("Pressure", kind="value", unit="bar", min_value=1, max_value=3),
        ],
    )
    job = move(assign(job, technician, dispatcher), technician, "in_progress")
    check, value = job.checklist.order_by("position")
    services.checklist_answer(
        membership=technician, work_order=job, item_id=check.public_id, result="fail"
    )
    requested = services.request_submit(membership=technician, description="Door sticks")
    return {
        "job": job,
        "part": str(make_part(dispatcher.organization_id).public_id),
        "check": str(check.public_id),
        "value": str(value.public_id),
        "request": str(requested.public_id),
        "technician": str(technician.public_id),
    }


def _fill(value, world):
    """``{part}``-style placeholders of the table, filled in from this test's records."""
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if not isinstance(value, str) or not value.startswith("{"):
        return value
    key = value.strip("{}")
    if key == "version":
        return WorkOrder.objects.get(pk=world["job"].pk).version
    return world[key]


def _snapshot(world) -> dict:
    job = WorkOrder.objects.get(pk=world["job"].pk)
    return {
        "job": (job.status, job.version, job.title, sorted(job.assignments.values_list("pk"))),
        "work_orders": WorkOrder.objects.count(),
        "requests": list(Request.objects.values_list("status", "work_order_id")),
        "children": [
            m.objects.count()
            for m in (Note, TimeEntry, PartUsage, ChecklistAnswer, Attachment, Signature)
        ],
    }


def _paths(bad: Bad, world: dict) -> tuple[str, str]:
    api, page, _, _ = DOORS[bad.case]
    names = {
        "entry": bad.data.get("entry_id", ""),
        "item": world.get(bad.data.get("item", ""), ""),
        "request": world["request"],
    }
    api, page = api.format(**names), page.format(**names)
    ref = world["job"].reference
    api = api if api.startswith("/") else f"/api/v1/work-orders/{ref}/{api}"
    page = page if page.startswith("/") else f"/work-orders/{ref}/{page}"
    return api, page


def _body(bad: Bad, world: dict) -> dict:
    data = {k: _fill(v, world) for k, v in bad.data.items() if k not in ("item", "entry_id")}
    if bad.case == "time_log":
        data.setdefault("started_at", (timezone.now() - timezone.timedelta(hours=1)).isoformat())
    return data


def _error_fields(error: dict) -> set[str]:
    details = error["details"]
    fields = details.get("fields", details)
    return {name.split(".")[0] for name in fields}


def _page_errors(response) -> dict:
    context = response.context
    errors = dict(context.get("errors") or {})
    for row in context.get("rows") or []:
        if isinstance(row, dict):
            errors.update(row.get("errors") or {})
    return errors


def _id(bad: Bad) -> str:
    return f"{bad.case}-{bad.field}-{'-'.join(map(str, bad.data.values()))[:40]}"


@pytest.mark.parametrize("bad", TABLE, ids=[_id(b) for b in TABLE])
def test_the_same_bad_input_gets_the_same_answer_through_every_door(
    bad, world, as_member, with_token, request
):
    actor = request.getfixturevalue(DOORS[bad.case][3])
    api_path, page_path = _paths(bad, world)
    before = _snapshot(world)

    answer = with_token(actor).post(api_path, _body(bad, world), content_type="application/json")
    assert answer.status_code == bad.status, answer.content
    error = answer.json()["error"]
    assert (error["code"], _error_fields(error)) == (bad.code, {bad.field})
    assert _snapshot(world) == before

    form = {k: _fill(v, world) for k, v in (bad.page or bad.data).items() if k != "item"}
    shown = as_member(actor).post(page_path, form)
    assert shown.status_code == bad.status, shown.content[:2000]
    errors = _page_errors(shown)
    assert bad.field in errors, errors
    page = shown.content.decode()
    assert escape(str(errors[bad.field])) in page
    for name, typed in form.items():
        if name in TYPED and typed:
            assert escape(str(typed)) in page, f"{name}={typed!r} was not kept"
    assert _snapshot(world) == before

    kind = DOORS[bad.case][2]
    if not bad.offline or kind is None:
        return
    data = _body(bad, world) | bad.extra
    if bad.case == "answer":
        data["item_id"] = world[bad.data["item"]]
    if bad.case == "time_stop":
        data["entry_id"] = bad.data["entry_id"]
    if bad.case == "create":
        data.setdefault("id", str(uuid.uuid4()))
    pushed = {"id": str(uuid.uuid4()), "kind": kind, "data": data}
    if bad.case != "create":
        pushed["work_order"] = str(world["job"].public_id)
    response = with_token(actor).post(
        "/api/v1/sync/push", {"mutations": [pushed]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert result["status"] == "rejected", result
    assert (result["error"]["code"], _error_fields(result["error"])) == (bad.code, {bad.field})
    assert result["error"] == error, "the offline push answers exactly what the API answers"
    assert _snapshot(world) == before


# Every view module of the apps. The one exception, literally: sign-in, whose input is Django's
# own authentication form (it reads the typed name only to count failures for it).
VIEW_MODULES = sorted(
    str(path.relative_to(ROOT))
    for app in ("fieldops", "assets", "workorders", "integrations")
    for path in (ROOT / app).rglob("*.py")
    if path.name == "views.py" or path.parent.name == "views"
)
NOT_YET = {"ThrottledLoginView.post"}


def _functions(tree: ast.AST):
    """Each function with its qualified name (``Class.method``)."""
    methods = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    methods[id(item)] = f"{node.name}.{item.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            yield methods.get(id(node), node.name), node


def _post_reads(path: Path) -> list[str]:
    """``request.POST[...]``, ``request.POST.get(...)``, ``request.POST.getlist(...)`` outside
    the functions in NOT_YET."""
    tree = ast.parse(path.read_text())
    found = []
    for name, function in _functions(tree):
        if name in NOT_YET:
            continue
        for node in ast.walk(function):
            post = node.value if isinstance(node, ast.Subscript | ast.Attribute) else None
            if (
                isinstance(post, ast.Attribute)
                and post.attr == "POST"
                and (isinstance(node, ast.Subscript) or node.attr in ("get", "getlist"))
            ):
                found.append(f"{path}:{node.lineno} in {name}")
    return sorted(set(found))


def test_no_view_parses_request_post_by_hand():
    assert len(VIEW_MODULES) >= 15, VIEW_MODULES  # the walk found the apps' views
    assert [hit for name in VIEW_MODULES for hit in _post_reads(ROOT / name)] == []
