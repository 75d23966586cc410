"""Status sets live in one place: ``workorders/lifecycle.py`` declares the statuses and the table
of moves, and every set of statuses (open, under way, done, ...) is derived there. A list of two
or more work-order statuses anywhere else in the product — Python, templates or JavaScript — is a
copy that will drift, and fails here. The browser gets the lifecycle from the server."""

import ast
import re
from pathlib import Path

import pytest

from workorders import lifecycle

ROOT = Path(__file__).resolve().parents[2]
STATUS_VALUES = {
    "new",
    "assigned",
    "dispatched",
    "en_route",
    "in_progress",
    "on_hold",
    "completed",
    "closed",
    "cancelled",
}
STATUS_NAMES = {value.upper() for value in STATUS_VALUES}
HOME = ROOT / "workorders" / "lifecycle.py"
# Not the product's lifecycle: the ERP connectors and the unified model speak the remote
# systems' vocabularies (one remote status mapped to one of ours per line), and the demo's
# scenario rows name the status each demo job should end up in.
ELSEWHERE = ("integrations/connectors/", "integrations/unified.py", "/migrations/")
PRODUCT = ("fieldops", "assets", "workorders", "integrations")


def _status_element(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and node.attr in STATUS_NAMES
        and isinstance(node.value, ast.Name)
        and node.value.id == "Status"
    ):
        return node.attr.lower()
    if isinstance(node, ast.Constant) and node.value in STATUS_VALUES:
        return node.value
    return None


def python_status_lists(source: str) -> list[int]:
    """Lines of tuple/list/set literals holding two or more different work-order statuses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            statuses = {s for e in node.elts if (s := _status_element(e))}
            if len(statuses) >= 2:
                found.append(node.lineno)
        elif isinstance(node, ast.BoolOp):
            # status == "a" or status == "b": a list spelt as comparisons
            statuses = set()
            for value in node.values:
                if isinstance(value, ast.Compare):
                    statuses |= {s for c in value.comparators if (s := _status_element(c))}
            if len(statuses) >= 2:
                found.append(node.lineno)
    return found


QUOTED = re.compile(r"""["']([a-z_]+)["']""")


def text_status_lists(source: str) -> list[int]:
    """Lines of a template or script naming two or more different statuses in quotes."""
    return [
        number
        for number, line in enumerate(source.splitlines(), 1)
        if len({v for v in QUOTED.findall(line) if v in STATUS_VALUES}) >= 2
    ]


def product_files():
    for top in PRODUCT:
        yield from (ROOT / top).rglob("*.py")
    for top in ("templates", *PRODUCT):
        yield from (ROOT / top).rglob("*.html")
    yield from (ROOT / "static" / "js").glob("*.js")


def copies() -> dict[str, list[int]]:
    found = {}
    for path in product_files():
        relative = path.relative_to(ROOT).as_posix()
        if path == HOME or any(part in f"/{relative}" for part in ELSEWHERE):
            continue
        source = path.read_text(encoding="utf-8")
        lines = python_status_lists(source) if path.suffix == ".py" else text_status_lists(source)
        if lines:
            found[relative] = lines
    return found


def test_no_status_list_outside_the_lifecycle_module():
    assert copies() == {}


def test_the_check_finds_a_copied_list():
    """The check itself can fail: each way of copying a list is caught."""
    assert python_status_lists("OPEN = (Status.NEW, Status.ASSIGNED)\n") == [1]
    assert python_status_lists('if s in ["completed", "closed"]:\n    pass\n') == [1]
    assert python_status_lists('ok = s == "closed" or s == "cancelled"\n') == [1]
    assert python_status_lists('one = s == "closed"\n') == []
    assert text_status_lists('{% if wo.status == "closed" or wo.status == "cancelled" %}') == [1]
    assert text_status_lists('const NEXT = { assigned: [["en_route", "On my way"]] };') == []
    assert text_status_lists('const NEXT = { a: [["en_route", "x"], ["in_progress", "y"]] };') == [
        1
    ]


def test_the_lifecycle_sets_are_what_the_product_means():
    """The derived sets, written out: a change of the table that moves one is seen."""
    assert lifecycle.OPEN_STATUSES == (
        "new",
        "assigned",
        "dispatched",
        "en_route",
        "in_progress",
        "on_hold",
    )
    assert lifecycle.ASSIGNABLE_STATUSES == ("new", "assigned", "dispatched", "on_hold")
    assert lifecycle.UNDER_WAY_STATUSES == ("en_route", "in_progress", "on_hold")
    assert lifecycle.ON_THE_JOB_STATUSES == ("en_route", "in_progress")
    assert lifecycle.READY_STATUSES == ("new", "assigned", "dispatched")
    assert lifecycle.DONE_STATUSES == ("completed", "closed")
    assert lifecycle.FINISHED_STATUSES == ("completed", "closed", "cancelled")
    assert lifecycle.FROZEN_STATUSES == ("closed", "cancelled")
    assert lifecycle.LOCKED_STATUSES == ("completed", "closed", "cancelled")
    assert lifecycle.SIGNABLE_STATUSES == ("completed",)
    assert lifecycle.STARTABLE_STATUSES == ("assigned", "dispatched", "en_route", "on_hold")


@pytest.mark.django_db
def test_the_job_page_hands_the_browser_the_lifecycle(organization, technician, dispatcher):
    """offline.js has no table of its own: the page embeds, for this person, the buttons of
    every status and the statuses' names."""
    import json

    from tests.conftest import client_for
    from tests.workorders.factories import assign, make_work_order

    work_order = make_work_order(dispatcher)
    assign(work_order, technician, dispatcher)
    page = client_for(technician).get(f"/work-orders/{work_order.reference}/").content.decode()

    def embedded(element_id: str):
        start = page.index(f'<script id="{element_id}" type="application/json">')
        body = page[page.index(">", start) + 1 : page.index("</script>", start)]
        return json.loads(body)

    assert embedded("wo-moves") == {
        "new": [],
        "assigned": [["en_route", "On my way", "travel"], ["in_progress", "Start work", "start"]],
        "dispatched": [
            ["en_route", "On my way", "travel"],
            ["in_progress", "Start work", "start"],
        ],
        "en_route": [["in_progress", "Start work", "start"]],
        "in_progress": [["on_hold", "Pause", "pause"], ["completed", "Complete", "complete"]],
        "on_hold": [["in_progress", "Resume", "resume"]],
        "completed": [],
        "closed": [],
        "cancelled": [],
    }
    assert embedded("wo-status-labels")["en_route"] == "En route"
