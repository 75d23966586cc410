"""Who may do what: the permission table written out literally, so changing a row of the product's
table fails here; and no module but the table decides access by naming roles."""

import re
from pathlib import Path

import pytest

from fieldops.accounts.models import Membership, Role
from fieldops.accounts.permissions import PERMISSIONS, may, require
from fieldops.errors import PermissionDenied

T, D, S, A = "technician", "dispatcher", "supervisor", "admin"

# permission: the roles that hold it (technician, dispatcher, supervisor, admin).
EXPECTED = {
    "work.dispatch": {D, A},
    "work.stand_in": {A},
    "work.oversee": {S, A},
    "work.edit": {D, S, A},
    "requests.triage": {D, S, A},
    "assets.manage": {D, S, A},
    "board.view": {D, S, A},
    "dashboard.read": {D, S, A},
    "maintenance.read": {D, S, A},
    "maintenance.plan": {S, A},
    "integrations.read": {D, S, A},
    "integrations.admin": {A},
    "webhooks.admin": {A},
    "position.report": {T},
    "field.work": {T},
    "system.ping": {D, S, A},
}


def test_the_permission_table_is_what_the_product_promises():
    assert {name: set(rule.roles) for name, rule in PERMISSIONS.items()} == EXPECTED


@pytest.mark.parametrize("role", [T, D, S, A])
def test_may_and_require_answer_from_the_table(role):
    member = Membership(role=role)
    for name, holders in EXPECTED.items():
        assert may(member, name) is (role in holders), (role, name)
        if role in holders:
            require(member, name)
        else:
            with pytest.raises(PermissionDenied):
                require(member, name)
    assert not may(None, "work.edit")


def test_a_refusal_says_why_in_the_permissions_words():
    with pytest.raises(PermissionDenied) as refused:
        require(Membership(role=Role.TECHNICIAN), "webhooks.admin")
    assert refused.value.message == "Only admins manage webhooks."


ROOT = Path(__file__).resolve().parents[2]
APPS = ("fieldops", "assets", "workorders", "integrations")
# A role compared or listed to decide access: `role in (...)`, `role != Role.X`, `Role.A, Role.B`.
ROLE_CHECK = re.compile(
    r"\.role\s*(?:==|!=|\bin\b|\bnot in\b)\s*\(?\s*(?:Role\.|\w*ROLES|MANAGERS|PLANNERS|READERS)"
    r"|\(\s*Role\.\w+\s*,\s*Role\.\w+"
    r"|def (?:require_role|has_role|require_admin|require_manager|require_planner|require_reader)\b"
)
# Data, not access: the home page of each role, a filter for "technicians", the demo's people.
ALLOWED = {
    "fieldops/accounts/permissions.py",
    "fieldops/accounts/selectors.py",
    "integrations/services/local/technicians.py",
}


def test_no_module_but_the_table_decides_access_by_role():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED or "/migrations/" in relative or relative.endswith("demo.py"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ROLE_CHECK.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize(
    ("line", "is_check"),
    [
        # The forms the eight removed helpers and their callers used.
        ("    if membership.role not in READERS:", True),
        ("    can_plan = membership.role in PLANNERS", True),
        ("    if not own and membership.role not in (Role.DISPATCHER, Role.ADMIN):", True),
        ("    if membership.role != Role.ADMIN:", True),
        ("MANAGER_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)", True),
        ("    def has_role(self, *roles: str) -> bool:", True),
        ("def require_admin(membership: Membership) -> None:", True),
        # Data, not access.
        ("        organization_id=org, role=Role.TECHNICIAN, is_active=True", False),
        ('    require(membership, "work.edit")', False),
    ],
)
def test_the_role_check_search_finds_what_it_looks_for(line, is_check):
    assert bool(ROLE_CHECK.search(line)) is is_check
