"""Who may do what: one table from a permission to the roles that hold it, and one check.

Every service, view, API operation and template asks this table (``may`` / ``require``, or the
``can`` context of templates); no other module names roles to decide access. The work-order
lifecycle's moves name their roles through it too (``roles_for``)."""

from types import MappingProxyType

from fieldops.accounts.models import Membership, Role
from fieldops.errors import PermissionDenied

TECHNICIAN, DISPATCHER, SUPERVISOR, ADMIN = (
    Role.TECHNICIAN,
    Role.DISPATCHER,
    Role.SUPERVISOR,
    Role.ADMIN,
)
OFFICE = frozenset({DISPATCHER, SUPERVISOR, ADMIN})

PERMISSIONS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        # Give work to people, plan it on the board, dispatch, unassign, cancel.
        "work.dispatch": frozenset({DISPATCHER, ADMIN}),
        # Make the assignee's moves (travel, start, complete...) on anyone's job.
        "work.stand_in": frozenset({ADMIN}),
        # Close done work and reopen it.
        "work.oversee": frozenset({SUPERVISOR, ADMIN}),
        # Change a work order's fields; record work (time, parts, notes) on anyone's job.
        "work.edit": OFFICE,
        # Approve or reject reported problems.
        "requests.triage": OFFICE,
        # Create and change locations, assets, meters; import them.
        "assets.manage": OFFICE,
        # The dispatch board, suggestions, the technician list.
        "board.view": OFFICE,
        # The KPI dashboard and its exports.
        "dashboard.read": OFFICE,
        # Maintenance plans and condition rules: read them, write them.
        "maintenance.read": OFFICE,
        "maintenance.plan": frozenset({SUPERVISOR, ADMIN}),
        # ERP connections: read their state and data; set them up, test and sync them.
        "integrations.read": OFFICE,
        "integrations.admin": frozenset({ADMIN}),
        # Webhook endpoints, deliveries and flows.
        "webhooks.admin": frozenset({ADMIN}),
        # A phone reports its own position (only a technician's is kept).
        "position.report": frozenset({TECHNICIAN}),
        # Pages for the field: "My work".
        "field.work": frozenset({TECHNICIAN}),
        # Operator tools: the system ping.
        "system.ping": OFFICE,
    }
)


def roles_for(permission: str) -> frozenset[str]:
    """The roles holding ``permission``; an unknown name is a programming error (KeyError)."""
    return PERMISSIONS[permission]


def may(membership: Membership | None, permission: str) -> bool:
    return membership is not None and membership.role in roles_for(permission)


def require(membership: Membership | None, permission: str, message: str = "") -> None:
    if not may(membership, permission):
        raise PermissionDenied(message or None)


def can_map(membership: Membership | None) -> dict[str, bool]:
    """Every permission with the member's answer, for templates: ``can.work_dispatch``."""
    return {name.replace(".", "_"): may(membership, name) for name in PERMISSIONS}
